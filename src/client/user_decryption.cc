#include "client/user_decryption.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "algebra/galois_ring.h"
#include "algebra/robust_reconstruction.h"
#include "common/status_macros.h"
#include "crypto/signcryption.h"
#include "lwe/encryption.h"
#include "lwe/parameters.h"
#include "tfhe/block_decoding.h"
#include "tfhe/named_keysets.h"

namespace kms::client {
namespace {

using algebra::Gr128;

constexpr int kPacking = Gr128::kDegree;
constexpr size_t kElementSize = Gr128::kEncodedSize;

bool SameBytes(const std::string& s, ByteSpan b) {
  // Compare as bytes: `char` is signed here, so comparing it with uint8_t would fail >= 0x80.
  const ByteSpan a = AsBytes(s);
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

size_t ElementsFor(size_t blocks) { return (blocks + kPacking - 1) / kPacking; }

absl::Status Reject(const std::string& what) { return absl::InvalidArgumentError(what); }

// The value most entries of `values` hold (ties: the smallest).
template <typename T>
T Majority(const std::vector<T>& values) {
  std::map<T, size_t> count;
  for (const T& v : values) ++count[v];
  T best{};
  size_t best_count = 0;
  for (const auto& [v, c] : count) {
    if (c > best_count) {
      best = v;
      best_count = c;
    }
  }
  return best;
}

// How the blocks of one parameter set's user decryption decode.
class BlockCodec {
 public:
  static absl::StatusOr<BlockCodec> ByName(std::string_view name) {
    BlockCodec codec;
    codec.tfhe_ = tfhe::KmsKeysetByName(name);
    if (codec.tfhe_ != nullptr) {
      if (!codec.tfhe_->keyset.noise_squashing)
        return absl::FailedPreconditionError(
            absl::StrCat("parameter set ", std::string(name), " has no noise squashing"));
      return codec;
    }
    absl::StatusOr<const lwe::LweParameters*> p = lwe::ParametersByName(name);
    if (!p.ok())
      return absl::InvalidArgumentError(
          absl::StrCat("unknown parameter set \"", std::string(name.substr(0, 16)), "\""));
    codec.lwe_ = *p;
    return codec;
  }

  std::string_view name() const { return tfhe_ != nullptr ? tfhe_->name : lwe_->name; }

  uint32_t Blocks(lwe::FheType type) const {
    if (lwe_ != nullptr) return static_cast<uint32_t>(lwe::BlockCount(type, *lwe_));
    absl::StatusOr<std::vector<uint32_t>> bits = BlockBits(type);
    return bits.ok() ? static_cast<uint32_t>(bits->size()) : 0;
  }

  // The plaintext of `values` (Blocks(type) masked block values Δ·m + noise).
  absl::StatusOr<lwe::TypedPlaintext> Decode(lwe::FheType type,
                                             std::span<const algebra::Z128> values) const {
    if (lwe_ != nullptr) {
      std::vector<uint64_t> decoded;
      for (algebra::Z128 v : values) decoded.push_back(lwe::DecodeBlock(v, *lwe_));
      absl::StatusOr<lwe::TypedPlaintext> pt =
          lwe::TypedPlaintext::FromBlocks(type, decoded, *lwe_);
      crypto::SecureZero(decoded);
      return pt;
    }
    KMS_ASSIGN_OR_RETURN(std::vector<uint32_t> bits, BlockBits(type));
    const tfhe::NoiseSquashingParameters& sns = *tfhe_->keyset.noise_squashing;
    absl::StatusOr<std::array<uint8_t, 32>> le =
        tfhe::DecodePackedBlocks(values, bits, sns.message_modulus, sns.carry_modulus);
    if (!le.ok()) return le.status();
    absl::StatusOr<lwe::TypedPlaintext> pt = lwe::TypedPlaintext::FromLeBytes(type, *le);
    crypto::SecureZero(le->data(), le->size());
    return pt;
  }

 private:
  absl::StatusOr<std::vector<uint32_t>> BlockBits(lwe::FheType type) const {
    return tfhe::PackedBlockBits(static_cast<uint32_t>(lwe::FheTypeBits(type)),
                                 type == lwe::FheType::kEbool,
                                 tfhe_->keyset.noise_squashing->message_modulus);
  }

  const lwe::LweParameters* lwe_ = nullptr;
  const tfhe::NamedKeysetParameters* tfhe_ = nullptr;
};

}  // namespace

crypto::Digest UserDecryptionLink(const UserDecryptionRequestInfo& request) {
  return crypto::Eip712Digest(
      request.domain,
      crypto::UserDecryptionLinker(request.enc_key, request.handles, request.client_address));
}

absl::StatusOr<std::vector<crypto::SecretBytes>> OpenUserDecryptionResponse(
    const kms::v1::UserDecryptionResponse& response, const crypto::SecretBytes& user_private_key,
    const std::map<uint32_t, crypto::EthAddress>& signers, const UserDecryptionRequestInfo& request,
    std::string_view fhe_parameter) {
  KMS_ASSIGN_OR_RETURN(BlockCodec codec, BlockCodec::ByName(fhe_parameter));
  const uint32_t party = response.party_id();
  auto signer = signers.find(party);
  if (signer == signers.end()) {
    return Reject(absl::StrCat("party_id ", party, " is not a known party"));
  }
  const bool centralized = signers.size() == 1 && signers.begin()->first == 0;
  if (response.num_parties() != (centralized ? 1u : signers.size())) {
    return Reject(absl::StrCat("num_parties is ", response.num_parties(), ", the deployment has ",
                               centralized ? 1u : signers.size()));
  }
  if (response.fhe_parameter() != codec.name()) {
    return Reject(absl::StrCat("fhe_parameter is \"", response.fhe_parameter().substr(0, 16),
                               "\", expected \"", std::string(codec.name()), "\""));
  }
  if (!SameBytes(response.request_id(), AsBytes(ToHex(request.request_id)))) {
    return Reject("request_id differs from the request");
  }
  if (!SameBytes(response.key_id(), AsBytes(ToHex(request.key_id)))) {
    return Reject("key_id differs from the request");
  }
  if (static_cast<size_t>(response.shares_size()) != request.handles.size()) {
    return Reject(absl::StrCat(response.shares_size(), " shares for ", request.handles.size(),
                               " ciphertexts"));
  }
  const crypto::Digest link = UserDecryptionLink(request);
  if (!SameBytes(response.link(), link)) {
    return Reject("link is not this request's (another key, handles or user address)");
  }
  // The signed encoding, rebuilt from the response's own fields.
  std::vector<crypto::SigncryptedShare> shares;
  for (int i = 0; i < response.shares_size(); ++i) {
    const kms::v1::UserDecryptionShare& s = response.shares(i);
    const lwe::FheType type = request.types[static_cast<size_t>(i)];
    if (s.fhe_type() != lwe::FheTypeName(type)) {
      return Reject(absl::StrCat("shares[", i, "].fhe_type is not the requested type ",
                                 lwe::FheTypeName(type)));
    }
    if (!SameBytes(s.external_handle(), request.handles[static_cast<size_t>(i)])) {
      return Reject(absl::StrCat("shares[", i, "].external_handle is not the requested handle"));
    }
    if (s.block_count() != codec.Blocks(type)) {
      return Reject(absl::StrCat("shares[", i, "].block_count is ", s.block_count(), ", a ",
                                 lwe::FheTypeName(type), " has ", codec.Blocks(type)));
    }
    if (s.packing_factor() != static_cast<uint32_t>(kPacking)) {
      return Reject(absl::StrCat("shares[", i, "].packing_factor is ", s.packing_factor(),
                                 ", expected ", kPacking));
    }
    shares.push_back(crypto::SigncryptedShare{
        s.fhe_type(), Bytes(s.external_handle().begin(), s.external_handle().end()),
        s.block_count(), s.packing_factor(),
        Bytes(s.signcrypted_share().begin(), s.signcrypted_share().end())});
  }
  const crypto::UserDecryptedShareHeader header{party, response.degree(), response.num_parties(),
                                                response.fhe_parameter()};
  const Bytes encoded = crypto::EncodeUserDecryptedShares(header, shares);
  Bytes extra;
  Append(extra, request.request_id);
  Append(extra, request.key_id);
  Append(extra, request.extra_data);
  const crypto::Digest digest = crypto::Eip712Digest(
      request.domain,
      crypto::UserDecryptResponseVerification(request.enc_key, request.handles, encoded, extra));
  if (response.signature().size() != 65) {
    return Reject(absl::StrCat("signature is ", response.signature().size(), " bytes, not 65"));
  }
  crypto::Signature65 sig;
  std::copy(response.signature().begin(), response.signature().end(), sig.begin());
  absl::StatusOr<crypto::VerificationKey> who =
      crypto::VerificationKey::RecoverFromSignature(digest, sig);
  if (!who.ok()) return Reject(absl::StrCat("signature: ", who.status().message()));
  if (who->EthereumAddress() != signer->second) {
    return absl::PermissionDeniedError(
        absl::StrCat("signature is by ", who->EthereumAddressChecksummed(), ", party ", party,
                     " is ", crypto::ChecksumAddress(signer->second)));
  }
  std::vector<crypto::SecretBytes> out;
  for (size_t i = 0; i < shares.size(); ++i) {
    absl::StatusOr<Bytes> payload =
        crypto::Unsigncrypt(user_private_key, shares[i].signcrypted_share, link, signer->second);
    if (!payload.ok()) {
      return Reject(absl::StrCat("shares[", i, "]: ", payload.status().message()));
    }
    crypto::SecretBytes secret(*payload);
    crypto::SecureZero(*payload);
    const size_t expected = ElementsFor(shares[i].block_count) * kElementSize;
    if (secret.size() != expected) {
      return Reject(absl::StrCat("shares[", i, "]: ", secret.size(), " bytes of ring elements, ",
                                 expected, " expected for ", shares[i].block_count, " blocks"));
    }
    out.push_back(std::move(secret));
  }
  return out;
}

absl::StatusOr<std::vector<lwe::TypedPlaintext>> ReconstructUserDecryption(
    std::span<const kms::v1::UserDecryptionResponse> responses,
    const crypto::SecretBytes& user_private_key,
    const std::map<uint32_t, crypto::EthAddress>& signers, const UserDecryptionRequestInfo& request,
    std::vector<RejectedResponse>* rejected) {
  if (signers.empty()) return absl::InvalidArgumentError("signers: no party given");
  if (request.handles.size() != request.types.size() || request.handles.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("request: ", request.handles.size(),
                                                   " handles and ", request.types.size(),
                                                   " types; one of each per ciphertext"));
  }
  for (size_t i = 0; i < request.types.size(); ++i) {
    if (!lwe::IsValidFheType(request.types[i])) {
      return absl::InvalidArgumentError(absl::StrCat("request.types[", i, "] is not a type"));
    }
  }
  const bool centralized = signers.size() == 1 && signers.begin()->first == 0;
  if (!centralized) {
    for (const auto& [party, unused] : signers) {
      if (party < 1 || party > signers.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("signers: party ids must be 1..", signers.size(), ", got ", party));
      }
    }
  }
  std::vector<RejectedResponse> local_rejected;
  std::vector<RejectedResponse>& rej = rejected != nullptr ? *rejected : local_rejected;
  rej.clear();

