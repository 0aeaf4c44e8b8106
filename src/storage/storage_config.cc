#include "storage/storage_config.h"

#include <libpq-fe.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "crypto/secure_zero.h"

namespace kms::storage {

namespace {

// host/port/dbname/user of a DSN; never the password (nor a fragment of an unparsable DSN).
std::string DescribeDsn(const std::string& dsn) {
  static constexpr std::string_view kPassword = "password";
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(dsn.c_str(), &err);
  if (options == nullptr) {
    PQfreemem(err);
    return "(unparsable dsn)";
  }
  // Shown in a fixed order, whatever order the DSN used.
  static constexpr const char* kShown[] = {"host", "hostaddr", "port", "dbname", "user"};
  std::string out;
  for (const char* key : kShown) {
    for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
      if (o->val == nullptr || std::strcmp(o->keyword, key) != 0) continue;
      if (!out.empty()) out.push_back(' ');
      absl::StrAppend(&out, key, "=", o->val);
    }
  }
  // Wipe the parsed password before libpq frees it.
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val != nullptr && kPassword == o->keyword) {
      crypto::SecureZero(o->val, std::strlen(o->val));
    }
  }
  PQconninfoFree(options);
  return out.empty() ? "(defaults)" : out;
}

}  // namespace

const char* StorageKind(const StorageConfig& config) {
  switch (config.index()) {
    case 0:
      return "file";
    case 1:
      return "s3";
    case 2:
      return "postgres";
    default:
      return "ram";
  }
}

std::string DescribeStorageConfig(const StorageConfig& config) {
  auto or_default = [](const std::string& p) { return p.empty() ? "(default)" : p; };
  if (const auto* f = std::get_if<FileStorageConfig>(&config)) {
    return absl::StrCat("file path=", f->path, " prefix=", or_default(f->prefix));
  }
  if (const auto* s = std::get_if<S3StorageConfig>(&config)) {
    return absl::StrCat(
        "s3 endpoint=", or_default(s->endpoint), " bucket=", s->bucket,
        " prefix=", or_default(s->prefix), " region=", or_default(s->region),
        " credentials=", s->access_key_id.empty() ? "environment" : "configuration");
  }
  if (const auto* p = std::get_if<PostgresStorageConfig>(&config)) {
    return absl::StrCat("postgres ", DescribeDsn(p->dsn), " prefix=", or_default(p->prefix));
  }
  return "ram";
}

}  // namespace kms::storage
