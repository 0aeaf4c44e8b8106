#include "service/config.h"

#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/cluster_health.h"
#include "storage/postgres_storage.h"
#include "storage/s3_storage.h"

extern char** environ;

namespace kms::service {
namespace {

// Debian's Abseil has its own string_view, which StrCat does not take from std.
absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

constexpr std::string_view kEnvPrefix = "KMS_CORE__";
// A configuration file is a few kilobytes; anything this large is a mistake (or an attack on
// the health-check tool).
constexpr std::uintmax_t kMaxConfigFileBytes = 4 << 20;
constexpr int64_t kMaxU32 = std::numeric_limits<uint32_t>::max();
// Shamir sharing over GR(2^k, X^4+X+1) has 2^4 - 1 nonzero evaluation points.
constexpr size_t kMaxParties = 15;

// ---------------------------------------------------------------------------------------------
// The schema: every key the file may contain, and its type. Unknown keys are errors anywhere.

enum class Kind { kTable, kString, kInteger, kBool, kTableArray, kStringArray };

struct Schema {
  Kind kind = Kind::kTable;
  // Fields of a table, or of each element of an array of tables. A vector (not a map) because
  // the value type is incomplete here.
  std::vector<std::pair<std::string, Schema>> fields;

  const Schema* Find(std::string_view name) const {
    for (const auto& [k, s] : fields) {
      if (k == name) return &s;
    }
    return nullptr;
  }
};

Schema Leaf(Kind kind) { return Schema{kind, {}}; }
Schema Table(std::vector<std::pair<std::string, Schema>> fields) {
  return Schema{Kind::kTable, std::move(fields)};
}

const Schema& RootSchema() {
  static const Schema* root = [] {
    const Schema s = Leaf(Kind::kString), i = Leaf(Kind::kInteger), b = Leaf(Kind::kBool),
                 sa = Leaf(Kind::kStringArray);
    const Schema vault = Table({{"storage", Table({
                                                {"file", Table({{"path", s}, {"prefix", s}})},
                                                {"s3", Table({{"bucket", s},
                                                              {"prefix", s},
                                                              {"endpoint", s},
                                                              {"region", s},
                                                              {"access_key_id", s},
                                                              {"secret_access_key", s}})},
                                                {"postgres", Table({{"dsn", s}, {"prefix", s}})},
                                                {"ram", Table({})},
                                            })}});
    Schema peers{
        Kind::kTableArray,
        {{"party_id", i}, {"address", s}, {"port", i}, {"mpc_identity", s}, {"tls_cert", s}}};
    return new Schema(Table({
        {"service", Table({{"listen_address", s},
                           {"listen_port", i},
                           {"timeout_secs", i},
                           {"grpc_max_message_size", i},
                           {"result_wait_secs", i},
                           {"fhe_parameter", s},
                           {"allow_insecure_parameters", b},
                           {"tls", Table({{"cert", s}, {"key", s}})},
                           {"callers", Schema{Kind::kTableArray,
                                              {{"name", s}, {"cert", s}, {"roles", sa}}}}})},
        {"public_vault", vault},
        {"private_vault", vault},
        {"backup_vault", vault},
        {"threshold", Table({{"listen_address", s},
                             {"listen_port", i},
                             {"my_id", i},
                             {"threshold", i},
                             {"fhe_parameter", s},
                             {"insecure", b},
                             {"round_timeout_secs", i},
                             {"decryption_timeout_secs", i},
                             {"preprocessing_sessions", i},
                             {"preprocessing_chunk", i},
                             {"tls", Table({{"cert", s}, {"key", s}})},
                             {"peers", peers}})},
        {"telemetry", Table({{"metrics_bind_address", s}, {"log_format", s}, {"log_level", s}})},
        {"rate_limiter", Table({{"bucket_size", i},
                                {"pub_decrypt", i},
                                {"user_decrypt", i},
                                {"keygen", i},
                                {"preproc", i},
                                {"new_epoch", i}})},
        {"admission", Table({{"policy", s}, {"producers", sa}, {"required", i}, {"chain_id", i}})},
    }));
  }();
  return *root;
}

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kTable:
      return "table";
    case Kind::kString:
      return "string";
    case Kind::kInteger:
      return "integer";
    case Kind::kBool:
      return "boolean";
    case Kind::kTableArray:
      return "array of tables";
    case Kind::kStringArray:
      return "array of strings";
  }
  return "?";
}

const char* NodeTypeName(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    default:
      return "nothing";
  }
}

bool Matches(const toml::node& n, Kind k) {
  switch (k) {
    case Kind::kTable:
      return n.is_table();
    case Kind::kString:
      return n.is_string();
    case Kind::kInteger:
      return n.is_integer();
    case Kind::kBool:
      return n.is_boolean();
    case Kind::kTableArray: {
      const toml::array* a = n.as_array();
      return a != nullptr &&
             std::all_of(a->begin(), a->end(), [](const toml::node& e) { return e.is_table(); });
    }
    case Kind::kStringArray: {
      const toml::array* a = n.as_array();
      return a != nullptr &&
             std::all_of(a->begin(), a->end(), [](const toml::node& e) { return e.is_string(); });
    }
  }
  return false;
}

std::string Join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", Av(key));
}
std::string Index(const std::string& path, size_t i) { return absl::StrCat(path, "[", i, "]"); }

// Levenshtein distance, for "did you mean" hints on unknown keys.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// ---------------------------------------------------------------------------------------------
// Problem collection. `broken` remembers keys whose value could not be used, so later checks
// that depend on them stay quiet instead of piling up consequential errors.

class Problems {
 public:
  void Add(std::string key_path, std::string message) {
    list_.push_back({std::move(key_path), std::move(message)});
  }
  void AddBroken(const std::string& key_path, std::string message) {
    broken_.insert(key_path);
    Add(key_path, std::move(message));
  }
  void MarkBroken(const std::string& key_path) { broken_.insert(key_path); }
  // True when `key_path` or anything below it ("key_path.x", "key_path[2]...") is broken.
  bool Broken(const std::string& key_path) const {
    for (auto it = broken_.lower_bound(key_path); it != broken_.end() && it->starts_with(key_path);
         ++it) {
      if (it->size() == key_path.size() || (*it)[key_path.size()] == '.' ||
          (*it)[key_path.size()] == '[') {
        return true;
      }
    }
    return false;
  }
  // True when `key_path` itself is broken (not merely something below it).
  bool BrokenExactly(const std::string& key_path) const { return broken_.count(key_path) > 0; }
  std::vector<ConfigProblem> Take() { return std::move(list_); }
  const std::set<std::string>& broken() const { return broken_; }

 private:
  std::vector<ConfigProblem> list_;
  std::set<std::string> broken_;
};

void UnknownKey(Problems& p, const Schema& parent, const std::string& path, std::string_view key,
                std::string_view origin) {
  std::string message = absl::StrCat("unknown key ", Join(path, key));
  std::string best;
  size_t best_distance = 3;  // suggest only close spellings
  for (const auto& [name, unused] : parent.fields) {
    const size_t d = EditDistance(key, name);
    if (d < best_distance) {
      best_distance = d;
      best = name;
    }
  }
  if (!best.empty()) absl::StrAppend(&message, " (did you mean ", Join(path, best), "?)");
  absl::StrAppend(&message, Av(origin));
  p.AddBroken(Join(path, key), std::move(message));
}

