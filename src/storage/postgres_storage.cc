#include "storage/postgres_storage.h"

#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "crypto/secure_zero.h"
#include "storage/stream_internal.h"

namespace kms::storage {

// One libpq connection, closed on destruction.
class PostgresStorage::Conn {
 public:
  explicit Conn(PGconn* conn) : conn_(conn) {}
  ~Conn() { PQfinish(conn_); }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  PGconn* get() const { return conn_; }
  bool broken() const { return PQstatus(conn_) != CONNECTION_OK; }

 private:
  PGconn* conn_;
};

// One parameterised statement. Every parameter and every result column is sent in binary
// format: text columns as their raw bytes, bytea as the object bytes, no escaping anywhere.
struct PostgresStorage::Statement {
  const char* sql;
  std::vector<ByteSpan> params;
};

struct PostgresStorage::Result {
  struct Deleter {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  std::unique_ptr<PGresult, Deleter> res;
  PGresult* get() const { return res.get(); }
};

namespace {

constexpr const char* kCreateTableSql =
    "CREATE TABLE IF NOT EXISTS kms_objects ("
    " vault_prefix text NOT NULL,"
    " data_type text NOT NULL,"
    " id text NOT NULL,"
    " data bytea NOT NULL,"
    " updated_at timestamptz NOT NULL DEFAULT now(),"
    " PRIMARY KEY (vault_prefix, data_type, id))";
// Parts 1, 2, ... of objects larger than one chunk (the head row holds the first chunk).
constexpr const char* kCreatePartsTableSql =
    "CREATE TABLE IF NOT EXISTS kms_object_parts ("
    " vault_prefix text NOT NULL,"
    " data_type text NOT NULL,"
    " id text NOT NULL,"
    " part integer NOT NULL,"
    " data bytea NOT NULL,"
    " PRIMARY KEY (vault_prefix, data_type, id, part),"
    " FOREIGN KEY (vault_prefix, data_type, id) REFERENCES kms_objects ON DELETE CASCADE)";
// Key material does not compress; trying to costs time on every write.
constexpr const char* kPartsStorageSql =
    "ALTER TABLE kms_object_parts ALTER COLUMN data SET STORAGE EXTERNAL";
constexpr const char* kProbeTablesSql =
    "SELECT to_regclass('kms_objects') IS NOT NULL, to_regclass('kms_object_parts') IS NOT NULL";
// pg_advisory_xact_lock key serialising table creation between servers ("kms_objs").
constexpr const char* kCreateLockSql = "SELECT pg_advisory_xact_lock(7740871262513523571)";

constexpr const char* kPutSql =
    "INSERT INTO kms_objects (vault_prefix, data_type, id, data, updated_at)"
    " VALUES ($1, $2, $3, $4, now())"
    " ON CONFLICT (vault_prefix, data_type, id)"
    " DO UPDATE SET data = EXCLUDED.data, updated_at = now()";
constexpr const char* kDeletePartsSql =
    "DELETE FROM kms_object_parts WHERE vault_prefix = $1 AND data_type = $2 AND id = $3";
constexpr const char* kInsertPartSql =
    "INSERT INTO kms_object_parts (vault_prefix, data_type, id, part, data)"
    " VALUES ($1, $2, $3, $4, $5)";
// The head row's data, the number of parts and the object's size.
constexpr const char* kHeadSql =
    "SELECT o.data,"
    " (SELECT count(*) FROM kms_object_parts p"
    "  WHERE p.vault_prefix = $1 AND p.data_type = $2 AND p.id = $3)::int8,"
    " (octet_length(o.data) + coalesce((SELECT sum(octet_length(p.data)) FROM kms_object_parts p"
    "  WHERE p.vault_prefix = $1 AND p.data_type = $2 AND p.id = $3), 0))::int8"
    " FROM kms_objects o WHERE o.vault_prefix = $1 AND o.data_type = $2 AND o.id = $3";
constexpr const char* kSizeSql =
    "SELECT (octet_length(o.data) + coalesce((SELECT sum(octet_length(p.data))"
    "  FROM kms_object_parts p"
    "  WHERE p.vault_prefix = $1 AND p.data_type = $2 AND p.id = $3), 0))::int8"
    " FROM kms_objects o WHERE o.vault_prefix = $1 AND o.data_type = $2 AND o.id = $3";
constexpr const char* kGetPartSql =
    "SELECT data FROM kms_object_parts"
    " WHERE vault_prefix = $1 AND data_type = $2 AND id = $3 AND part = $4";
constexpr const char* kBeginWriteSql = "BEGIN";
constexpr const char* kBeginReadSql = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
constexpr const char* kExistsSql =
    "SELECT 1 FROM kms_objects WHERE vault_prefix = $1 AND data_type = $2 AND id = $3";
constexpr const char* kListSql =
    "SELECT id FROM kms_objects WHERE vault_prefix = $1 AND data_type = $2"
    " ORDER BY id COLLATE \"C\"";
constexpr const char* kDeleteSql =
    "DELETE FROM kms_objects WHERE vault_prefix = $1 AND data_type = $2 AND id = $3";

void IgnoreNotice(void*, const char*) {}

// PQconninfoFree does not wipe a parsed password; do it before freeing.
void FreeOptions(PQconninfoOption* options) {
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val != nullptr && std::strcmp(o->keyword, "password") == 0) {
      crypto::SecureZero(o->val, std::strlen(o->val));
    }
  }
  PQconninfoFree(options);
}

// Binary int4 / int8 (network byte order).
std::array<uint8_t, 4> Int4(uint32_t v) {
  return {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
          static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}

std::optional<uint64_t> Int8At(PGresult* r, int row, int column) {
  if (PQgetisnull(r, row, column) || PQgetlength(r, row, column) != 8) return std::nullopt;
  const auto* p = reinterpret_cast<const uint8_t*>(PQgetvalue(r, row, column));
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | p[i];
  return v;
}

ByteSpan BytesAt(PGresult* r, int row, int column) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(PQgetvalue(r, row, column)),
                  static_cast<size_t>(PQgetlength(r, row, column)));
}

