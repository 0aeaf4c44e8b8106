// File: storage/session_ledger.h
//
// The ids that started MPC sessions, kept for good in the private vault so that no id ever runs
// a second time: a PRSS init run id, a preprocessing id, a key-generation id (the key id). The
// in-memory request table of the service forgets ids (eviction, restart); the ledger does not.
// An id is recorded before any session of its request starts or any PRSS output is drawn, and
// stays recorded whatever the outcome: a failed run may have opened values derived from its
// PRSS outputs or preprocessed material, so running it again could hand them out a second time.
//
// Layout: PRIV-p<i>/SessionLedger/<kind>-<64 hex id>, kind "prss-init", "preprocessing" or
// "keygen" (the key-id namespace: DKG and dealer key generation alike), holding
//   "KMSSLED1" || u64le(kind number) || id[32]                       (48 bytes)
// The record repeats its name so that a file copied under another name is caught at boot. It
// holds no secret: ids are chosen by callers and appear in logs.
//
// Thread safety: every method may be called concurrently; Record is atomic within the process
// (one mutex around check, write and insertion); a party's private vault belongs to one process.
#ifndef KMS_STORAGE_SESSION_LEDGER_H_
#define KMS_STORAGE_SESSION_LEDGER_H_

#include <array>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/bytes.h"
#include "storage/storage.h"

namespace kms::storage {

// The id namespaces of the ledger. The number is stored: never renumber or reuse one.
enum class LedgerKind : uint64_t {
  kPrssInit = 1,       // run ids of NewMpcEpoch (PRSS initialisations)
  kPreprocessing = 2,  // KeyGenPreproc request ids
  kKeyGen = 3,         // key ids (KeyGen and InsecureKeyGen)
};

// "prss-init", "preprocessing", "keygen".
const char* LedgerKindName(LedgerKind kind);

using LedgerId = std::array<uint8_t, 32>;

// "<kind>-<64 lower-case hex>": the storage id of a record.
std::string LedgerObjectId(LedgerKind kind, const LedgerId& id);

// The record's bytes (layout above), and its inverse: DataLoss naming the problem.
Bytes SerializeLedgerRecord(LedgerKind kind, const LedgerId& id);
struct LedgerEntry {
  LedgerKind kind;
  LedgerId id;
};
absl::StatusOr<LedgerEntry> ParseLedgerRecord(ByteSpan data);

class SessionLedger {
 public:
  // REQUIRES: `vault` (the private vault) outlives the ledger.
  explicit SessionLedger(Storage& vault) : vault_(vault) {}
  SessionLedger(const SessionLedger&) = delete;
  SessionLedger& operator=(const SessionLedger&) = delete;

  // Reads every record (boot). DataLoss "SessionLedger/<name> in <vault>: ..." when a record is
  // unreadable, malformed or stored under another name; the storage's error otherwise.
  absl::Status Load();

  bool Contains(LedgerKind kind, const LedgerId& id) const;

  // Records `id` under `kind`, durably, unless it is already there: ALREADY_EXISTS
  // "<kind> id <hex> was used before (SessionLedger)" then, and nothing is written. On a storage
  // error nothing is recorded in memory (the write may or may not have reached the vault; a
  // later Record of the same id either succeeds or finds it at the next boot).
  absl::Status Record(LedgerKind kind, const LedgerId& id);

  size_t size() const;

 private:
  Storage& vault_;
  mutable std::mutex mu_;
  std::set<std::string> ids_ ABSL_GUARDED_BY(mu_);  // LedgerObjectId of every record
};

}  // namespace kms::storage

#endif  // KMS_STORAGE_SESSION_LEDGER_H_