// Reports unknown keys and type mismatches anywhere below `node`.
void CheckNode(const toml::node& node, const Schema& schema, const std::string& path, Problems& p) {
  if (!Matches(node, schema.kind)) {
    p.AddBroken(path,
                absl::StrCat("expected ", KindName(schema.kind), ", got ", NodeTypeName(node)));
    return;
  }
  if (schema.kind == Kind::kTable) {
    for (auto&& [key, value] : *node.as_table()) {
      const Schema* child = schema.Find(key.str());
      if (child == nullptr) {
        UnknownKey(p, schema, path, key.str(), "");
      } else {
        CheckNode(value, *child, Join(path, key.str()), p);
      }
    }
  } else if (schema.kind == Kind::kTableArray) {
    const Schema element = Table(schema.fields);
    const toml::array& a = *node.as_array();
    for (size_t i = 0; i < a.size(); ++i) CheckNode(*a.get(i), element, Index(path, i), p);
  }
}

// ---------------------------------------------------------------------------------------------
// Environment overrides.

std::vector<std::string> SplitOverride(std::string_view rest) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t pos = rest.find("__", start);
    std::string seg(rest.substr(start, pos == std::string_view::npos ? rest.npos : pos - start));
    std::transform(seg.begin(), seg.end(), seg.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    out.push_back(std::move(seg));
    if (pos == std::string_view::npos) break;
    start = pos + 2;
  }
  return out;
}

std::optional<int64_t> ParseInt(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// Applies one KMS_CORE__... variable to the parsed document.
void ApplyOverride(toml::table& root, const std::string& name, const std::string& value,
                   Problems& p) {
  const std::string origin = absl::StrCat(" (from environment variable ", name, ")");
  const std::vector<std::string> segments =
      SplitOverride(std::string_view(name).substr(kEnvPrefix.size()));
  if (std::any_of(segments.begin(), segments.end(), [](const auto& s) { return s.empty(); })) {
    p.Add("", absl::StrCat("environment variable ", name,
                           " is malformed; expected KMS_CORE__SECTION__KEY with one \"__\" "
                           "between levels"));
    return;
  }
  const Schema* schema = &RootSchema();
  Schema element_schema;  // the schema of one entry of an array of tables, when in one
  toml::table* table = &root;
  std::string path;
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string& seg = segments[i];
    const Schema* child = schema->Find(seg);
    if (child == nullptr) {
      UnknownKey(p, *schema, path, seg, origin);
      return;
    }
    path = Join(path, seg);
    const bool last = i + 1 == segments.size();
    if (child->kind == Kind::kTable || child->kind == Kind::kTableArray) {
      if (last) {
        p.AddBroken(path, absl::StrCat("is a section, not a key; environment variable ", name,
                                       " must name a key inside it"));
        return;
      }
    } else if (!last) {
      UnknownKey(p, Table({}), path, segments[i + 1], origin);
      return;
    }
    if (child->kind == Kind::kTable) {
      toml::node* node = table->get(seg);
      if (node == nullptr) {
        table->insert(seg, toml::table{});
        node = table->get(seg);
      }
      if (!node->is_table()) return;  // the file's own type error is reported by CheckNode
      table = node->as_table();
      schema = child;
      continue;
    }
    if (child->kind == Kind::kTableArray) {
      const std::optional<int64_t> index = ParseInt(segments[i + 1]);
      toml::node* node = table->get(seg);
      toml::array* array = node != nullptr ? node->as_array() : nullptr;
      const size_t entries = array != nullptr ? array->size() : 0;
      if (!index.has_value() || *index < 0 || static_cast<size_t>(*index) >= entries) {
        p.Add(path, absl::StrCat("environment variable ", name,
                                 " needs a 0-based index of an "
                                 "existing entry (there are ",
                                 entries, ") after ", Av(seg)));
        return;
      }
      toml::node* element = array->get(static_cast<size_t>(*index));
      if (!element->is_table()) return;
      table = element->as_table();
      path = Index(path, static_cast<size_t>(*index));
      element_schema = Table(child->fields);
      schema = &element_schema;
      ++i;  // the index segment
      if (i + 1 == segments.size()) {
        p.AddBroken(path, absl::StrCat("is a section, not a key; environment variable ", name,
                                       " must name a key inside it"));
        return;
      }
      continue;
    }
    // A leaf: parse the value as the type the key expects.
    switch (child->kind) {
      case Kind::kString:
        table->insert_or_assign(seg, value);
        break;
      case Kind::kInteger: {
        const std::optional<int64_t> v = ParseInt(value);
        if (!v.has_value()) {
          p.AddBroken(path,
                      absl::StrCat("expected integer, got \"", value.substr(0, 40), "\"", origin));
          return;
        }
        table->insert_or_assign(seg, *v);
        break;
      }
      case Kind::kBool: {
        std::string lower = value;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (lower != "true" && lower != "false") {
          p.AddBroken(path, absl::StrCat("expected boolean (true or false), got \"",
                                         value.substr(0, 40), "\"", origin));
          return;
        }
        table->insert_or_assign(seg, lower == "true");
        break;
      }
      case Kind::kStringArray: {
        // Comma-separated; surrounding spaces dropped; an empty value is an empty list.
        toml::array list;
        size_t start = 0;
        while (start <= value.size() && !value.empty()) {
          const size_t comma = std::min(value.find(',', start), value.size());
          std::string item = value.substr(start, comma - start);
          item.erase(0, item.find_first_not_of(' '));
          item.erase(item.find_last_not_of(' ') + 1);
          list.push_back(item);
          start = comma + 1;
        }
        table->insert_or_assign(seg, std::move(list));
        break;
      }
      default:
        break;
    }
    return;
  }
}

// ---------------------------------------------------------------------------------------------
// Extraction of typed values. Type errors were reported by CheckNode; these read what is usable
// and report missing required keys and out-of-range values.

class Reader {
 public:
  explicit Reader(Problems& p) : p_(p) {}

  const toml::table* Section(const toml::table* t, std::string_view key) const {
    if (t == nullptr) return nullptr;
    const toml::node* n = t->get(key);
    return n != nullptr ? n->as_table() : nullptr;
  }

  std::optional<std::string> Str(const toml::table* t, std::string_view key,
                                 const std::string& path, bool required = false) {
    const toml::node* n = t != nullptr ? t->get(key) : nullptr;
    if (n == nullptr) {
      if (required) p_.AddBroken(path, "missing required key");
      return std::nullopt;
    }
    if (!n->is_string()) return std::nullopt;
    std::string v = n->as_string()->get();
    if (required && v.empty()) {
      p_.AddBroken(path, "must not be empty");
      return std::nullopt;
    }
    return v;
  }

  std::optional<int64_t> Int(const toml::table* t, std::string_view key, const std::string& path,
                             int64_t min, int64_t max, bool required = false) {
    const toml::node* n = t != nullptr ? t->get(key) : nullptr;
    if (n == nullptr) {
      if (required) p_.AddBroken(path, "missing required key");
      return std::nullopt;
    }
    if (!n->is_integer()) return std::nullopt;
    const int64_t v = n->as_integer()->get();
    if (v < min || v > max) {
      p_.AddBroken(path, absl::StrCat(v, " is out of range; expected ", min, "..", max));
      return std::nullopt;
    }
    return v;
  }

