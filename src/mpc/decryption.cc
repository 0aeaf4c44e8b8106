#include "mpc/decryption.h"

#include "common/status_macros.h"
#include "lwe/fhe_type.h"
#include "mpc/robust_open.h"

namespace kms::mpc {

using algebra::Z128;

namespace {

// sum_x s[x] * u[x]: shares of the key bits times public mask coefficients. The four
// coefficients are accumulated separately so each term costs four 128-bit multiply-adds that
// share the loads of u[x] (this loop is the whole cost of a partial decryption).
Share InnerProduct(const Share* s, const Z128* u, size_t n) {
  Z128 acc0 = 0, acc1 = 0, acc2 = 0, acc3 = 0;
  for (size_t x = 0; x < n; ++x) {
    const Z128 a = u[x];
    const auto& c = s[x].coefs();
    acc0 += c[0] * a;
    acc1 += c[1] * a;
    acc2 += c[2] * a;
    acc3 += c[3] * a;
  }
  return Share({acc0, acc1, acc2, acc3});
}

}  // namespace

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
                     InnerProduct(key.secret_key.data(), u.data() + j + 1, n);
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
    std::vector<Share> packed((masked.size() + kUserDecryptionPacking - 1) / kUserDecryptionPacking,
                              Share::Zero());
    for (size_t k = 0; k < masked.size(); ++k)
      packed[k / kUserDecryptionPacking] +=
          masked[k].MulByMonomial(static_cast<int>(k % kUserDecryptionPacking));
    out.push_back(std::move(packed));
  }
  return out;
}

}  // namespace kms::mpc
