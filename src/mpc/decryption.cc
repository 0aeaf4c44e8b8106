#include "mpc/decryption.h"

#include "common/status_macros.h"
#include "lwe/fhe_type.h"
#include "mpc/internal/partial_decryption.h"
#include "mpc/robust_open.h"

namespace kms::mpc {

using algebra::Z128;

std::vector<Share> MaskedPartialDecryptions(const KeyShare& key, PrssState<Share>& prss,
                                            std::span<const lwe::TypedCiphertext> ciphertexts) {
  size_t total = 0;
  for (const auto& ct : ciphertexts) total += ct.list.bodies.size();
  std::vector<Share> out = prss.NextMask(total, key.params->flooding_bound);
  const size_t n = key.secret_key.size();
  size_t next = 0;
  for (const auto& ct : ciphertexts) {
    // Block j's mask a_j is the window u[j + 1 .. j + n] of the negacyclic extension.
    const std::vector<Z128> u = lwe::internal::NegacyclicExtension(ct.list.mask);
    for (size_t j = 0; j < ct.list.bodies.size(); ++j)
      out[next++] += Share::FromScalar(ct.list.bodies[j]) -
                     internal::InnerProduct(key.secret_key.data(), u.data() + j + 1, n);
  }
  return out;
}

absl::Status ValidateForKey(const lwe::TypedCiphertext& ct, const KeyShare& key) {
  KMS_RETURN_IF_ERROR(lwe::ValidateTypedCiphertext(ct));
  if (ct.list.params != key.params)
    return absl::InvalidArgumentError(std::string("ciphertext uses parameter set '") +
                                      (ct.list.params ? ct.list.params->name : std::string("?")) +
                                      "', the key uses '" + key.params->name + "'");
  return absl::OkStatus();
}

absl::StatusOr<lwe::TypedPlaintext> DecodeOpenedBlocks(lwe::FheType type,
                                                       std::span<const Share> opened,
                                                       const lwe::LweParameters& params) {
  std::vector<uint64_t> blocks;
  blocks.reserve(opened.size());
  for (const Share& v : opened) {
    if (!v.IsScalar())
      return absl::AbortedError(
          "decryption: an opened block is not a scalar; more than t parties misbehaved");
    blocks.push_back(lwe::DecodeBlock(v[0], params));
  }
  auto pt = lwe::TypedPlaintext::FromBlocks(type, blocks, params);
  if (!pt.ok())
    return absl::AbortedError("decryption: decoded value is invalid (" +
                              std::string(pt.status().message()) +
                              "); more than t parties misbehaved");
  return pt;
}

absl::StatusOr<std::vector<lwe::TypedPlaintext>> PublicDecrypt(
    Session& session, const KeyShare& key, const PrssSetup& prss_setup,
    std::span<const lwe::TypedCiphertext> ciphertexts) {
  for (size_t i = 0; i < ciphertexts.size(); ++i) {
    absl::Status valid = ValidateForKey(ciphertexts[i], key);
    if (!valid.ok())
      return absl::InvalidArgumentError("ciphertext " + std::to_string(i) + ": " +
                                        std::string(valid.message()));
  }
  PrssState<Share> prss(prss_setup, session.id());
  std::vector<Share> mine = MaskedPartialDecryptions(key, prss, ciphertexts);

  // ==== one asynchronous robust open of every block ====
  KMS_ASSIGN_OR_RETURN(auto opened, RobustOpen<Share>(session, mine, session.t()));

  std::vector<lwe::TypedPlaintext> out;
  size_t next = 0;
  for (const auto& ct : ciphertexts) {
    const size_t count = ct.list.bodies.size();
    KMS_ASSIGN_OR_RETURN(
        auto pt, DecodeOpenedBlocks(ct.type, std::span<const Share>(opened).subspan(next, count),
                                    *key.params));
    out.push_back(pt);
    next += count;
  }
  return out;
}

absl::StatusOr<std::vector<std::vector<Share>>> UserDecryptionShares(
    const KeyShare& key, const PrssSetup& prss_setup, std::span<const SessionId> session_ids,
    std::span<const lwe::TypedCiphertext> ciphertexts) {
  if (session_ids.size() != ciphertexts.size())
    return absl::InvalidArgumentError("user decryption: one session id per ciphertext needed");
  std::vector<std::vector<Share>> out;
  for (size_t i = 0; i < ciphertexts.size(); ++i) {
    absl::Status valid = ValidateForKey(ciphertexts[i], key);
    if (!valid.ok())
      return absl::InvalidArgumentError("ciphertext " + std::to_string(i) + ": " +
                                        std::string(valid.message()));
    PrssState<Share> prss(prss_setup, session_ids[i]);
    std::vector<Share> masked = MaskedPartialDecryptions(key, prss, ciphertexts.subspan(i, 1));
    out.push_back(internal::PackFourPerElement(masked));
  }
  return out;
}

}  // namespace kms::mpc
