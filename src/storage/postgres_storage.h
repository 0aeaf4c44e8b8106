// File: storage/postgres_storage.h
//
// Storage in two PostgreSQL tables (service-spec §5; `psql -d kms_db -c '\dt'` shows them):
//
//   kms_objects(vault_prefix text, data_type text, id text, data bytea,
//               updated_at timestamptz, primary key (vault_prefix, data_type, id))
//   kms_object_parts(vault_prefix text, data_type text, id text, part integer, data bytea,
//               primary key (vault_prefix, data_type, id, part),
//               foreign key (vault_prefix, data_type, id) references kms_objects on delete cascade)
//
// An object is its kms_objects row's data followed by the data of its kms_object_parts rows 1, 2,
// ... in order. An object of at most one chunk (StreamOptions::chunk_size, 16 MiB by default) is
// the row alone, as every object was before streams existed; a larger one (a streamed ServerKey:
// about 100 rows) has its first chunk in the row and one chunk per part, so no value comes near
// bytea's 1 GiB cap. Part data is stored uncompressed (STORAGE EXTERNAL: key material does not
// compress).
//
// Put and PutStream take the same path, in one transaction on one connection: at the first chunk
// the row is upserted (which locks it, so concurrent writers of one object queue here) and the
// old parts are deleted, then each further chunk is inserted as a part, then COMMIT. Readers see
// the old object until the commit; a failed stream is rolled back and leaves nothing. The
// producer runs while the transaction is open: a server-side idle_in_transaction_session_timeout
// shorter than the producer's pauses would abort the write. A producer that itself uses this
// same PostgresStorage takes a second pooled connection.
// Get of an object without parts is one statement; otherwise Get and GetStream read the row and
// then each part by its key in one REPEATABLE READ READ ONLY transaction, so they see one version
// however long the sink takes. Delete is one statement (the parts follow by the cascade); List
// and Exists read kms_objects only; Size sums octet_length without reading data.
//
// The tables are created when missing (under an advisory lock, so servers starting together do
// not race); a database from before streams gets kms_object_parts added at the next start, which
// needs the CREATE privilege once. Every statement is parameterised (PQexecParams, values never
// spliced into SQL) and object bytes travel in binary format.
//
// Connections: a small pool (up to kMaxConnections) behind a mutex; a request borrows one for a
// single statement or one transaction. A connection that breaks is dropped and the statement (or
// the transaction's BEGIN) is retried once on a fresh connection, so a restarted database costs
// one error at most, not a restart of the server; a transaction broken in the middle fails.
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

namespace internal {
class ReadTarget;
}  // namespace internal

// Checks that `dsn` is a libpq connection string or URI, without connecting; InvalidArgument
// otherwise. The message never quotes the DSN (it may hold a password).
[[nodiscard]] absl::Status ValidatePostgresDsn(const std::string& dsn);

class PostgresStorage final : public Storage {
 public:
  static constexpr size_t kMaxConnections = 4;

  // Parses the DSN (InvalidArgument), connects and creates the tables if missing (Unavailable
  // when the server cannot be reached).
  static absl::StatusOr<std::unique_ptr<PostgresStorage>> Connect(const std::string& dsn,
                                                                  std::string prefix,
                                                                  StreamOptions stream = {});
  ~PostgresStorage() override;
  PostgresStorage(const PostgresStorage&) = delete;
  PostgresStorage& operator=(const PostgresStorage&) = delete;

  absl::Status Put(std::string_view data_type, std::string_view id, ByteSpan data) override;
  absl::StatusOr<Bytes> Get(std::string_view data_type, std::string_view id) override;
  absl::Status PutStream(std::string_view data_type, std::string_view id,
                         const ObjectProducer& produce) override;
  absl::Status GetStream(std::string_view data_type, std::string_view id,
                         const ByteSink& sink) override;
  absl::StatusOr<uint64_t> Size(std::string_view data_type, std::string_view id) override;
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
                  std::string password, std::string description, std::string prefix,
                  StreamOptions stream);

  // Runs `statement` on a pooled connection; retries once on a fresh connection when the first
  // one turns out to be broken.
  absl::StatusOr<Result> Run(const Statement& statement);
  // Runs `statement` on `conn`, no retry; errors mapped as described above.
  absl::StatusOr<Result> Exec(Conn& conn, const Statement& statement);
  // A pooled connection on which `begin_sql` (a BEGIN) succeeded; retried once on a fresh
  // connection when the pooled one turns out to be broken.
  absl::StatusOr<std::unique_ptr<Conn>> BeginTransaction(const char* begin_sql);
  // COMMIT when `status` is OK, else ROLLBACK; returns the connection to the pool and the
  // status (or COMMIT's error).
  absl::Status EndTransaction(std::unique_ptr<Conn> conn, absl::Status status);
  // The write path of Put and PutStream; names are validated.
  absl::Status Write(std::string_view data_type, std::string_view id, const ObjectProducer& produce,
                     uint64_t limit);
  // The read path of Get and GetStream; names are validated.
  absl::Status Read(std::string_view data_type, std::string_view id, internal::ReadTarget& target);
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
  const StreamOptions stream_;

  std::mutex mu_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Conn>> idle_ ABSL_GUARDED_BY(mu_);
  size_t open_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace kms::storage

#endif  // KMS_STORAGE_POSTGRES_STORAGE_H_
