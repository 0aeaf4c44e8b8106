// tfhe_request_ciphertext_fuzz: arbitrary bytes as the ciphertext of a decryption request under a
// tfhe-rs keyset (src/service/tfhe_ciphertext.h). The first input byte chooses the request's
// ciphertext_format (low two bits, and one value out of range) and fhe_type; the rest is the
// ciphertext. A rejected input must give INVALID_ARGUMENT; an accepted one goes through the
// checks a party runs on the RPC thread (against the tfhe-test keyset, with a fixed key share of
// its shape): INVALID_ARGUMENT or OK, never a crash or a huge allocation.
#include <cstddef>
#include <cstdint>

#include "lwe/fhe_type.h"
#include "service/tfhe_ciphertext.h"
#include "tfhe/named_keysets.h"

namespace {

const kms::mpc::TfheKeyShare& FixedShare() {
  static const kms::mpc::TfheKeyShare* share = [] {
    const kms::tfhe::KeysetParameters& p = kms::tfhe::KmsTestKeyset().keyset;
    auto* s = new kms::mpc::TfheKeyShare;
    s->sns_params = *p.noise_squashing;
    s->sns_compression_params = p.noise_squashing_compression;
    s->sns_key.assign(s->sns_lwe_dimension(), kms::mpc::Share::FromScalar(1));
    s->sns_compression_key.assign(s->sns_compression_lwe_dimension(),
                                  kms::mpc::Share::FromScalar(1));
    return s;
  }();
  return *share;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kms::service;
  if (size == 0) return 0;
  const int32_t format = (data[0] & 0x80) != 0 ? 4 : (data[0] & 3);
  const auto type = kms::lwe::kAllFheTypes[((data[0] >> 2) & 0x1f) % kms::lwe::kAllFheTypes.size()];
  auto ct = ParseTfheCiphertext(format, type, kms::ByteSpan(data + 1, size - 1));
  if (!ct.ok()) {
    if (ct.status().code() != absl::StatusCode::kInvalidArgument) __builtin_trap();
    return 0;
  }
  if (ct->format != static_cast<CiphertextFormat>(format) || ct->type != type) __builtin_trap();
  absl::Status checked = CheckTfheCiphertext(*ct, FixedShare(), kms::tfhe::KmsTestKeyset().keyset);
  if (!checked.ok() && checked.code() != absl::StatusCode::kInvalidArgument) __builtin_trap();
  (void)TfheLweBlockCount(type, 4);
  return 0;
}
