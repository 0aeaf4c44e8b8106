#include "storage/session_ledger.h"

#include <algorithm>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "storage/absl_compat_internal.h"
#include "storage/vault.h"

namespace kms::storage {
namespace {

using internal::Av;

constexpr std::string_view kLedgerMagic = "KMSSLED1";
constexpr size_t kLedgerRecordSize = 8 + 8 + 32;

}  // namespace

const char* LedgerKindName(LedgerKind kind) {
  switch (kind) {
    case LedgerKind::kPrssInit:
      return "prss-init";
    case LedgerKind::kPreprocessing:
      return "preprocessing";
    case LedgerKind::kKeyGen:
      return "keygen";
  }
  return "unknown";
}

std::string LedgerObjectId(LedgerKind kind, const LedgerId& id) {
  return absl::StrCat(LedgerKindName(kind), "-", ToHex(id));
}

Bytes SerializeLedgerRecord(LedgerKind kind, const LedgerId& id) {
  Bytes out(kLedgerMagic.begin(), kLedgerMagic.end());
  AppendU64Le(out, static_cast<uint64_t>(kind));
  out.insert(out.end(), id.begin(), id.end());
  return out;
}

absl::StatusOr<LedgerEntry> ParseLedgerRecord(ByteSpan data) {
  if (data.size() != kLedgerRecordSize) {
    return absl::DataLossError(
        absl::StrCat("ledger record of ", data.size(), " bytes; expected ", kLedgerRecordSize));
  }
  if (std::string_view(reinterpret_cast<const char*>(data.data()), kLedgerMagic.size()) !=
      kLedgerMagic) {
    return absl::DataLossError("ledger record has a wrong magic");
  }
  const uint64_t kind = LoadU64Le(data.data() + 8);
  if (kind < static_cast<uint64_t>(LedgerKind::kPrssInit) ||
      kind > static_cast<uint64_t>(LedgerKind::kKeyGen)) {
    return absl::DataLossError(absl::StrCat("ledger record of unknown kind ", kind));
  }
  LedgerEntry entry{static_cast<LedgerKind>(kind), {}};
  std::copy(data.begin() + 16, data.end(), entry.id.begin());
  return entry;
}

absl::Status SessionLedger::Load() {
  KMS_ASSIGN_OR_RETURN(std::vector<std::string> names, vault_.List(kSessionLedger));
  std::set<std::string> loaded;
  for (const std::string& name : names) {
    auto fail = [&](absl::string_view why) {
      return absl::DataLossError(
          absl::StrCat(Av(kSessionLedger), "/", name, " in ", vault_.Describe(), ": ", why));
    };
    absl::StatusOr<Bytes> raw = vault_.Get(kSessionLedger, name);
    if (!raw.ok()) {
      return absl::Status(raw.status().code(), absl::StrCat(Av(kSessionLedger), "/", name, ": ",
                                                            raw.status().message()));
    }
    absl::StatusOr<LedgerEntry> entry = ParseLedgerRecord(*raw);
    if (!entry.ok()) return fail(entry.status().message());
    if (LedgerObjectId(entry->kind, entry->id) != name) {
      return fail(absl::StrCat("the record is for ", LedgerObjectId(entry->kind, entry->id)));
    }
    loaded.insert(name);
  }
  std::lock_guard<std::mutex> lock(mu_);
  ids_.insert(loaded.begin(), loaded.end());
  return absl::OkStatus();
}

bool SessionLedger::Contains(LedgerKind kind, const LedgerId& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return ids_.count(LedgerObjectId(kind, id)) > 0;
}

absl::Status SessionLedger::Record(LedgerKind kind, const LedgerId& id) {
  const std::string name = LedgerObjectId(kind, id);
  std::lock_guard<std::mutex> lock(mu_);
  if (ids_.count(name) > 0) {
    return absl::AlreadyExistsError(absl::StrCat(LedgerKindName(kind), " id ", ToHex(id),
                                                 " was used before (", Av(kSessionLedger), "/",
                                                 name, ")"));
  }
  KMS_RETURN_IF_ERROR(vault_.Put(kSessionLedger, name, SerializeLedgerRecord(kind, id)));
  ids_.insert(name);
  return absl::OkStatus();
}

size_t SessionLedger::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ids_.size();
}

}  // namespace kms::storage