  // The strings of an array (type errors were reported by CheckNode).
  std::optional<std::vector<std::string>> Strings(const toml::table* t, std::string_view key,
                                                  const std::string& path, bool required = false) {
    const toml::node* n = t != nullptr ? t->get(key) : nullptr;
    if (n == nullptr) {
      if (required) p_.AddBroken(path, "missing required key");
      return std::nullopt;
    }
    const toml::array* a = n->as_array();
    if (a == nullptr) return std::nullopt;
    std::vector<std::string> out;
    for (const toml::node& e : *a) {
      if (!e.is_string()) return std::nullopt;
      out.push_back(e.as_string()->get());
    }
    return out;
  }

  std::optional<bool> Bool(const toml::table* t, std::string_view key) {
    const toml::node* n = t != nullptr ? t->get(key) : nullptr;
    if (n == nullptr || !n->is_boolean()) return std::nullopt;
    return n->as_boolean()->get();
  }

  template <typename Enum>
  std::optional<Enum> OneOf(const toml::table* t, std::string_view key, const std::string& path,
                            std::initializer_list<std::pair<const char*, Enum>> choices) {
    const std::optional<std::string> v = Str(t, key, path);
    if (!v.has_value()) return std::nullopt;
    std::vector<std::string> names;
    for (const auto& [name, value] : choices) {
      if (*v == name) return value;
      names.push_back(absl::StrCat("\"", name, "\""));
    }
    p_.AddBroken(path, absl::StrCat("\"", v->substr(0, 40), "\" is not one of ",
                                    absl::StrJoin(names, ", ")));
    return std::nullopt;
  }

  Problems& problems() { return p_; }

 private:
  Problems& p_;
};

std::optional<FheParameter> ReadFheParameter(Reader& r, const toml::table* t,
                                             const std::string& path) {
  return r.OneOf<FheParameter>(
      t, "fhe_parameter", Join(path, "fhe_parameter"),
      {{"default", FheParameter::kDefault}, {"test", FheParameter::kTest}});
}

void CheckPrefix(Problems& p, const std::string& path, const std::string& prefix) {
  if (prefix.empty()) return;
  absl::Status s = storage::ValidatePrefix(prefix);
  if (!s.ok()) p.AddBroken(path, std::string(s.message()));
}

std::optional<storage::StorageConfig> ReadStorage(Reader& r, const toml::table* root,
                                                  const std::string& vault, bool required,
                                                  const Environment& env) {
  Problems& p = r.problems();
  const toml::table* vault_table = r.Section(root, vault);
  if (vault_table == nullptr) {
    if (required && !p.Broken(vault)) {
      p.AddBroken(vault, absl::StrCat("missing required section; add [", vault,
                                      ".storage.file] (or .s3, .postgres, .ram)"));
    }
    return std::nullopt;
  }
  const std::string path = Join(vault, "storage");
  const toml::table* st = r.Section(vault_table, "storage");
  if (st == nullptr) {
    if (!p.Broken(path)) {
      p.AddBroken(path, "missing; set exactly one of file, s3, postgres, ram");
    }
    return std::nullopt;
  }
  std::vector<std::string> found;
  for (const char* kind : {"file", "s3", "postgres", "ram"}) {
    if (st->get(kind) != nullptr) found.push_back(kind);
  }
  if (found.size() != 1) {
    p.AddBroken(path, absl::StrCat("exactly one of file, s3, postgres, ram must be set (found ",
                                   found.empty() ? "none" : absl::StrJoin(found, ", "), ")"));
    return std::nullopt;
  }
  const std::string kind = found.front();
  const std::string kpath = Join(path, kind);
  const toml::table* t = r.Section(st, kind);
  if (t == nullptr) return std::nullopt;  // wrong type, already reported
  if (kind == "file") {
    storage::FileStorageConfig c;
    c.path = r.Str(t, "path", Join(kpath, "path"), true).value_or("");
    c.prefix = r.Str(t, "prefix", Join(kpath, "prefix")).value_or("");
    CheckPrefix(p, Join(kpath, "prefix"), c.prefix);
    return c;
  }
  if (kind == "s3") {
    storage::S3StorageConfig c;
    c.bucket = r.Str(t, "bucket", Join(kpath, "bucket"), true).value_or("");
    c.prefix = r.Str(t, "prefix", Join(kpath, "prefix")).value_or("");
    c.endpoint = r.Str(t, "endpoint", Join(kpath, "endpoint")).value_or("");
    c.region = r.Str(t, "region", Join(kpath, "region")).value_or("");
    c.access_key_id = r.Str(t, "access_key_id", Join(kpath, "access_key_id")).value_or("");
    c.secret_access_key =
        r.Str(t, "secret_access_key", Join(kpath, "secret_access_key")).value_or("");
    CheckPrefix(p, Join(kpath, "prefix"), c.prefix);
    // Each part is checked on its own so the problem names the right key.
    const std::string region = c.region.empty() ? "us-east-1" : c.region;
    const std::string endpoint = c.endpoint.empty() ? "https://s3.amazonaws.com" : c.endpoint;
    if (!c.bucket.empty()) {
      absl::Status s =
          storage::ValidateS3Location("https://s3.amazonaws.com", c.bucket, "us-east-1");
      if (!s.ok()) p.AddBroken(Join(kpath, "bucket"), std::string(s.message()));
    }
    if (absl::Status s = storage::ValidateS3Location(endpoint, "kms", "us-east-1"); !s.ok()) {
      p.AddBroken(Join(kpath, "endpoint"), std::string(s.message()));
    }
    if (absl::Status s = storage::ValidateS3Location("https://s3.amazonaws.com", "kms", region);
        !s.ok()) {
      p.AddBroken(Join(kpath, "region"), std::string(s.message()));
    }
    const bool has_id = !c.access_key_id.empty(), has_secret = !c.secret_access_key.empty();
    if (has_id != has_secret) {
      p.AddBroken(kpath,
                  "set both access_key_id and secret_access_key, or neither (then "
                  "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are used)");
    } else if (!has_id && (env.Get("AWS_ACCESS_KEY_ID").value_or("").empty() ||
                           env.Get("AWS_SECRET_ACCESS_KEY").value_or("").empty())) {
      p.AddBroken(kpath,
                  "no S3 credentials: set access_key_id and secret_access_key here, or "
                  "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment");
    }
    return c;
  }
  if (kind == "postgres") {
    storage::PostgresStorageConfig c;
    c.dsn = r.Str(t, "dsn", Join(kpath, "dsn"), true).value_or("");
    c.prefix = r.Str(t, "prefix", Join(kpath, "prefix")).value_or("");
    CheckPrefix(p, Join(kpath, "prefix"), c.prefix);
    if (!c.dsn.empty()) {
      absl::Status s = storage::ValidatePostgresDsn(c.dsn);
      if (!s.ok()) p.AddBroken(Join(kpath, "dsn"), std::string(s.message()));
    }
    return c;
  }
  return storage::RamStorageConfig{};
}

