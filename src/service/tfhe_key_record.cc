#include "service/tfhe_key_record.h"

#include <cstring>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace kms::service {
namespace {

constexpr std::string_view kMagic = "KMSTKEY1";
constexpr uint8_t kKindClientKey = 1;
constexpr uint8_t kKindShare = 2;
constexpr uint8_t kFlagInsecure = 1;
constexpr uint8_t kFlagDealer = 2;
constexpr size_t kShareBytes = 4 * 16;
// The largest ClientKey of the known sets is a few hundred KB; this bounds what parsing takes.
constexpr uint64_t kMaxClientKeyBytes = uint64_t{64} << 20;

absl::Status Bad(const std::string& what) {
  return absl::DataLossError(absl::StrCat("tfhe key record: ", std::string(what)));
}

void AppendShares(crypto::SecretBytes& out, size_t& at, const std::vector<mpc::Share>& shares) {
  uint8_t* p = out.data() + at;
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(uint64_t{shares.size()} >> (8 * i));
  p += 8;
  for (const mpc::Share& s : shares) {
    for (int c = 0; c < 4; ++c) {
      const unsigned __int128 v = s[c];
      for (int i = 0; i < 16; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
      p += 16;
    }
  }
  at += 8 + shares.size() * kShareBytes;
}

// Reads a u64 count that must equal `expected`, then that many shares.
absl::StatusOr<std::vector<mpc::Share>> ReadShares(ByteSpan data, size_t& at, uint64_t expected,
                                                   const std::string& what) {
  if (data.size() - at < 8) return Bad(absl::StrCat(what, ": truncated count"));
  const uint64_t n = LoadU64Le(data.data() + at);
  at += 8;
  if (n != expected) {
    return Bad(absl::StrCat(what, ": ", n, " shares, the parameter set has ", expected));
  }
  if ((data.size() - at) / kShareBytes < n) return Bad(absl::StrCat(what, ": truncated shares"));
  std::vector<mpc::Share> out(n);
  for (mpc::Share& s : out) {
    for (int c = 0; c < 4; ++c) {
      s[c] = LoadU128Le(data.data() + at);
      at += 16;
    }
  }
  return out;
}

}  // namespace

bool IsTfheKeyRecord(ByteSpan data) {
  return data.size() >= kMagic.size() && std::memcmp(data.data(), kMagic.data(), 8) == 0;
}

absl::StatusOr<crypto::SecretBytes> SerializeTfheKeyRecord(const TfheKeyRecord& record) {
  if (record.params == nullptr || record.client_key.has_value() == record.share.has_value()) {
    return absl::InvalidArgumentError(
        "tfhe key record: needs a parameter set and exactly one of a client key and a share");
  }
  crypto::SecretBytes payload;
  if (record.client_key) {
    KMS_ASSIGN_OR_RETURN(payload, tfhe::SerializeClientKey(*record.client_key));
  }
  const std::string_view name = record.params->name;
  const size_t head = kMagic.size() + 3 + name.size() + 3 * 32;
  const size_t body =
      record.client_key
          ? 8 + payload.size()
          : 16 + (record.share->sns_key.size() + record.share->sns_compression_key.size()) *
                     kShareBytes;
  crypto::SecretBytes out(head + body);
  uint8_t* p = out.data();
  std::memcpy(p, kMagic.data(), kMagic.size());
  p[8] = record.client_key ? kKindClientKey : kKindShare;
  p[9] = static_cast<uint8_t>((record.insecure ? kFlagInsecure : 0) |
                              (record.share && record.share->insecure_dealer ? kFlagDealer : 0));
  p[10] = static_cast<uint8_t>(name.size());
  std::memcpy(p + 11, name.data(), name.size());
  size_t at = 11 + name.size();
  for (const crypto::Digest* d :
       {&record.public_key_digest, &record.server_key_digest, &record.compressed_keyset_digest}) {
    std::memcpy(p + at, d->data(), 32);
    at += 32;
  }
  if (record.client_key) {
    for (int i = 0; i < 8; ++i)
      p[at + i] = static_cast<uint8_t>(uint64_t{payload.size()} >> (8 * i));
    std::memcpy(p + at + 8, payload.data(), payload.size());
  } else {
    AppendShares(out, at, record.share->sns_key);
    AppendShares(out, at, record.share->sns_compression_key);
  }
  return out;
}

absl::StatusOr<TfheKeyRecord> ParseTfheKeyRecord(ByteSpan data) {
  if (!IsTfheKeyRecord(data)) return Bad("bad magic (not a KMSTKEY1 record)");
  if (data.size() < 11) return Bad("truncated header");
  const uint8_t kind = data[8];
  const uint8_t flags = data[9];
  if (kind != kKindClientKey && kind != kKindShare) {
    return Bad(absl::StrCat("unknown kind ", static_cast<int>(kind)));
  }
  if ((flags & ~(kFlagInsecure | kFlagDealer)) != 0 ||
      (kind == kKindClientKey && (flags & kFlagDealer) != 0)) {
    return Bad(absl::StrCat("bad flags ", static_cast<int>(flags)));
  }
  const size_t name_size = data[10];
  if (data.size() < 11 + name_size + 3 * 32) return Bad("truncated header");
  const std::string_view name(reinterpret_cast<const char*>(data.data() + 11), name_size);
  TfheKeyRecord record;
  record.params = tfhe::KmsKeysetByName(name);
  if (record.params == nullptr) {
    return Bad(absl::StrCat("unknown parameter set \"", std::string(name.substr(0, 32)), "\""));
  }
  record.insecure = (flags & kFlagInsecure) != 0;
  size_t at = 11 + name_size;
  for (crypto::Digest* d :
       {&record.public_key_digest, &record.server_key_digest, &record.compressed_keyset_digest}) {
    std::memcpy(d->data(), data.data() + at, 32);
    at += 32;
  }
  if (kind == kKindClientKey) {
    if (data.size() - at < 8) return Bad("truncated client key length");
    const uint64_t n = LoadU64Le(data.data() + at);
    at += 8;
    if (n != data.size() - at || n > kMaxClientKeyBytes) {
      return Bad(absl::StrCat("client key length field says ", n, " bytes, ", data.size() - at,
                              " follow"));
    }
    absl::StatusOr<tfhe::ClientKey> key = tfhe::ParseClientKey(data.subspan(at), n);
    if (!key.ok()) return Bad(absl::StrCat("client key: ", key.status().message()));
    record.client_key = std::move(*key);
    return record;
  }
  const tfhe::KeysetParameters& keyset = record.params->keyset;
  if (!keyset.noise_squashing) return Bad("the parameter set has no noise-squashing key");
  mpc::TfheKeyShare share;
  share.sns_params = *keyset.noise_squashing;
  share.sns_compression_params = keyset.noise_squashing_compression;
  share.insecure_dealer = (flags & kFlagDealer) != 0;
  KMS_ASSIGN_OR_RETURN(share.sns_key,
                       ReadShares(data, at, share.sns_lwe_dimension(), "noise-squashing key"));
  KMS_ASSIGN_OR_RETURN(share.sns_compression_key,
                       ReadShares(data, at, share.sns_compression_lwe_dimension(),
                                  "noise-squashing compression key"));
  if (at != data.size()) return Bad(absl::StrCat(data.size() - at, " trailing bytes"));
  record.share = std::move(share);
  return record;
}

}  // namespace kms::service
