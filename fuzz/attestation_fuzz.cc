// libFuzzer target: arbitrary bytes as the extra_data of a decryption request, parsed as
// ciphertext attestations (src/crypto/ciphertext_attestation.h), which every party of an
// "attested" deployment reads before admitting anything. Properties:
//   - the parser never crashes and never allocates beyond what the input pays for (ASan's
//     allocation limit catches a count taken on trust);
//   - an accepted version-1 input re-encodes to exactly itself (one encoding per value), an
//     accepted input without attestations is empty or the single byte 0x00;
//   - the parsed signatures are tried as attestations of a fixed digest: recovery either fails
//     or yields a key that verifies them.
// Any crash, sanitizer report or broken property is a bug. Seeds: fuzz/corpus/attestation_fuzz/.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>

#include "crypto/ciphertext_attestation.h"

namespace kms::crypto {
namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace
}  // namespace kms::crypto

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kms::crypto;
  const kms::ByteSpan in(data, size);
  absl::StatusOr<CiphertextAttestations> parsed = ParseCiphertextAttestations(in);
  if (!parsed.ok()) {
    Check(parsed.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  if (parsed->empty()) {
    Check(size == 0 || (size == 1 && data[0] == kAttestationsNone));
    return 0;
  }
  absl::StatusOr<kms::Bytes> again = EncodeCiphertextAttestations(*parsed);
  Check(again.ok());
  Check(again->size() == size && std::equal(again->begin(), again->end(), data));
  CiphertextAttestationData d;
  d.fhe_type = "euint8";
  const Digest digest = CiphertextAttestationDigest(CiphertextAttestationDomain(std::nullopt), d);
  size_t tried = 0;
  for (const auto& sigs : *parsed) {
    for (const Signature65& sig : sigs) {
      if (++tried > 8) return 0;  // recovery is slow; a few per input are enough
      absl::StatusOr<VerificationKey> who = VerificationKey::RecoverFromSignature(digest, sig);
      if (who.ok()) Check(who->VerifyDigest(digest, sig));
    }
  }
  return 0;
}
