// File: storage/postgres_storage.h
//
// Storage in one PostgreSQL table (service-spec §5; `psql -d kms_db -c '\dt'` shows it):
//
//   kms_objects(vault_prefix text, data_type text, id text, data bytea,
//               updated_at timestamptz, primary key (vault_prefix, data_type, id))
//
// The table is created when missing (under an advisory lock, so servers starting together do not
// race). Every statement is parameterised (PQexecParams, values never spliced into SQL) and
// object bytes travel in binary format. Put is one upsert, so readers see the old or the new
// value, never a mix.
//
// Connections: a small pool (up to kMaxConnections) behind a mutex; a request borrows one for a
// single statement. A connection that breaks is dropped and the statement is retried once on a
// fresh connection, so a restarted database costs one error at most, not a restart of the server.
//
// The DSN may be a key=value string or a postgresql:// URI. Its password is never shown:
// Describe() lists host, port, dbname and user only, and error messages have the password
// removed. Errors: connection failures → Unavailable; insufficient privilege → PermissionDenied;
// out of space → ResourceExhausted; other server errors → Unavailable with the SQLSTATE.
//
// Thread safety: thread-safe.
#ifndef KMS_STORAGE_POSTGRES_STORAGE_H_
#define KMS_STORAGE_POSTGRES_STORAGE_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "storage/storage.h"

namespace kms::storage {

// Checks that `dsn` is a libpq connection string or URI, without connecting; InvalidArgument
// otherwise. The message never quotes the DSN (it may hold a password).
[[nodiscard]] absl::Status ValidatePostgresDsn(const std::string& dsn);

class PostgresStorage final : public Storage {
 public:
  static constexpr size_t kMaxConnections = 4;

  // Parses the DSN (InvalidArgument), connects and creates the table if missing (Unavailable
  // when the server cannot be reached).
  static absl::StatusOr<std::unique_ptr<PostgresStorage>> Connect(const std::string& dsn,
                                                                  std::string prefix);
  ~PostgresStorage() override;
  PostgresStorage(const PostgresStorage&) = delete;
  PostgresStorage& operator=(const PostgresStorage&) = delete;

  absl::Status Put(std::string_view data_type, std::string_view id, ByteSpan data) override;
  absl::StatusOr<Bytes> Get(std::string_view data_type, std::string_view id) override;
  absl::StatusOr<bool> Exists(std::string_view data_type, std::string_view id) override;
  absl::StatusOr<std::vector<std::string>> List(std::string_view data_type) override;
  absl::Status Delete(std::string_view data_type, std::string_view id) override;
  std::string Describe() const override;
  const std::string& prefix() const override { return prefix_; }

 private:
  class Conn;
  struct Statement;
  struct Result;

  PostgresStorage(std::vector<std::string> keywords, std::vector<std::string> values,
                  std::string password, std::string description, std::string prefix);

  // Runs `statement` on a pooled connection; retries once on a fresh connection when the first
  // one turns out to be broken.
  absl::StatusOr<Result> Run(const Statement& statement);
  absl::StatusOr<std::unique_ptr<Conn>> Borrow();
  void Return(std::unique_ptr<Conn> conn);
  absl::StatusOr<std::unique_ptr<Conn>> OpenConnection() const;
  absl::Status EnsureTable();
  // Removes the password from a libpq message.
  std::string Scrub(std::string message) const;

  // Connection parameters for PQconnectdbParams, without the password (kept apart so it can be
  // zeroed and scrubbed from messages).
  const std::vector<std::string> keywords_;
  const std::vector<std::string> values_;
  std::string password_;
  const std::string description_;
  const std::string prefix_;

  std::mutex mu_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Conn>> idle_ ABSL_GUARDED_BY(mu_);
  size_t open_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace kms::storage

#endif  // KMS_STORAGE_POSTGRES_STORAGE_H_