  // ---- the parameter set: the request's, or what most responses say ----
  std::string fhe_parameter = request.fhe_parameter;
  if (fhe_parameter.empty()) {
    std::vector<std::string> names;
    for (const auto& r : responses) {
      if (BlockCodec::ByName(r.fhe_parameter()).ok()) names.push_back(r.fhe_parameter());
    }
    if (names.empty()) {
      return absl::FailedPreconditionError(
          "user decryption: no response names a known parameter set");
    }
    fhe_parameter = Majority(names);
  }
  KMS_ASSIGN_OR_RETURN(BlockCodec codec, BlockCodec::ByName(fhe_parameter));

  // ---- open every response; a failure makes that party ⊥ ----
  std::map<uint32_t, std::vector<crypto::SecretBytes>> opened;
  std::map<uint32_t, uint32_t> degrees;
  for (const auto& r : responses) {
    if (opened.count(r.party_id()) > 0) {
      rej.push_back({r.party_id(), "a second response from this party"});
      continue;
    }
    absl::StatusOr<std::vector<crypto::SecretBytes>> o =
        OpenUserDecryptionResponse(r, user_private_key, signers, request, fhe_parameter);
    if (!o.ok()) {
      rej.push_back({r.party_id(), std::string(o.status().message())});
      continue;
    }
    opened.emplace(r.party_id(), std::move(*o));
    degrees[r.party_id()] = r.degree();
  }
  const uint32_t n = centralized ? 1 : static_cast<uint32_t>(signers.size());
  std::vector<uint32_t> reported;
  for (const auto& [party, d] : degrees) reported.push_back(d);
  const uint32_t t = reported.empty() ? 0 : Majority(reported);
  for (auto it = opened.begin(); it != opened.end();) {
    if (degrees[it->first] != t) {
      rej.push_back({it->first, absl::StrCat("degree ", degrees[it->first],
                                             " differs from the majority's ", t)});
      it = opened.erase(it);
    } else {
      ++it;
    }
  }
  if (centralized ? t != 0 : 3 * t >= n) {
    return absl::AbortedError(
        absl::StrCat("user decryption: degree ", t, " is impossible for ", n, " parties"));
  }
  // Sync reconstruction corrects t - #⊥ errors, so at most t parties may be ⊥.
  const uint32_t needed = centralized ? 1 : n - t;
  if (opened.size() < needed) {
    return absl::FailedPreconditionError(absl::StrCat(
        "user decryption: ", opened.size(), " of ", n, " parties' responses accepted, at least ",
        needed, " needed (", responses.size(), " received, ", rej.size(), " rejected)"));
  }