void ReadService(Reader& r, const toml::table* root, ServiceConfig& c) {
  const toml::table* t = r.Section(root, "service");
  if (t == nullptr) return;
  if (auto v = r.Str(t, "listen_address", "service.listen_address")) {
    if (v->empty()) {
      r.problems().AddBroken("service.listen_address", "must not be empty");
    } else {
      c.listen_address = *v;
    }
  }
  if (auto v = r.Int(t, "listen_port", "service.listen_port", 1, 65535)) {
    c.listen_port = static_cast<uint16_t>(*v);
  }
  if (auto v = r.Int(t, "timeout_secs", "service.timeout_secs", 1, 86400)) {
    c.timeout_secs = static_cast<uint32_t>(*v);
  }
  if (auto v = r.Int(t, "grpc_max_message_size", "service.grpc_max_message_size", 4096,
                     std::numeric_limits<int32_t>::max())) {
    c.grpc_max_message_size = static_cast<uint64_t>(*v);
  }
  if (auto v = r.Int(t, "result_wait_secs", "service.result_wait_secs", 1, 3600)) {
    c.result_wait_secs = static_cast<uint32_t>(*v);
  }
  c.fhe_parameter = ReadFheParameter(r, t, "service");
  if (auto v = r.Bool(t, "allow_insecure_parameters")) c.allow_insecure_parameters = *v;
  if (const toml::table* tls = r.Section(t, "tls")) {
    TlsConfig& out = c.tls.emplace();
    out.cert = r.Str(tls, "cert", "service.tls.cert", true).value_or("");
    out.key = r.Str(tls, "key", "service.tls.key", true).value_or("");
  }
  const toml::node* callers_node = t->get("callers");
  const toml::array* callers = callers_node != nullptr ? callers_node->as_array() : nullptr;
  if (callers == nullptr || r.problems().BrokenExactly("service.callers")) return;
  for (size_t i = 0; i < callers->size(); ++i) {
    const toml::table* e = callers->get(i)->as_table();
    const std::string base = Index("service.callers", i);
    CallerConfig caller;
    caller.name = r.Str(e, "name", Join(base, "name"), true).value_or("");
    caller.cert = r.Str(e, "cert", Join(base, "cert"), true).value_or("");
    const std::string roles_path = Join(base, "roles");
    if (auto roles = r.Strings(e, "roles", roles_path, true)) {
      if (roles->empty()) r.problems().AddBroken(roles_path, "must name at least one role");
      for (const std::string& name : *roles) {
        std::optional<CallerRole> role;
        for (CallerRole candidate : {CallerRole::kAdmin, CallerRole::kDecrypt, CallerRole::kRead}) {
          if (name == CallerRoleName(candidate)) role = candidate;
        }
        if (!role.has_value()) {
          r.problems().AddBroken(roles_path, absl::StrCat("\"", name.substr(0, 40),
                                                          "\" is not one of \"admin\", "
                                                          "\"decrypt\", \"read\""));
        } else if (std::find(caller.roles.begin(), caller.roles.end(), *role) !=
                   caller.roles.end()) {
          r.problems().AddBroken(roles_path, absl::StrCat("role \"", name, "\" appears twice"));
        } else {
          caller.roles.push_back(*role);
        }
      }
    }
    c.callers.push_back(std::move(caller));
  }
}

void ReadThreshold(Reader& r, const toml::table* root, std::optional<ThresholdConfig>& out) {
  const toml::table* t = r.Section(root, "threshold");
  if (t == nullptr) return;
  ThresholdConfig c;
  Problems& p = r.problems();
  if (auto v = r.Str(t, "listen_address", "threshold.listen_address")) {
    if (v->empty()) {
      p.AddBroken("threshold.listen_address", "must not be empty");
    } else {
      c.listen_address = *v;
    }
  }
  if (auto v = r.Int(t, "listen_port", "threshold.listen_port", 1, 65535)) {
    c.listen_port = static_cast<uint16_t>(*v);
  }
  if (auto v = r.Int(t, "my_id", "threshold.my_id", 1, kMaxU32, true)) {
    c.my_id = static_cast<uint32_t>(*v);
  }
  if (auto v = r.Int(t, "threshold", "threshold.threshold", 0, kMaxU32, true)) {
    c.threshold = static_cast<uint32_t>(*v);
  }
  if (auto v = ReadFheParameter(r, t, "threshold")) c.fhe_parameter = *v;
  if (auto v = r.Bool(t, "insecure")) c.insecure = *v;
  if (auto v = r.Int(t, "round_timeout_secs", "threshold.round_timeout_secs", 1, 3600)) {
    c.round_timeout_secs = static_cast<uint32_t>(*v);
  }
  if (auto v = r.Int(t, "decryption_timeout_secs", "threshold.decryption_timeout_secs", 1, 86400)) {
    c.decryption_timeout_secs = static_cast<uint32_t>(*v);
  }
  if (auto v = r.Int(t, "preprocessing_sessions", "threshold.preprocessing_sessions", 1, 1024)) {
    c.preprocessing_sessions = static_cast<uint32_t>(*v);
  }
  if (auto v = r.Int(t, "preprocessing_chunk", "threshold.preprocessing_chunk", 1, 1 << 20)) {
    c.preprocessing_chunk = static_cast<uint32_t>(*v);
  }
  const toml::table* tls = r.Section(t, "tls");
  if (tls == nullptr) {
    if (!p.Broken("threshold.tls")) {
      p.AddBroken("threshold.tls", "missing required section [threshold.tls] {cert, key}");
    }
  } else {
    c.tls.cert = r.Str(tls, "cert", "threshold.tls.cert", true).value_or("");
    c.tls.key = r.Str(tls, "key", "threshold.tls.key", true).value_or("");
  }
  const toml::node* peers_node = t->get("peers");
  const toml::array* peers = peers_node != nullptr ? peers_node->as_array() : nullptr;
  if (peers_node == nullptr) {
    p.AddBroken("threshold.peers", "missing; add one [[threshold.peers]] entry per party");
  } else if (peers != nullptr && !p.BrokenExactly("threshold.peers")) {
    if (peers->empty()) p.AddBroken("threshold.peers", "is empty; add one entry per party");
    for (size_t i = 0; i < peers->size(); ++i) {
      const toml::table* e = peers->get(i)->as_table();
      const std::string base = Index("threshold.peers", i);
      PeerConfig peer;
      if (auto v = r.Int(e, "party_id", Join(base, "party_id"), 1, kMaxU32, true)) {
        peer.party_id = static_cast<uint32_t>(*v);
      }
      peer.address = r.Str(e, "address", Join(base, "address"), true).value_or("");
      if (auto v = r.Int(e, "port", Join(base, "port"), 1, 65535, true)) {
        peer.port = static_cast<uint16_t>(*v);
      }
      peer.mpc_identity = r.Str(e, "mpc_identity", Join(base, "mpc_identity")).value_or("");
      if (peer.mpc_identity.empty()) peer.mpc_identity = peer.address;
      peer.tls_cert = r.Str(e, "tls_cert", Join(base, "tls_cert"), true).value_or("");
      c.peers.push_back(std::move(peer));
    }
  }
  out = std::move(c);
}

// "host:port" or "[v6]:port".
bool SplitHostPort(std::string_view s, std::string* host, int64_t* port) {
  const size_t colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view h = s.substr(0, colon);
  if (h.front() == '[') {
    if (h.size() < 3 || h.back() != ']') return false;
  } else if (h.find(':') != std::string_view::npos) {
    return false;
  }
  const std::optional<int64_t> p = ParseInt(s.substr(colon + 1));
  if (!p.has_value() || *p < 1 || *p > 65535 || s.substr(colon + 1).front() == '+') return false;
  *host = std::string(h);
  *port = *p;
  return true;
}

