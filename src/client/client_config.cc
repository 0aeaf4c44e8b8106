#include "client/client_config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/absl_compat_internal.h"
#include "client/endpoint.h"
#include "client/typed_encryption.h"
#include "common/status_macros.h"

namespace kms::client {
namespace {

class Problems {
 public:
  void Add(std::string path, std::string message) {
    lines_.push_back(absl::StrCat(path, ": ", message));
  }
  bool empty() const { return lines_.empty(); }
  std::string Joined() const { return absl::StrJoin(lines_, "\n  "); }

 private:
  std::vector<std::string> lines_;
};

// Reads an unsigned integer at `key` of `table` into `out` (left alone when absent).
template <class T>
void ReadUnsigned(const toml::table& table, std::string_view key, const std::string& path,
                  uint64_t max, T& out, Problems& problems) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return;
  const toml::value<int64_t>* v = node->as_integer();
  if (v == nullptr) {
    problems.Add(path, "expected an integer");
    return;
  }
  if (v->get() < 0 || static_cast<uint64_t>(v->get()) > max) {
    problems.Add(path, absl::StrCat("must be between 0 and ", max));
    return;
  }
  out = static_cast<T>(v->get());
}

// An operator address as client.toml must write it: "0x" and the EIP-55 checksummed form, so a
// mistyped digit is caught by the checksum instead of pinning a wrong operator.
absl::StatusOr<crypto::EthAddress> ParseSignerAddress(const std::string& text) {
  if (text.size() != 42 || text[0] != '0' || text[1] != 'x') {
    return absl::InvalidArgumentError(
        absl::StrCat("expected \"0x\" and 40 hex digits (EIP-55), got \"", text, "\""));
  }
  absl::StatusOr<crypto::EthAddress> address = crypto::ParseEthAddress(text);
  if (!address.ok()) return address.status();
  if (crypto::ChecksumAddress(*address) != text) {
    return absl::InvalidArgumentError(absl::StrCat("\"", text,
                                                   "\" is not EIP-55 checksummed; write it as ",
                                                   crypto::ChecksumAddress(*address)));
  }
  return address;
}

}  // namespace

bool ClientConfig::pinned() const {
  return !parties.empty() && std::all_of(parties.begin(), parties.end(),
                                         [](const auto& p) { return p.signer.has_value(); });
}

std::vector<std::string> ClientConfig::Addresses() const {
  std::vector<std::string> out;
  for (const auto& p : parties) out.push_back(p.address);
  return out;
}

