#include "mpc/dkg.h"

#include <algorithm>

#include "algebra/shamir.h"
#include "common/status_macros.h"
#include "crypto/secure_zero.h"
#include "lwe/formats.h"
#include "lwe/noise.h"
#include "lwe/secret_key.h"
#include "mpc/internal/ring_vector.h"
#include "mpc/robust_open.h"
#include "proto/mpc.pb.h"

namespace kms::mpc {

using algebra::Z128;

size_t DkgBitsNeeded(const lwe::LweParameters& params) {
  const size_t n = static_cast<size_t>(params.lwe_dimension);
  return n + n * (static_cast<size_t>(params.noise_log2) + 2);
}

size_t DkgRandomsNeeded(const lwe::LweParameters&) { return 1; }

absl::StatusOr<crypto::Digest> PublicKeyDigest(const lwe::CompactPublicKey& key) {
  KMS_ASSIGN_OR_RETURN(Bytes encoded, lwe::SerializeCompactPublicKey(key));
  return crypto::HashElement(crypto::kDsepPublicKeyData, encoded);
}

namespace {

Z128 SeedFromOpened(const Share& opened) {
  // The reference reads the little-endian bytes of c_0 as a big-endian u128.
  Z128 c0 = opened[0], seed = 0;
  for (int i = 0; i < 16; ++i) seed = (seed << 8) | static_cast<uint8_t>(c0 >> (8 * i));
  return seed;
}

}  // namespace

absl::StatusOr<KeyShare> DistributedKeyGen(Session& session, const lwe::LweParameters& params,
                                           const Preprocessed& material) {
  const size_t n = static_cast<size_t>(params.lwe_dimension);
  if (material.bits.size() != DkgBitsNeeded(params) ||
      material.randoms.size() != DkgRandomsNeeded(params))
    return absl::InvalidArgumentError(
        "DKG: preprocessing has " + std::to_string(material.bits.size()) + " bits and " +
        std::to_string(material.randoms.size()) + " randoms, parameter set '" + params.name +
        "' needs " + std::to_string(DkgBitsNeeded(params)) + " and " +
        std::to_string(DkgRandomsNeeded(params)));
  KeyShare out;
  out.params = &params;
  out.secret_key.assign(material.bits.begin(), material.bits.begin() + n);
  std::vector<Share> noise =
      TUniformFromBits(std::span<const Share>(material.bits).subspan(n), params.noise_log2);

  // ==== open the seed ====
  KMS_ASSIGN_OR_RETURN(auto seed_open, RobustOpen<Share>(session, material.randoms, session.t()));
  const Z128 seed = SeedFromOpened(seed_open[0]);
  std::vector<Z128> mask = lwe::CpkMaskFromSeed(seed, params.lwe_dimension);

  // ==== body shares, computed locally, then robust-opened ====
  std::vector<Share> body = lwe::NegacyclicReverseProduct<Share>(mask, out.secret_key);
  for (size_t i = 0; i < n; ++i) body[i] += noise[i];
  crypto::SecureZero(noise.data(), noise.size() * sizeof(Share));
  KMS_ASSIGN_OR_RETURN(auto opened, RobustOpen<Share>(session, body, session.t()));
  std::vector<Z128> body_values(n);
  for (size_t i = 0; i < n; ++i) {
    if (!opened[i].IsScalar())
      return absl::AbortedError("DKG: opened public-key body is not a scalar at index " +
                                std::to_string(i));
    body_values[i] = opened[i][0];
  }
  out.public_key = lwe::CompactPublicKey{&params, seed, std::move(mask), std::move(body_values)};
  KMS_ASSIGN_OR_RETURN(out.public_key_digest, PublicKeyDigest(out.public_key));
  return out;
}

absl::StatusOr<KeyShare> InsecureDealerKeyGen(Session& session, const lwe::LweParameters& params) {
  const size_t n = static_cast<size_t>(params.lwe_dimension);
  constexpr Role kDealer = 1;
  KeyShare out;
  out.params = &params;
  out.insecure_dealer = true;
  if (session.my_role() == kDealer) {
    lwe::SecretKey key = lwe::SecretKey::Generate(params, session.rng());
    Z128 seed = session.rng().Uniform<Z128>();
    out.public_key = lwe::GenerateCompactPublicKey(key, seed, session.rng());
    KMS_ASSIGN_OR_RETURN(Bytes pk, lwe::SerializeCompactPublicKey(out.public_key));
    // shares[p][i]: party p's share of bit i.
    std::vector<std::vector<Share>> shares(session.n(), std::vector<Share>(n));
    for (size_t i = 0; i < n; ++i) {
      auto s = algebra::ShareSecret(Share::FromScalar(key.bits()[i]), session.n(), session.t(),
                                    session.rng());
      for (int p = 0; p < session.n(); ++p) shares[p][i] = s[p];
    }
    for (Role p : session.roles()) {
      if (p == kDealer) continue;
      kms::mpc::v1::DealerKeyMessage msg;
      internal::FillRingVector<Share>(shares[p - 1], msg.mutable_secret_key());
      msg.set_public_key(std::string(pk.begin(), pk.end()));
      std::string bytes = msg.SerializeAsString();
      session.net().SendTo(p, net::MakePayload(bytes));
      crypto::SecureZero(bytes.data(), bytes.size());
    }
    out.secret_key = std::move(shares[kDealer - 1]);
    for (auto& s : shares) crypto::SecureZero(s.data(), s.size() * sizeof(Share));
  } else {
    auto payload = session.net().ReceiveFrom(kDealer);
    if (!payload) return absl::UnavailableError("insecure keygen: no dealing from party 1");
    kms::mpc::v1::DealerKeyMessage msg;
    if (!msg.ParseFromString(**payload))
      return absl::InvalidArgumentError("insecure keygen: malformed dealing");
    KMS_ASSIGN_OR_RETURN(out.secret_key, internal::ReadRingVector<Share>(msg.secret_key(), n));
    KMS_ASSIGN_OR_RETURN(out.public_key, lwe::ParseCompactPublicKey(AsBytes(msg.public_key())));
    if (out.public_key.params != &params)
      return absl::InvalidArgumentError("insecure keygen: dealer used another parameter set");
  }
  session.net().NextRound();
  KMS_ASSIGN_OR_RETURN(out.public_key_digest, PublicKeyDigest(out.public_key));
  return out;
}

absl::StatusOr<crypto::SecretBytes> SerializeKeyShare(const KeyShare& share) {
  kms::mpc::v1::KeyShareRecord rec;
  rec.set_format_version(1);
  rec.set_parameter_set(share.params->name);
  internal::FillRingVector<Share>(share.secret_key, rec.mutable_secret_key());
  KMS_ASSIGN_OR_RETURN(Bytes pk, lwe::SerializeCompactPublicKey(share.public_key));
  rec.set_public_key(std::string(pk.begin(), pk.end()));
  rec.set_public_key_digest(
      std::string(share.public_key_digest.begin(), share.public_key_digest.end()));
  rec.set_insecure_dealer(share.insecure_dealer);
  crypto::SecretBytes out(rec.ByteSizeLong());
  rec.SerializeToArray(out.data(), static_cast<int>(out.size()));
  crypto::SecureZero(rec.mutable_secret_key()->mutable_packed()->data(),
                     rec.secret_key().packed().size());
  return out;
}

absl::StatusOr<KeyShare> ParseKeyShare(ByteSpan data) {
  kms::mpc::v1::KeyShareRecord rec;
  if (!rec.ParseFromArray(data.data(), static_cast<int>(data.size())))
    return absl::DataLossError("key share: not a KeyShareRecord");
  auto wipe = [&rec] {
    crypto::SecureZero(rec.mutable_secret_key()->mutable_packed()->data(),
                       rec.secret_key().packed().size());
  };
  if (rec.format_version() != 1) {
    wipe();
    return absl::DataLossError("key share: unknown format_version " +
                               std::to_string(rec.format_version()));
  }
  auto params = lwe::ParametersByName(rec.parameter_set());
  if (!params.ok()) {
    wipe();
    return absl::DataLossError("key share: " + std::string(params.status().message()));
  }
  KeyShare out;
  out.params = *params;
  out.insecure_dealer = rec.insecure_dealer();
  auto sk = internal::ReadRingVector<Share>(rec.secret_key(), (*params)->lwe_dimension);
  wipe();
  if (!sk.ok())
    return absl::DataLossError("key share: secret_key: " + std::string(sk.status().message()));
  out.secret_key = std::move(*sk);
  auto pk = lwe::ParseCompactPublicKey(AsBytes(rec.public_key()));
  if (!pk.ok())
    return absl::DataLossError("key share: public_key: " + std::string(pk.status().message()));
  out.public_key = std::move(*pk);
  if (rec.public_key_digest().size() != 32)
    return absl::DataLossError("key share: public_key_digest must be 32 bytes");
  std::copy(rec.public_key_digest().begin(), rec.public_key_digest().end(),
            out.public_key_digest.begin());
  KMS_ASSIGN_OR_RETURN(auto digest, PublicKeyDigest(out.public_key));
  if (digest != out.public_key_digest)
    return absl::DataLossError("key share: public key digest mismatch");
  return out;
}

}  // namespace kms::mpc