void ReadTelemetry(Reader& r, const toml::table* root, TelemetryConfig& c) {
  const toml::table* t = r.Section(root, "telemetry");
  if (t == nullptr) return;
  if (auto v = r.Str(t, "metrics_bind_address", "telemetry.metrics_bind_address")) {
    std::string host;
    int64_t port = 0;
    if (SplitHostPort(*v, &host, &port)) {
      c.metrics_bind_address = *v;
    } else {
      r.problems().AddBroken(
          "telemetry.metrics_bind_address",
          absl::StrCat("\"", v->substr(0, 80), "\" is not host:port with a port in 1..65535"));
    }
  }
  if (auto v = r.OneOf<LogFormat>(t, "log_format", "telemetry.log_format",
                                  {{"text", LogFormat::kText}, {"json", LogFormat::kJson}})) {
    c.log_format = *v;
  }
  if (auto v = r.OneOf<LogLevel>(t, "log_level", "telemetry.log_level",
                                 {{"error", LogLevel::kError},
                                  {"warn", LogLevel::kWarn},
                                  {"info", LogLevel::kInfo},
                                  {"debug", LogLevel::kDebug}})) {
    c.log_level = *v;
  }
}

void ReadRateLimiter(Reader& r, const toml::table* root, RateLimiterConfig& c) {
  const toml::table* t = r.Section(root, "rate_limiter");
  if (t == nullptr) return;
  constexpr int64_t kMax = int64_t{1} << 40;
  if (auto v = r.Int(t, "bucket_size", "rate_limiter.bucket_size", 1, kMax)) {
    c.bucket_size = static_cast<uint64_t>(*v);
  }
  const std::pair<const char*, uint64_t*> costs[] = {{"pub_decrypt", &c.pub_decrypt},
                                                     {"user_decrypt", &c.user_decrypt},
                                                     {"keygen", &c.keygen},
                                                     {"preproc", &c.preproc},
                                                     {"new_epoch", &c.new_epoch}};
  for (const auto& [key, field] : costs) {
    if (auto v = r.Int(t, key, Join("rate_limiter", key), 0, kMax))
      *field = static_cast<uint64_t>(*v);
  }
}

void ReadAdmission(Reader& r, const toml::table* root, AdmissionConfig& c) {
  const toml::table* t = r.Section(root, "admission");
  if (t == nullptr) return;
  Problems& p = r.problems();
  if (auto v = r.OneOf<AdmissionPolicy>(t, "policy", "admission.policy",
                                        {{"trusted-callers", AdmissionPolicy::kTrustedCallers},
                                         {"attested", AdmissionPolicy::kAttested},
                                         {"open", AdmissionPolicy::kOpen}})) {
    c.policy = *v;
  }
  const bool attested = c.policy == AdmissionPolicy::kAttested;
  if (!attested && !p.Broken("admission.policy")) {
    for (const char* key : {"producers", "required", "chain_id"}) {
      if (t->get(key) != nullptr) {
        p.AddBroken(Join("admission", key),
                    absl::StrCat("is only used with admission.policy = \"attested\" (policy is \"",
                                 AdmissionPolicyName(c.policy), "\"); remove it"));
      }
    }
  }
  const toml::node* producers = t->get("producers");
  const toml::array* list = producers != nullptr ? producers->as_array() : nullptr;
  if (list != nullptr && !p.Broken("admission.producers")) {
    for (size_t i = 0; i < list->size(); ++i) {
      const toml::node* e = list->get(i);
      if (!e->is_string()) continue;  // reported by CheckNode
      const std::string path = Index("admission.producers", i);
      const std::string& text = e->as_string()->get();
      absl::StatusOr<crypto::EthAddress> address = crypto::ParseEthAddress(text);
      if (!address.ok()) {
        p.AddBroken(path,
                    absl::StrCat("\"", text.substr(0, 50), "\": ", address.status().message()));
        continue;
      }
      c.producers.push_back(*address);
    }
  }
  if (auto v = r.Int(t, "required", "admission.required", 1, 255)) {
    c.required = static_cast<uint32_t>(*v);
  }
  if (auto v = r.Int(t, "chain_id", "admission.chain_id", 0, std::numeric_limits<int64_t>::max())) {
    c.chain_id = static_cast<uint64_t>(*v);
  }
}

// ---------------------------------------------------------------------------------------------
// Whole-configuration checks.

void ValidateAdmission(const AdmissionConfig& a, Problems& p) {
  if (a.policy != AdmissionPolicy::kAttested || p.Broken("admission")) return;
  if (a.producers.empty()) {
    p.Add("admission.producers",
          "policy \"attested\" needs at least one producer address (the EIP-55 addresses whose "
          "signatures admit a ciphertext)");
    return;
  }
  std::set<crypto::EthAddress> seen;
  for (size_t i = 0; i < a.producers.size(); ++i) {
    if (!seen.insert(a.producers[i]).second) {
      p.Add(Index("admission.producers", i),
            absl::StrCat(crypto::ChecksumAddress(a.producers[i]),
                         " is listed twice; each producer counts once"));
    }
  }
  if (a.required < 1 || a.required > seen.size()) {
    p.Add("admission.required", absl::StrCat(a.required, " is out of range; expected 1..",
                                             seen.size(), " (the number of distinct producers)"));
  }
}

uint16_t PortOf(const std::string& host_port) {
  std::string host;
  int64_t port = 0;
  return SplitHostPort(host_port, &host, &port) ? static_cast<uint16_t>(port) : 0;
}

void CheckFile(const ServerConfig& config, Problems& p, const std::string& key,
               const std::string& written) {
  if (written.empty() || p.Broken(key)) return;
  const std::string resolved = config.ResolvePath(written);
  const std::string where =
      written.front() == '/' ? "" : absl::StrCat(" (resolved to ", resolved, ")");
  struct stat st;
  if (::stat(resolved.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      p.Add(key, absl::StrCat("file not found: ", written, where));
    } else {
      p.Add(key, absl::StrCat("cannot access ", written, where, ": ", std::strerror(err)));
    }
    return;
  }
  if (!S_ISREG(st.st_mode)) {
    p.Add(key, absl::StrCat("not a regular file: ", written, where));
  } else if (::access(resolved.c_str(), R_OK) != 0) {
    p.Add(key, absl::StrCat("file not readable: ", written, where));
  }
}

// The place a vault's objects end up, for detecting two vaults that coincide; empty for RAM.
std::string Location(const ServerConfig& config, const storage::StorageConfig& s,
                     const std::string& default_prefix) {
  auto pick = [&](const std::string& own) { return own.empty() ? default_prefix : own; };
  if (const auto* f = std::get_if<storage::FileStorageConfig>(&s)) {
    return absl::StrCat(
        "file:", std::filesystem::path(config.ResolvePath(f->path)).lexically_normal().string(),
        "/", pick(f->prefix));
  }
  if (const auto* s3 = std::get_if<storage::S3StorageConfig>(&s)) {
    return absl::StrCat("s3:", s3->endpoint, "/", s3->bucket, "/", pick(s3->prefix));
  }
  if (const auto* pg = std::get_if<storage::PostgresStorageConfig>(&s)) {
    return absl::StrCat("pg:", pg->dsn, "/", pick(pg->prefix));
  }
  return "";
}