std::string TrimNewlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

absl::Status MapSqlState(std::string_view sqlstate, std::string msg) {
  if (sqlstate.starts_with("08") || sqlstate.starts_with("57P")) {
    return absl::UnavailableError(std::move(msg));
  }
  if (sqlstate.starts_with("28") || sqlstate == "42501") {
    return absl::PermissionDeniedError(std::move(msg));
  }
  if (sqlstate.starts_with("53")) return absl::ResourceExhaustedError(std::move(msg));
  if (sqlstate == "42P01") return absl::FailedPreconditionError(std::move(msg));
  if (sqlstate.starts_with("42")) return absl::InternalError(std::move(msg));
  return absl::UnavailableError(std::move(msg));
}

}  // namespace

absl::Status ValidatePostgresDsn(const std::string& dsn) {
  if (dsn.empty()) return absl::InvalidArgumentError("postgres dsn is empty");
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(dsn.c_str(), &err);
  if (options != nullptr) {
    FreeOptions(options);
    return absl::OkStatus();
  }
  // libpq's message can quote a fragment of the string (possibly the password), so only the
  // unknown-option case, which names an option, is passed on.
  std::string detail;
  if (err != nullptr && std::strncmp(err, "invalid connection option", 25) == 0) {
    detail = absl::StrCat(": ", TrimNewlines(err));
  }
  PQfreemem(err);
  return absl::InvalidArgumentError(
      absl::StrCat("postgres dsn is not a valid libpq connection string or URI", detail));
}

