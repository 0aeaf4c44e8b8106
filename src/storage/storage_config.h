// File: storage/storage_config.h
//
// Which backend a vault uses and where, as read from the configuration file (service-spec §4):
// exactly one of
//
//   [<vault>.storage.file]      path, prefix
//   [<vault>.storage.s3]        bucket, prefix, endpoint, region, access_key_id?,
//   secret_access_key?
//   [<vault>.storage.postgres]  dsn, prefix
//   [<vault>.storage.ram]       (nothing)
//
// An empty prefix means "the vault's default" (PUB-p<i>, PRIV-p<i>, BACKUP-p<i>; see vault.h).
// These are plain values; MakeStorage (vault.h) turns one into a Storage. The S3 secret and the
// DSN (which may hold a password) are secrets: print them only through DescribeStorageConfig.
#ifndef KMS_STORAGE_STORAGE_CONFIG_H_
#define KMS_STORAGE_STORAGE_CONFIG_H_

#include <string>
#include <variant>

namespace kms::storage {

struct FileStorageConfig {
  std::string path;  // root folder; relative paths are resolved by the config loader
  std::string prefix;
};

struct S3StorageConfig {
  std::string bucket;
  std::string prefix;
  std::string endpoint;  // "http(s)://host[:port]"
  std::string region;
  // Empty: taken from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY when the storage is made.
  std::string access_key_id;
  std::string secret_access_key;
};

struct PostgresStorageConfig {
  std::string dsn;  // libpq key=value string or postgresql:// URI; may contain a password
  std::string prefix;
};

struct RamStorageConfig {};

using StorageConfig =
    std::variant<FileStorageConfig, S3StorageConfig, PostgresStorageConfig, RamStorageConfig>;

// "file", "s3", "postgres" or "ram".
const char* StorageKind(const StorageConfig& config);

// One line without secrets, e.g. "s3 endpoint=http://127.0.0.1:9000 bucket=kms prefix=PUB-p1
// region=us-east-1". The DSN is reduced to host, port, dbname and user.
std::string DescribeStorageConfig(const StorageConfig& config);

}  // namespace kms::storage

#endif  // KMS_STORAGE_STORAGE_CONFIG_H_