absl::StatusOr<ClientConfig> ParseClientConfig(std::string_view toml_text) {
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("client configuration: TOML syntax error at line ", e.source().begin.line,
                     ", column ", e.source().begin.column, ": ", Av(e.description())));
  }
  ClientConfig config;
  Problems problems;
  static const std::set<std::string> kTopKeys = {"threshold",
                                                 "fhe_parameter",
                                                 "connection_timeout_secs",
                                                 "request_timeout_secs",
                                                 "operation_timeout_secs",
                                                 "tls",
                                                 "parties"};
  for (auto&& [k, v] : root) {
    if (!kTopKeys.contains(std::string(k.str()))) problems.Add(std::string(k.str()), "unknown key");
  }
  if (root.contains("threshold")) {
    uint32_t t = 0;
    ReadUnsigned(root, "threshold", "threshold", 15, t, problems);
    config.threshold = t;
  }
  if (const toml::node* fp = root.get("fhe_parameter")) {
    if (!fp->is_string() ||
        (fp->as_string()->get() != "test" && fp->as_string()->get() != "default")) {
      problems.Add("fhe_parameter", "expected \"test\" or \"default\"");
    } else {
      config.fhe_parameter = fp->as_string()->get();
    }
  }
  ReadUnsigned(root, "connection_timeout_secs", "connection_timeout_secs", 3600,
               config.connection_timeout_secs, problems);
  ReadUnsigned(root, "request_timeout_secs", "request_timeout_secs", 86400,
               config.request_timeout_secs, problems);
  ReadUnsigned(root, "operation_timeout_secs", "operation_timeout_secs", 7 * 86400,
               config.operation_timeout_secs, problems);
  if (const toml::node* tls_node = root.get("tls")) {
    const toml::table* tls = tls_node->as_table();
    if (tls == nullptr) {
      problems.Add("tls", "expected a table ([tls] with ca, cert, key)");
    } else {
      for (auto&& [k, v] : *tls) {
        std::string* field = k.str() == "ca"     ? &config.tls.ca
                             : k.str() == "cert" ? &config.tls.cert
                             : k.str() == "key"  ? &config.tls.key
                                                 : nullptr;
        if (field == nullptr) {
          problems.Add(absl::StrCat("tls.", Av(k.str())), "unknown key");
        } else if (!v.is_string() || v.as_string()->get().empty()) {
          problems.Add(absl::StrCat("tls.", Av(k.str())), "expected a non-empty path");
        } else {
          *field = v.as_string()->get();
        }
      }
      if (config.tls.ca.empty()) problems.Add("tls.ca", "missing required key");
      if (config.tls.cert.empty() != config.tls.key.empty()) {
        problems.Add("tls", "give cert and key together");
      }
    }
  }
  if (config.connection_timeout_secs == 0) problems.Add("connection_timeout_secs", "must be > 0");
  if (config.request_timeout_secs == 0) problems.Add("request_timeout_secs", "must be > 0");
  if (config.operation_timeout_secs == 0) problems.Add("operation_timeout_secs", "must be > 0");

  const toml::node* parties_node = root.get("parties");
  const toml::array* parties = parties_node ? parties_node->as_array() : nullptr;
  if (parties_node != nullptr && parties == nullptr) {
    problems.Add("parties", "expected an array of tables ([[parties]])");
  } else if (parties == nullptr || parties->empty()) {
    problems.Add("parties", "at least one [[parties]] entry is required");
  } else {
    std::set<uint32_t> ids;
    std::map<crypto::EthAddress, uint32_t> signers;
    size_t with_signer = 0;
    for (size_t i = 0; i < parties->size(); ++i) {
      const std::string path = absl::StrCat("parties[", i, "]");
      const toml::table* entry = parties->get(i)->as_table();
      if (entry == nullptr) {
        problems.Add(path, "expected a table");
        continue;
      }
      ClientPartyConfig party;
      for (auto&& [k, v] : *entry) {
        if (k.str() != "party_id" && k.str() != "address" && k.str() != "signer_address") {
          problems.Add(absl::StrCat(path, ".", Av(k.str())), "unknown key");
        }
      }
      if (!entry->contains("party_id")) {
        problems.Add(absl::StrCat(path, ".party_id"), "missing");
      } else {
        ReadUnsigned(*entry, "party_id", absl::StrCat(path, ".party_id"), 255, party.party_id,
                     problems);
        if (party.party_id == 0) {
          problems.Add(absl::StrCat(path, ".party_id"), "must be at least 1");
        } else if (!ids.insert(party.party_id).second) {
          problems.Add(absl::StrCat(path, ".party_id"),
                       absl::StrCat("party ", party.party_id, " listed twice"));
        }
      }
      const toml::node* address = entry->get("address");
      if (address == nullptr || !address->is_string()) {
        problems.Add(absl::StrCat(path, ".address"), "missing (expected \"host:port\")");
      } else {
        party.address = address->as_string()->get();
        absl::StatusOr<Endpoint> parsed = ParseEndpoint(party.address);
        if (!parsed.ok()) {
          problems.Add(absl::StrCat(path, ".address"), std::string(parsed.status().message()));
        }
      }
      if (const toml::node* signer = entry->get("signer_address")) {
        const std::string key = absl::StrCat(path, ".signer_address");
        absl::StatusOr<crypto::EthAddress> parsed =
            signer->is_string() ? ParseSignerAddress(signer->as_string()->get())
                                : absl::InvalidArgumentError("expected a string \"0x...\"");
        if (!parsed.ok()) {
          problems.Add(key, std::string(parsed.status().message()));
        } else if (auto [it, fresh] = signers.emplace(*parsed, party.party_id); !fresh) {
          problems.Add(
              key, absl::StrCat(crypto::ChecksumAddress(*parsed), " is already pinned for party ",
                                it->second, " (each operator has its own signing key)"));
        } else {
          party.signer = *parsed;
        }
        ++with_signer;
      }
      config.parties.push_back(std::move(party));
    }
    if (with_signer != 0 && with_signer != parties->size()) {
      problems.Add("parties",
                   absl::StrCat("signer_address is given for ", with_signer, " of ",
                                parties->size(), " parties: pin every party's operator or none"));
    }
  }
  if (config.threshold.has_value() && !config.parties.empty() &&
      config.parties.size() < 3 * *config.threshold + 1) {
    problems.Add("threshold", absl::StrCat("n = ", config.parties.size(),
                                           " parties cannot tolerate t = ", *config.threshold,
                                           " (n >= 3t + 1 is required)"));
  }
  if (!problems.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid client configuration:\n  ", problems.Joined()));
  }
  std::sort(config.parties.begin(), config.parties.end(),
            [](const auto& a, const auto& b) { return a.party_id < b.party_id; });
  return config;
}

absl::StatusOr<ClientConfig> LoadClientConfig(const std::string& path) {
  KMS_ASSIGN_OR_RETURN(std::string text, ReadFileBytes(path));
  absl::StatusOr<ClientConfig> config = ParseClientConfig(text);
  if (!config.ok()) {
    return absl::Status(config.status().code(),
                        absl::StrCat(path, ": ", config.status().message()));
  }
  // TLS paths are relative to the file's folder.
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  for (std::string* file : {&config->tls.ca, &config->tls.cert, &config->tls.key}) {
    if (!file->empty() && file->front() != '/') *file = (dir / *file).string();
  }
  return config;
}

std::string ClientConfigToToml(const ClientConfig& config) {
  std::string out = "# kms-client configuration: the parties of one KMS\n";
  if (config.threshold.has_value()) absl::StrAppend(&out, "threshold = ", *config.threshold, "\n");
  if (!config.fhe_parameter.empty()) {
    absl::StrAppend(&out, "fhe_parameter = \"", config.fhe_parameter, "\"\n");
  }
  absl::StrAppend(&out, "connection_timeout_secs = ", config.connection_timeout_secs, "\n");
  absl::StrAppend(&out, "request_timeout_secs = ", config.request_timeout_secs, "\n");
  absl::StrAppend(&out, "operation_timeout_secs = ", config.operation_timeout_secs, "\n");
  if (!config.tls.empty()) {
    absl::StrAppend(&out, "\n[tls]\nca = \"", config.tls.ca, "\"\n");
    if (!config.tls.cert.empty()) {
      absl::StrAppend(&out, "cert = \"", config.tls.cert, "\"\nkey = \"", config.tls.key, "\"\n");
    }
  }
  for (const auto& p : config.parties) {
    absl::StrAppend(&out, "\n[[parties]]\nparty_id = ", p.party_id, "\naddress = \"", p.address,
                    "\"\n");
    if (p.signer.has_value()) {
      absl::StrAppend(&out, "signer_address = \"", crypto::ChecksumAddress(*p.signer), "\"\n");
    }
  }
  return out;
}

}  // namespace kms::client