PostgresStorage::PostgresStorage(std::vector<std::string> keywords, std::vector<std::string> values,
                                 std::string password, std::string description, std::string prefix,
                                 StreamOptions stream)
    : keywords_(std::move(keywords)),
      values_(std::move(values)),
      password_(std::move(password)),
      description_(std::move(description)),
      prefix_(std::move(prefix)),
      stream_(stream) {}

PostgresStorage::~PostgresStorage() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    idle_.clear();
  }
  crypto::SecureZero(password_.data(), password_.size());
}

absl::StatusOr<std::unique_ptr<PostgresStorage>> PostgresStorage::Connect(const std::string& dsn,
                                                                          std::string prefix,
                                                                          StreamOptions stream) {
  KMS_RETURN_IF_ERROR(ValidatePrefix(prefix));
  KMS_RETURN_IF_ERROR(ValidateStreamOptions(stream));
  KMS_RETURN_IF_ERROR(ValidatePostgresDsn(dsn));
  PQconninfoOption* options = PQconninfoParse(dsn.c_str(), nullptr);
  if (options == nullptr) return absl::ResourceExhaustedError("postgres: out of memory");
  std::vector<std::string> keywords, values;
  std::string password, host, hostaddr, port, dbname, user;
  bool has_timeout = false, has_app = false;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string_view k = o->keyword;
    if (k == "password") {
      password = o->val;
      continue;
    }
    if (k == "host") host = o->val;
    if (k == "hostaddr") hostaddr = o->val;
    if (k == "port") port = o->val;
    if (k == "dbname") dbname = o->val;
    if (k == "user") user = o->val;
    if (k == "connect_timeout") has_timeout = true;
    if (k == "application_name") has_app = true;
    keywords.emplace_back(o->keyword);
    values.emplace_back(o->val);
  }
  FreeOptions(options);
  // A database that does not answer must not hang start-up.
  if (!has_timeout) {
    keywords.emplace_back("connect_timeout");
    values.emplace_back("10");
  }
  if (!has_app) {
    keywords.emplace_back("application_name");
    values.emplace_back("kms-server");
  }
  std::string description = absl::StrCat(
      "postgres:host=", host.empty() ? (hostaddr.empty() ? "(default)" : hostaddr) : host,
      " port=", port.empty() ? "(default)" : port,
      " dbname=", dbname.empty() ? "(default)" : dbname,
      " user=", user.empty() ? "(default)" : user, " table=kms_objects prefix=", prefix);
  std::unique_ptr<PostgresStorage> storage(
      new PostgresStorage(std::move(keywords), std::move(values), std::move(password),
                          std::move(description), std::move(prefix), stream));
  KMS_RETURN_IF_ERROR(storage->EnsureTable());
  return storage;
}

std::string PostgresStorage::Scrub(std::string message) const {
  message = TrimNewlines(std::move(message));
  if (password_.empty()) return message;
  size_t pos = 0;
  while ((pos = message.find(password_, pos)) != std::string::npos) {
    message.replace(pos, password_.size(), "[REDACTED]");
    pos += 10;
  }
  return message;
}

absl::StatusOr<std::unique_ptr<PostgresStorage::Conn>> PostgresStorage::OpenConnection() const {
  std::vector<const char*> kw, val;
  for (size_t i = 0; i < keywords_.size(); ++i) {
    kw.push_back(keywords_[i].c_str());
    val.push_back(values_[i].c_str());
  }
  if (!password_.empty()) {
    kw.push_back("password");
    val.push_back(password_.c_str());
  }
  kw.push_back(nullptr);
  val.push_back(nullptr);
  PGconn* raw = PQconnectdbParams(kw.data(), val.data(), 0);
  if (raw == nullptr) return absl::ResourceExhaustedError("postgres: out of memory");
  auto conn = std::make_unique<Conn>(raw);
  if (conn->broken()) {
    return absl::UnavailableError(absl::StrCat("postgres: cannot connect to ", description_, ": ",
                                               Scrub(PQerrorMessage(raw))));
  }
  PQsetNoticeProcessor(raw, &IgnoreNotice, nullptr);
  return conn;
}