// [service.tls] and [[service.callers]]: both or neither, unique names and certificates.
void ValidateCallers(const ServerConfig& config, Problems& p, bool require_tls_files) {
  const ServiceConfig& sc = config.service;
  if (sc.tls.has_value()) {
    if (sc.callers.empty() && !p.Broken("service.callers")) {
      p.Add("service.callers",
            "[service.tls] needs at least one [[service.callers]] entry {name, cert, roles}; "
            "otherwise no caller could use the client port");
    }
    if (require_tls_files) {
      CheckFile(config, p, "service.tls.cert", sc.tls->cert);
      CheckFile(config, p, "service.tls.key", sc.tls->key);
    }
  } else if (!sc.callers.empty()) {
    p.Add("service.callers",
          "callers are authenticated by their TLS client certificates; add [service.tls] "
          "{cert, key} (without it the client port is plaintext and unauthenticated)");
  }
  std::map<std::string, size_t> by_name, by_cert;
  for (size_t i = 0; i < sc.callers.size(); ++i) {
    const CallerConfig& caller = sc.callers[i];
    const std::string base = Index("service.callers", i);
    if (!caller.name.empty()) {
      const bool well_formed =
          caller.name.size() <= 64 &&
          std::all_of(caller.name.begin(), caller.name.end(), [](unsigned char ch) {
            return std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.';
          });
      if (!well_formed) {
        p.Add(Join(base, "name"),
              "must be 1..64 letters, digits, '-', '_' or '.' (it appears in logs and metrics)");
      } else if (auto [it, fresh] = by_name.emplace(caller.name, i); !fresh) {
        p.Add(Join(base, "name"), absl::StrCat("duplicate caller name \"", caller.name, "\" (also ",
                                               Index("service.callers", it->second), ")"));
      }
    }
    if (!caller.cert.empty()) {
      if (auto [it, fresh] = by_cert.emplace(config.ResolvePath(caller.cert), i); !fresh) {
        p.Add(Join(base, "cert"),
              absl::StrCat("same certificate file as ", Index("service.callers", it->second),
                           "; each caller has its own identity"));
      }
      if (require_tls_files) CheckFile(config, p, Join(base, "cert"), caller.cert);
    }
  }
}

void ValidateInto(const ServerConfig& config, Problems& p, bool require_tls_files = true) {
  const std::optional<uint32_t> party =
      config.threshold ? std::optional<uint32_t>(config.threshold->my_id) : std::nullopt;
  ValidateCallers(config, p, require_tls_files);

  if (config.threshold.has_value()) {
    const ThresholdConfig& th = *config.threshold;
    const size_t n = th.peers.size();
    const uint64_t t = th.threshold;
    // One bad entry does not change the count of parties; a bad list does.
    const bool peers_ok = !p.BrokenExactly("threshold.peers");
    bool party_ids_ok = true;
    for (size_t i = 0; i < n; ++i) {
      if (p.Broken(Join(Index("threshold.peers", i), "party_id"))) party_ids_ok = false;
    }
    if (peers_ok && !p.Broken("threshold.threshold") && n > 0 && n < 3 * t + 1) {
      p.Add("threshold",
            absl::StrCat(n, " peers cannot tolerate t = ", t, "; need n >= 3t + 1 = ", 3 * t + 1));
    }
    if (n > kMaxParties) {
      p.Add("threshold.peers",
            absl::StrCat(n, " peers; at most ", kMaxParties,
                         " parties are supported (Shamir sharing over GR(2^k, X^4+X+1) has 15 "
                         "nonzero evaluation points)"));
    }
    std::map<uint32_t, size_t> by_id;
    std::map<std::string, size_t> by_identity, by_endpoint;
    for (size_t i = 0; i < n; ++i) {
      const PeerConfig& peer = th.peers[i];
      const std::string base = Index("threshold.peers", i);
      if (!p.Broken(Join(base, "party_id"))) {
        if (auto [it, fresh] = by_id.emplace(peer.party_id, i); !fresh) {
          p.Add(Join(base, "party_id"),
                absl::StrCat("duplicate party id ", peer.party_id, " (also ",
                             Index("threshold.peers", it->second), ".party_id)"));
        } else if (peer.party_id < 1 || peer.party_id > n) {
          p.Add(Join(base, "party_id"),
                absl::StrCat("party id ", peer.party_id, " is out of range; with ", n,
                             " peers, party ids are 1..", n));
        }
      }
      if (!peer.mpc_identity.empty()) {
        if (auto [it, fresh] = by_identity.emplace(peer.mpc_identity, i); !fresh) {
          p.Add(Join(base, "mpc_identity"),
                absl::StrCat("duplicate identity \"", peer.mpc_identity, "\" (also ",
                             Index("threshold.peers", it->second),
                             "); each party's certificate names it uniquely"));
        }
      }
      if (!peer.address.empty() && peer.port != 0) {
        const std::string endpoint = absl::StrCat(peer.address, ":", peer.port);
        if (auto [it, fresh] = by_endpoint.emplace(endpoint, i); !fresh) {
          p.Add(base, absl::StrCat("same address and port (", endpoint, ") as ",
                                   Index("threshold.peers", it->second)));
        }
      }
      if (require_tls_files) CheckFile(config, p, Join(base, "tls_cert"), peer.tls_cert);
    }
    if (peers_ok && party_ids_ok && !p.Broken("threshold.my_id") && th.my_id != 0 &&
        by_id.count(th.my_id) == 0) {
      p.Add("threshold.my_id", absl::StrCat(th.my_id,
                                            " is not the party_id of any "
                                            "[[threshold.peers]] entry"));
    }
    if (require_tls_files) {
      CheckFile(config, p, "threshold.tls.cert", th.tls.cert);
      CheckFile(config, p, "threshold.tls.key", th.tls.key);
    }
    if (th.listen_port == config.service.listen_port) {
      p.Add("threshold.listen_port", absl::StrCat(th.listen_port,
                                                  " is also service.listen_port; "
                                                  "the peer and client ports "
                                                  "must differ"));
    }
    if (PortOf(config.telemetry.metrics_bind_address) == th.listen_port) {
      p.Add("telemetry.metrics_bind_address",
            absl::StrCat("port ", th.listen_port, " is also threshold.listen_port"));
    }
    if (config.service.fhe_parameter.has_value() &&
        *config.service.fhe_parameter != th.fhe_parameter) {
      p.Add("service.fhe_parameter",
            absl::StrCat("\"", FheParameterName(*config.service.fhe_parameter),
                         "\" conflicts with threshold.fhe_parameter \"",
                         FheParameterName(th.fhe_parameter),
                         "\"; in threshold mode threshold.fhe_parameter applies"));
    }
  }
  if (config.fhe_parameter() == FheParameter::kTest && !config.service.allow_insecure_parameters) {
    p.Add(config.centralized() ? "service.fhe_parameter" : "threshold.fhe_parameter",
          "\"test\" is an insecure parameter set (n = 512, for tests and demos); it needs "
          "service.allow_insecure_parameters = true, and never in production");
  }
  if (PortOf(config.telemetry.metrics_bind_address) == config.service.listen_port) {
    p.Add("telemetry.metrics_bind_address",
          absl::StrCat("port ", config.service.listen_port, " is also service.listen_port"));
  }

  const RateLimiterConfig& rl = config.rate_limiter;
  const std::pair<const char*, uint64_t> costs[] = {{"pub_decrypt", rl.pub_decrypt},
                                                    {"user_decrypt", rl.user_decrypt},
                                                    {"keygen", rl.keygen},
                                                    {"preproc", rl.preproc},
                                                    {"new_epoch", rl.new_epoch}};
  for (const auto& [key, cost] : costs) {
    if (cost > rl.bucket_size && !p.Broken("rate_limiter")) {
      p.Add(Join("rate_limiter", key),
            absl::StrCat("cost ", cost, " exceeds rate_limiter.bucket_size ", rl.bucket_size,
                         "; such requests could never run"));
    }
  }

  ValidateAdmission(config.admission, p);

  // Private material must never land where public material is served from.
  if (!p.Broken("public_vault") && !p.Broken("private_vault")) {
    const std::string pub =
        Location(config, config.public_vault.storage,
                 storage::DefaultVaultPrefix(storage::VaultRole::kPublic, party));
    const std::string priv =
        Location(config, config.private_vault.storage,
                 storage::DefaultVaultPrefix(storage::VaultRole::kPrivate, party));
    if (!pub.empty() && pub == priv) {
      p.Add("private_vault.storage",
            "same location and prefix as public_vault.storage; private material would be stored "
            "with the public material");
    }
    if (config.backup_vault.has_value() && !p.Broken("backup_vault")) {
      const std::string backup =
          Location(config, config.backup_vault->storage,
                   storage::DefaultVaultPrefix(storage::VaultRole::kBackup, party));
      if (!backup.empty() && (backup == priv || backup == pub)) {
        p.Add("backup_vault.storage",
              "same location and prefix as another vault; a backup must be a separate place");
      }
    }
  }
}

}  // namespace