  // ---- reconstruct, decode, recompose ----
  std::vector<lwe::TypedPlaintext> out;
  for (size_t i = 0; i < request.handles.size(); ++i) {
    const lwe::FheType type = request.types[i];
    const size_t blocks = codec.Blocks(type);
    const size_t elements = ElementsFor(blocks);
    std::vector<Gr128> secrets;
    if (centralized) {
      const crypto::SecretBytes& bytes = opened.begin()->second[i];
      for (size_t k = 0; k < elements; ++k)
        secrets.push_back(Gr128::Decode(bytes.data() + k * kElementSize));
    } else {
      algebra::ShareColumns<Gr128> cols;
      for (const auto& [party, per_ct] : opened) {
        cols.parties.push_back(static_cast<int>(party));
        std::vector<Gr128> values;
        for (size_t k = 0; k < elements; ++k) {
          values.push_back(Gr128::Decode(per_ct[i].data() + k * kElementSize));
        }
        cols.values.push_back(std::move(values));
      }
      const int bot = static_cast<int>(n - opened.size());
      auto rec = algebra::ReconstructBatchSync<Gr128>(
          {static_cast<int>(n), static_cast<int>(t), static_cast<int>(t)}, std::move(cols), bot);
      if (!rec.ok()) {
        return absl::AbortedError(
            absl::StrCat("user decryption: ciphertext ", i, ": the shares do not reconstruct (",
                         rec.error().message, "); more than t parties are wrong or missing"));
      }
      secrets = std::move(rec).value();
    }
    std::vector<algebra::Z128> values;
    bool padding_clear = true;
    for (size_t k = 0; k < elements; ++k) {
      for (int l = 0; l < kPacking; ++l) {
        const size_t index = k * kPacking + static_cast<size_t>(l);
        if (index < blocks) {
          values.push_back(secrets[k][l]);
        } else if (secrets[k][l] != 0) {
          padding_clear = false;
        }
      }
    }
    crypto::SecureZero(secrets);
    if (!padding_clear) {
      crypto::SecureZero(values);
      return absl::AbortedError(absl::StrCat("user decryption: ciphertext ", i,
                                             ": padding of the last ring element is not zero"));
    }
    absl::StatusOr<lwe::TypedPlaintext> pt = codec.Decode(type, values);
    crypto::SecureZero(values);
    if (!pt.ok()) {
      return absl::AbortedError(absl::StrCat("user decryption: ciphertext ", i,
                                             ": decoded value is invalid (", pt.status().message(),
                                             ")"));
    }
    out.push_back(*pt);
  }
  return out;
}

}  // namespace kms::client