absl::StatusOr<std::unique_ptr<PostgresStorage::Conn>> PostgresStorage::Borrow() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    available_.wait(lock, [&] { return !idle_.empty() || open_ < kMaxConnections; });
    if (!idle_.empty()) {
      std::unique_ptr<Conn> conn = std::move(idle_.back());
      idle_.pop_back();
      return conn;
    }
    ++open_;
  }
  auto conn = OpenConnection();
  if (!conn.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    --open_;
    available_.notify_one();
  }
  return conn;
}

void PostgresStorage::Return(std::unique_ptr<Conn> conn) {
  std::lock_guard<std::mutex> lock(mu_);
  if (conn == nullptr || conn->broken()) {
    --open_;
  } else {
    idle_.push_back(std::move(conn));
  }
  available_.notify_one();
}

absl::StatusOr<PostgresStorage::Result> PostgresStorage::Exec(Conn& conn,
                                                              const Statement& statement) {
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  for (ByteSpan p : statement.params) {
    // libpq wants a non-null pointer for a non-null (possibly empty) binary value.
    values.push_back(p.empty() ? "" : reinterpret_cast<const char*>(p.data()));
    lengths.push_back(static_cast<int>(p.size()));
    formats.push_back(1);
  }
  Result result;
  result.res.reset(PQexecParams(conn.get(), statement.sql, static_cast<int>(values.size()), nullptr,
                                values.data(), lengths.data(), formats.data(),
                                /*resultFormat=*/1));
  const ExecStatusType status =
      result.get() == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(result.get());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  if (conn.broken()) {
    return absl::UnavailableError(absl::StrCat("postgres: connection to ", description_,
                                               " lost: ", Scrub(PQerrorMessage(conn.get()))));
  }
  const char* state = result.get() ? PQresultErrorField(result.get(), PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = state != nullptr ? state : "";
  std::string msg = absl::StrCat(
      "postgres (", description_,
      "): ", Scrub(result.get() ? PQresultErrorMessage(result.get()) : PQerrorMessage(conn.get())),
      sqlstate.empty() ? "" : absl::StrCat(" [SQLSTATE ", sqlstate, "]"));
  return MapSqlState(sqlstate, std::move(msg));
}

absl::StatusOr<PostgresStorage::Result> PostgresStorage::Run(const Statement& statement) {
  for (int attempt = 0;; ++attempt) {
    KMS_ASSIGN_OR_RETURN(std::unique_ptr<Conn> conn, Borrow());
    auto result = Exec(*conn, statement);
    const bool broken = conn->broken();
    Return(std::move(conn));  // dropped when broken: broken connections are not pooled
    // The server may have restarted since the connection was pooled; one fresh try.
    if (!result.ok() && broken && attempt == 0) continue;
    return result;
  }
}

absl::StatusOr<std::unique_ptr<PostgresStorage::Conn>> PostgresStorage::BeginTransaction(
    const char* begin_sql) {
  for (int attempt = 0;; ++attempt) {
    KMS_ASSIGN_OR_RETURN(std::unique_ptr<Conn> conn, Borrow());
    auto begun = Exec(*conn, {begin_sql, {}});
    if (begun.ok()) return conn;
    const bool broken = conn->broken();
    Return(std::move(conn));
    if (!broken || attempt > 0) return begun.status();
  }
}

absl::Status PostgresStorage::EndTransaction(std::unique_ptr<Conn> conn, absl::Status status) {
  if (status.ok()) {
    auto committed = Exec(*conn, {"COMMIT", {}});
    if (!committed.ok()) status = committed.status();
  } else if (!conn->broken()) {
    (void)Exec(*conn, {"ROLLBACK", {}});
  }
  Return(std::move(conn));
  return status;
}

absl::Status PostgresStorage::EnsureTable() {
  KMS_ASSIGN_OR_RETURN(std::unique_ptr<Conn> conn, Borrow());
  auto exec = [&](const char* sql) -> absl::Status {
    Result r;
    r.res.reset(PQexec(conn->get(), sql));
    const ExecStatusType st = r.get() == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(r.get());
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return absl::OkStatus();
    const char* state = r.get() ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
    return MapSqlState(state ? state : "08000",
                       absl::StrCat("postgres (", description_,
                                    "): creating tables kms_objects and kms_object_parts: ",
                                    Scrub(PQerrorMessage(conn->get()))));
  };
  // Which tables exist: {kms_objects, kms_object_parts}; nullopt when the probe fails.
  auto probe = [&]() -> std::optional<std::pair<bool, bool>> {
    Result r;
    r.res.reset(PQexec(conn->get(), kProbeTablesSql));
    if (r.get() == nullptr || PQresultStatus(r.get()) != PGRES_TUPLES_OK ||
        PQntuples(r.get()) != 1 || PQnfields(r.get()) != 2) {
      return std::nullopt;
    }
    return std::make_pair(std::strcmp(PQgetvalue(r.get(), 0, 0), "t") == 0,
                          std::strcmp(PQgetvalue(r.get(), 0, 1), "t") == 0);
  };
  // Existing tables need no CREATE privilege; only missing ones are created.
  const auto before = probe();
  if (before.has_value() && before->first && before->second) {
    Return(std::move(conn));
    return absl::OkStatus();
  }
  absl::Status s = exec("BEGIN");
  if (s.ok()) s = exec(kCreateLockSql);
  // Another server may have created them while this one waited for the lock.
  const auto locked = s.ok() ? probe() : std::nullopt;
  if (s.ok()) s = exec(kCreateTableSql);
  if (s.ok()) s = exec(kCreatePartsTableSql);
  if (s.ok() && !(locked.has_value() && locked->second)) s = exec(kPartsStorageSql);
  if (s.ok()) s = exec("COMMIT");
  if (!s.ok() && !conn->broken()) (void)exec("ROLLBACK");
  Return(std::move(conn));
  return s;
}

absl::Status PostgresStorage::Put(std::string_view data_type, std::string_view id, ByteSpan data) {
  KMS_RETURN_IF_ERROR(ValidateObjectName(data_type, id));
  KMS_RETURN_IF_ERROR(internal::CheckPutSize(
      data.size(), absl::StrCat("postgres object ", ObjectKey(prefix_, data_type, id))));
  return Write(data_type, id, internal::WholeObject(data), kMaxObjectSize);
}

absl::Status PostgresStorage::PutStream(std::string_view data_type, std::string_view id,
                                        const ObjectProducer& produce) {
  KMS_RETURN_IF_ERROR(ValidateObjectName(data_type, id));
  return Write(data_type, id, produce, stream_.max_object_size);
}

absl::Status PostgresStorage::Write(std::string_view data_type, std::string_view id,
                                    const ObjectProducer& produce, uint64_t limit) {
  const std::string key = ObjectKey(prefix_, data_type, id);
  const std::string what = absl::StrCat("postgres object ", key);
  auto context = [&](const absl::Status& s) {
    return absl::Status(s.code(), absl::StrCat("postgres: writing ", key, ": ", s.message()));
  };
  const ByteSpan p = AsBytes(prefix_), t = AsBytes(data_type), i = AsBytes(id);
  std::unique_ptr<Conn> conn;  // in a transaction once the first chunk is there
  uint32_t parts = 0;
  auto write_chunk = [&](ByteSpan chunk) -> absl::Status {
    if (conn == nullptr) {
      auto begun = BeginTransaction(kBeginWriteSql);
      if (!begun.ok()) return context(begun.status());
      conn = std::move(*begun);
      // The upsert locks the row: a concurrent writer of this object waits here until this
      // transaction ends, and then deletes the parts this one committed.
      auto head = Exec(*conn, {kPutSql, {p, t, i, chunk}});
      if (!head.ok()) return context(head.status());
      auto old_parts = Exec(*conn, {kDeletePartsSql, {p, t, i}});
      if (!old_parts.ok()) return context(old_parts.status());
      return absl::OkStatus();
    }
    if (parts == UINT32_MAX >> 1) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": too many parts"));
    }
    const auto number = Int4(++parts);
    auto inserted = Exec(*conn, {kInsertPartSql, {p, t, i, number, chunk}});
    if (!inserted.ok()) return context(inserted.status());
    return absl::OkStatus();
  };
  internal::Rechunker chunks(stream_.chunk_size, limit, internal::StreamTooLarge(what, limit),
                             write_chunk);
  absl::Status s = internal::RunProducer(produce, chunks, what);
  if (s.ok()) {
    // An object shorter than one chunk (or empty) is the head row alone.
    s = chunks.chunks_emitted() == 0 ? write_chunk(chunks.pending()) : chunks.Flush();
  }
  if (conn == nullptr) return s;
  const bool written = s.ok();
  s = EndTransaction(std::move(conn), s);
  return written && !s.ok() ? context(s) : s;  // COMMIT's own error, not yet annotated
}

