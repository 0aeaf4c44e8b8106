#include "mpc/tfhe_insecure_dealer.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "crypto/random.h"
#include "crypto/secure_zero.h"
#include "tfhe/client_key.h"

namespace kms::mpc {

namespace {

constexpr Role kDealer = 1;

// Two independent streams of the seed: the keyset's randomness and the dealing's.
crypto::AesKey StreamKey(const crypto::AesKey& seed, uint8_t stream) {
  crypto::AesKey key = seed;
  key[0] ^= stream;
  return key;
}

}  // namespace

absl::StatusOr<TfheDealtKeyset> InsecureDealerTfheKeyGen(Session& session,
                                                         const tfhe::KeysetParameters& params,
                                                         const tfhe::KeysetProgress& progress) {
  crypto::AesKey seed{};
  if (session.my_role() == kDealer) {
    session.rng().Fill(seed);
    for (Role p : session.roles()) {
      if (p != kDealer)
        session.net().SendTo(p, net::MakePayload(std::string(seed.begin(), seed.end())));
    }
  } else {
    auto payload = session.net().ReceiveFrom(kDealer);
    if (!payload) return absl::UnavailableError("insecure tfhe-rs keygen: no seed from party 1");
    if ((*payload)->size() != seed.size()) {
      return absl::InvalidArgumentError(absl::StrCat("insecure tfhe-rs keygen: party 1's seed has ",
                                                     (*payload)->size(), " bytes, not ",
                                                     seed.size()));
    }
    std::copy((*payload)->begin(), (*payload)->end(), seed.begin());
  }
  session.net().NextRound();

  crypto::AesCtrRng keyset_rng(StreamKey(seed, 1), 0);
  crypto::AesCtrRng dealing_rng(StreamKey(seed, 2), 0);
  crypto::SecureZero(seed.data(), seed.size());
  KMS_ASSIGN_OR_RETURN(tfhe::Keyset keyset, tfhe::GenerateKeyset(params, keyset_rng, progress));
  absl::StatusOr<std::vector<TfheKeyShare>> shares =
      InsecureDealTfheKeyShares(keyset.client_key, session.n(), session.t(), dealing_rng);
  tfhe::ZeroClientKeySecrets(keyset.client_key);
  KMS_RETURN_IF_ERROR(shares.status());
  TfheDealtKeyset out{std::move(keyset.public_key), std::move(keyset.server_key),
                      std::move((*shares)[session.my_role() - 1])};
  return out;
}

}  // namespace kms::mpc