// ---- Environment ----

std::optional<std::string> MapEnvironment::Get(std::string_view name) const {
  auto it = vars_.find(name);
  if (it == vars_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::pair<std::string, std::string>> MapEnvironment::All() const {
  return {vars_.begin(), vars_.end()};
}

std::optional<std::string> ProcessEnvironment::Get(std::string_view name) const {
  const char* v = std::getenv(std::string(name).c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

std::vector<std::pair<std::string, std::string>> ProcessEnvironment::All() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    out.emplace_back(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// ---- names ----

const char* FheParameterName(FheParameter p) {
  return p == FheParameter::kTest ? "test" : "default";
}
const char* AdmissionPolicyName(AdmissionPolicy p) {
  switch (p) {
    case AdmissionPolicy::kTrustedCallers:
      return "trusted-callers";
    case AdmissionPolicy::kAttested:
      return "attested";
    case AdmissionPolicy::kOpen:
      return "open";
  }
  return "trusted-callers";
}
const char* LogFormatName(LogFormat f) { return f == LogFormat::kJson ? "json" : "text"; }
const char* CallerRoleName(CallerRole r) {
  switch (r) {
    case CallerRole::kAdmin:
      return "admin";
    case CallerRole::kDecrypt:
      return "decrypt";
    case CallerRole::kRead:
      return "read";
  }
  return "?";
}

const char* LogLevelName(LogLevel l) {
  switch (l) {
    case LogLevel::kError:
      return "error";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kDebug:
      return "debug";
  }
  return "info";
}

// ---- ServerConfig ----

const PeerConfig* ThresholdConfig::me() const {
  for (const auto& p : peers) {
    if (p.party_id == my_id) return &p;
  }
  return nullptr;
}

FheParameter ServerConfig::fhe_parameter() const {
  if (threshold.has_value()) return threshold->fhe_parameter;
  return service.fhe_parameter.value_or(FheParameter::kDefault);
}

std::string ServerConfig::ResolvePath(std::string_view path) const {
  if (path.empty() || path.front() == '/' || config_dir.empty()) return std::string(path);
  return (std::filesystem::path(config_dir) / std::filesystem::path(path)).string();
}

storage::StorageConfig ServerConfig::ResolvedStorage(const VaultConfig& vault) const {
  storage::StorageConfig s = vault.storage;
  if (auto* f = std::get_if<storage::FileStorageConfig>(&s)) f->path = ResolvePath(f->path);
  return s;
}

std::string ConfigProblem::ToString() const {
  if (key_path.empty() || message.find(key_path) != std::string::npos) return message;
  return absl::StrCat(key_path, ": ", message);
}

// ---- loading ----

ConfigLoadResult ParseConfig(std::string_view toml_text, const std::string& config_dir,
                             const Environment& env, const ConfigLoadOptions& options) {
  ConfigLoadResult result;
  result.config.config_dir = config_dir;
  Problems p;
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    p.Add("", absl::StrCat("TOML syntax error at line ", e.source().begin.line, ", column ",
                           e.source().begin.column, ": ", Av(e.description())));
    result.problems = p.Take();
    return result;
  }
  for (const auto& [name, value] : env.All()) {
    if (std::string_view(name).starts_with(kEnvPrefix)) ApplyOverride(root, name, value, p);
  }
  CheckNode(root, RootSchema(), "", p);

  Reader r(p);
  ServerConfig& c = result.config;
  ReadService(r, &root, c.service);
  if (auto s = ReadStorage(r, &root, "public_vault", true, env)) c.public_vault.storage = *s;
  if (auto s = ReadStorage(r, &root, "private_vault", true, env)) c.private_vault.storage = *s;
  if (auto s = ReadStorage(r, &root, "backup_vault", false, env)) c.backup_vault = VaultConfig{*s};
  ReadThreshold(r, &root, c.threshold);
  ReadTelemetry(r, &root, c.telemetry);
  ReadRateLimiter(r, &root, c.rate_limiter);
  ReadAdmission(r, &root, c.admission);
  ValidateInto(c, p, options.require_tls_files);
  result.problems = p.Take();
  return result;
}

ConfigLoadResult LoadConfigWithProblems(const std::string& path, const Environment& env,
                                        const ConfigLoadOptions& options) {
  std::error_code ec;
  std::filesystem::path file(path);
  const std::filesystem::path absolute = std::filesystem::absolute(file, ec);
  const std::string dir = ec ? file.parent_path().string() : absolute.parent_path().string();
  ConfigLoadResult failed;
  failed.config.config_dir = dir;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) {
    failed.problems.push_back(
        {"", absl::StrCat("cannot read configuration file ", path, ": ", ec.message())});
    return failed;
  }
  if (size > kMaxConfigFileBytes) {
    failed.problems.push_back(
        {"", absl::StrCat("configuration file ", path, " is ", size,
                          " bytes; a configuration is at most ", kMaxConfigFileBytes, " bytes")});
    return failed;
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) {
    failed.problems.push_back({"", absl::StrCat("cannot read configuration file ", path)});
    return failed;
  }
  return ParseConfig(text.str(), dir, env, options);
}

absl::StatusOr<ServerConfig> LoadConfig(const std::string& path, const Environment& env,
                                        const ConfigLoadOptions& options) {
  ConfigLoadResult result = LoadConfigWithProblems(path, env, options);
  if (result.ok()) return std::move(result.config);
  std::string message = absl::StrCat("invalid configuration ", path, " (", result.problems.size(),
                                     result.problems.size() == 1 ? " problem):" : " problems):");
  for (const auto& problem : result.problems) absl::StrAppend(&message, "\n  ", problem.ToString());
  return absl::InvalidArgumentError(message);
}

std::vector<ConfigProblem> ValidateConfig(const ServerConfig& config) {
  Problems p;
  ValidateInto(config, p);
  return p.Take();
}

// ---- description ----

std::string DescribeConfig(const ServerConfig& c) {
  std::string out;
  const std::optional<uint32_t> party =
      c.threshold ? std::optional<uint32_t>(c.threshold->my_id) : std::nullopt;
  if (c.threshold.has_value()) {
    const ThresholdConfig& th = *c.threshold;
    const size_t n = th.peers.size();
    absl::StrAppend(&out, "mode: threshold, party ", th.my_id, " of ", n, "\n");
    absl::StrAppend(&out, "parties: n = ", n, ", t = ", th.threshold, " (tolerates ", th.threshold,
                    " malicious), t + 1 = ", th.threshold + 1,
                    " shares reconstruct, floor(2n/3) + 1 = ", 2 * n / 3 + 1, ", decryption needs ",
                    DecryptionQuorum(static_cast<int>(n), static_cast<int>(th.threshold)),
                    " reachable\n");
    absl::StrAppend(&out, "fhe parameters: ", FheParameterName(c.fhe_parameter()),
                    th.insecure ? " (insecure dealer key generation ENABLED)" : "", "\n");
    absl::StrAppend(&out, "peer network: ", th.listen_address, ":", th.listen_port,
                    ", round timeout ", th.round_timeout_secs, " s, decryption timeout ",
                    th.decryption_timeout_secs, " s, preprocessing sessions ",
                    th.preprocessing_sessions, ", chunks of ", th.preprocessing_chunk, " items\n");
    absl::StrAppend(&out, "tls: cert ", th.tls.cert, ", key ", th.tls.key, "\n");
    absl::StrAppend(&out, "peers:\n");
    std::vector<const PeerConfig*> sorted;
    for (const auto& peer : th.peers) sorted.push_back(&peer);
    std::sort(sorted.begin(), sorted.end(),
              [](const PeerConfig* a, const PeerConfig* b) { return a->party_id < b->party_id; });
    for (const PeerConfig* peer : sorted) {
      absl::StrAppend(&out, "  party ", peer->party_id, ": ", peer->address, ":", peer->port,
                      " identity ", peer->mpc_identity, " cert ", peer->tls_cert,
                      peer->party_id == th.my_id ? "  (this party)" : "", "\n");
    }
  } else {
    absl::StrAppend(&out, "mode: centralized\n");
    absl::StrAppend(&out, "fhe parameters: ", FheParameterName(c.fhe_parameter()), "\n");
  }
  if (c.service.allow_insecure_parameters) {
    absl::StrAppend(&out,
                    "insecure parameters: ALLOWED (service.allow_insecure_parameters; "
                    "requests may ask for \"test\"; never in production)\n");
  }
  absl::StrAppend(&out, "service: ", c.service.listen_address, ":", c.service.listen_port,
                  ", timeout ", c.service.timeout_secs, " s, result wait ",
                  c.service.result_wait_secs, " s, max message ", c.service.grpc_max_message_size,
                  " bytes\n");
  if (c.service.tls.has_value()) {
    absl::StrAppend(&out, "client port: mutual TLS, cert ", c.service.tls->cert, ", key ",
                    c.service.tls->key, "\n");
    for (const CallerConfig& caller : c.service.callers) {
      std::vector<std::string> roles;
      for (CallerRole r : caller.roles) roles.push_back(CallerRoleName(r));
      absl::StrAppend(&out, "  caller ", caller.name, ": ", absl::StrJoin(roles, ", "), " (cert ",
                      caller.cert, ")\n");
    }
  } else {
    absl::StrAppend(&out,
                    "client port: PLAINTEXT, unauthenticated (every caller holds every role; "
                    "development only)\n");
  }
  auto vault = [&](const char* name, const VaultConfig& v, storage::VaultRole role) {
    storage::StorageConfig s = c.ResolvedStorage(v);
    const std::string prefix = storage::DefaultVaultPrefix(role, party);
    std::visit(
        [&](auto& cfg) {
          if constexpr (requires { cfg.prefix; }) {
            if (cfg.prefix.empty()) cfg.prefix = prefix;
          }
        },
        s);
    std::string line = storage::DescribeStorageConfig(s);
    if (std::holds_alternative<storage::RamStorageConfig>(s)) {
      absl::StrAppend(&line, " prefix=", prefix, " (not persistent)");
    }
    absl::StrAppend(&out, name, ": ", line, "\n");
  };
  vault("public_vault", c.public_vault, storage::VaultRole::kPublic);
  vault("private_vault", c.private_vault, storage::VaultRole::kPrivate);
  if (c.backup_vault.has_value()) {
    vault("backup_vault", *c.backup_vault, storage::VaultRole::kBackup);
  } else {
    absl::StrAppend(&out, "backup_vault: none\n");
  }
  absl::StrAppend(&out, "telemetry: metrics ", c.telemetry.metrics_bind_address, ", log format ",
                  LogFormatName(c.telemetry.log_format), ", log level ",
                  LogLevelName(c.telemetry.log_level), "\n");
  const RateLimiterConfig& rl = c.rate_limiter;
  absl::StrAppend(&out, "rate_limiter: bucket ", rl.bucket_size, " tokens; costs pub_decrypt ",
                  rl.pub_decrypt, " and user_decrypt ", rl.user_decrypt, " per LWE block, keygen ",
                  rl.keygen, " per request, preproc ", rl.preproc, " per 10,000 bits, new_epoch ",
                  rl.new_epoch, " per request\n");
  const AdmissionConfig& a = c.admission;
  absl::StrAppend(&out, "admission: ", AdmissionPolicyName(a.policy));
  if (a.policy == AdmissionPolicy::kAttested) {
    std::vector<std::string> producers;
    for (const auto& p : a.producers) producers.push_back(crypto::ChecksumAddress(p));
    absl::StrAppend(&out, ", ", a.required, " of ", producers.size(), " producers (",
                    absl::StrJoin(producers, ", "), ")",
                    a.chain_id ? absl::StrCat(", chain id ", *a.chain_id) : "");
  } else if (a.policy == AdmissionPolicy::kOpen) {
    absl::StrAppend(&out,
                    " (INSECURE: any ciphertext is decrypted; the key is extractable by "
                    "anyone who can decrypt)");
  }
  absl::StrAppend(&out, "\n");
  return out;
}

absl::StatusOr<storage::VaultSet> OpenVaults(const ServerConfig& config) {
  std::optional<storage::StorageConfig> backup;
  if (config.backup_vault.has_value()) backup = config.ResolvedStorage(*config.backup_vault);
  return storage::OpenVaultSet(
      config.ResolvedStorage(config.public_vault), config.ResolvedStorage(config.private_vault),
      backup, config.threshold ? std::optional<uint32_t>(config.threshold->my_id) : std::nullopt);
}

}  // namespace kms::service