absl::StatusOr<Bytes> PostgresStorage::Get(std::string_view data_type, std::string_view id) {
  KMS_RETURN_IF_ERROR(ValidateObjectName(data_type, id));
  Bytes out;
  internal::ReadTarget target(&out);
  KMS_RETURN_IF_ERROR(Read(data_type, id, target));
  return out;
}

absl::Status PostgresStorage::GetStream(std::string_view data_type, std::string_view id,
                                        const ByteSink& sink) {
  KMS_RETURN_IF_ERROR(ValidateObjectName(data_type, id));
  internal::ReadTarget target(sink, stream_);
  return Read(data_type, id, target);
}

absl::Status PostgresStorage::Read(std::string_view data_type, std::string_view id,
                                   internal::ReadTarget& target) {
  const std::string key = ObjectKey(prefix_, data_type, id);
  const std::string what = absl::StrCat("postgres object ", key);
  const ByteSpan p = AsBytes(prefix_), t = AsBytes(data_type), i = AsBytes(id);
  struct Head {
    ByteSpan data;
    uint64_t parts;
    uint64_t size;
  };
  auto parse_head = [&](const Result& r) -> absl::StatusOr<Head> {
    if (PQntuples(r.get()) == 0)
      return absl::NotFoundError(absl::StrCat("postgres: no object ", key));
    const auto parts = Int8At(r.get(), 0, 1);
    const auto size = Int8At(r.get(), 0, 2);
    if (PQntuples(r.get()) != 1 || PQnfields(r.get()) != 3 || PQgetisnull(r.get(), 0, 0) ||
        !parts.has_value() || !size.has_value()) {
      return absl::DataLossError(absl::StrCat("postgres: malformed row for ", key));
    }
    return Head{BytesAt(r.get(), 0, 0), *parts, *size};
  };
  // Usually the row is the whole object and one statement reads it.
  KMS_ASSIGN_OR_RETURN(Result first, Run({kHeadSql, {p, t, i}}));
  KMS_ASSIGN_OR_RETURN(Head head, parse_head(first));
  if (head.parts == 0) {
    KMS_RETURN_IF_ERROR(target.Begin(head.size, what));
    KMS_RETURN_IF_ERROR(target.Write(head.data));
    return target.End();
  }
  // A streamed object: row and parts from one snapshot, part by part.
  KMS_ASSIGN_OR_RETURN(std::unique_ptr<Conn> conn, BeginTransaction(kBeginReadSql));
  auto read = [&]() -> absl::Status {
    KMS_ASSIGN_OR_RETURN(Result again, Exec(*conn, {kHeadSql, {p, t, i}}));
    KMS_ASSIGN_OR_RETURN(head, parse_head(again));
    KMS_RETURN_IF_ERROR(target.Begin(head.size, what));
    KMS_RETURN_IF_ERROR(target.Write(head.data));
    for (uint64_t n = 1; n <= head.parts; ++n) {
      if (n > UINT32_MAX >> 1)
        return absl::DataLossError(absl::StrCat(what, " has too many parts"));
      const auto number = Int4(static_cast<uint32_t>(n));
      KMS_ASSIGN_OR_RETURN(Result part, Exec(*conn, {kGetPartSql, {p, t, i, number}}));
      if (PQntuples(part.get()) != 1 || PQnfields(part.get()) != 1 ||
          PQgetisnull(part.get(), 0, 0)) {
        return absl::DataLossError(absl::StrCat(what, " lacks part ", n, " of ", head.parts));
      }
      KMS_RETURN_IF_ERROR(target.Write(BytesAt(part.get(), 0, 0)));
    }
    return target.End();
  };
  return EndTransaction(std::move(conn), read());
}

absl::StatusOr<uint64_t> PostgresStorage::Size(std::string_view data_type, std::string_view id) {
  KMS_RETURN_IF_ERROR(ValidateObjectName(data_type, id));
  KMS_ASSIGN_OR_RETURN(Result r,
                       Run({kSizeSql, {AsBytes(prefix_), AsBytes(data_type), AsBytes(id)}}));
  if (PQntuples(r.get()) == 0) {
    return absl::NotFoundError(
        absl::StrCat("postgres: no object ", ObjectKey(prefix_, data_type, id)));
  }
  const auto size = PQnfields(r.get()) == 1 ? Int8At(r.get(), 0, 0) : std::nullopt;
  if (PQntuples(r.get()) != 1 || !size.has_value()) {
    return absl::DataLossError(
        absl::StrCat("postgres: malformed row for ", ObjectKey(prefix_, data_type, id)));
  }
  return *size;
}

absl::StatusOr<bool> PostgresStorage::Exists(std::string_view data_type, std::string_view id) {
  KMS_RETURN_IF_ERROR(ValidateObjectName(data_type, id));
  KMS_ASSIGN_OR_RETURN(Result r,
                       Run({kExistsSql, {AsBytes(prefix_), AsBytes(data_type), AsBytes(id)}}));
  return PQntuples(r.get()) > 0;
}

absl::StatusOr<std::vector<std::string>> PostgresStorage::List(std::string_view data_type) {
  KMS_RETURN_IF_ERROR(ValidateDataType(data_type));
  KMS_ASSIGN_OR_RETURN(Result r, Run({kListSql, {AsBytes(prefix_), AsBytes(data_type)}}));
  std::vector<std::string> ids;
  const int rows = PQntuples(r.get());
  ids.reserve(static_cast<size_t>(rows));
  for (int i = 0; i < rows; ++i) {
    std::string id(PQgetvalue(r.get(), i, 0), static_cast<size_t>(PQgetlength(r.get(), i, 0)));
    // Rows written by something else with names this class would refuse are not objects.
    if (ValidateId(id).ok()) ids.push_back(std::move(id));
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

absl::Status PostgresStorage::Delete(std::string_view data_type, std::string_view id) {
  KMS_RETURN_IF_ERROR(ValidateObjectName(data_type, id));
  KMS_ASSIGN_OR_RETURN(Result r,
                       Run({kDeleteSql, {AsBytes(prefix_), AsBytes(data_type), AsBytes(id)}}));
  if (std::string_view(PQcmdTuples(r.get())) == "0") {
    return absl::NotFoundError(
        absl::StrCat("postgres: no object ", ObjectKey(prefix_, data_type, id)));
  }
  return absl::OkStatus();
}

std::string PostgresStorage::Describe() const { return description_; }

}  // namespace kms::storage
