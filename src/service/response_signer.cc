#include "service/response_signer.h"

#include "common/status_macros.h"
#include "crypto/signcryption.h"
#include "lwe/fhe_type.h"

namespace kms::service {
namespace {

std::string Str(ByteSpan b) { return std::string(b.begin(), b.end()); }

}  // namespace

Bytes DecryptionExtraData(const Id32& request_id, const Id32& key_id, ByteSpan extra_data) {
  Bytes out;
  Append(out, request_id);
  Append(out, key_id);
  Append(out, extra_data);
  return out;
}

kms::v1::TypedPlaintext ToProto(const lwe::TypedPlaintext& p) {
  kms::v1::TypedPlaintext out;
  out.set_fhe_type(lwe::FheTypeName(p.type));
  out.set_value(p.ToString());
  out.set_value_le(Str(p.value_le));
  return out;
}

void ResponseSigner::FillSigner(std::string* signature_field, const crypto::Signature65& sig,
                                std::string* vk_field, std::string* address_field) const {
  *signature_field = Str(sig);
  *vk_field = Str(key_.verification_key().SerializeCompressed());
  *address_field = key_.verification_key().EthereumAddressChecksummed();
}

kms::v1::PublicDecryptionResponse ResponseSigner::PublicDecryption(
    const Id32& request_id, const Id32& key_id, std::span<const ParsedCiphertext> ciphertexts,
    std::span<const lwe::TypedPlaintext> plaintexts, ByteSpan extra_data,
    const crypto::Eip712Domain& domain) const {
  kms::v1::PublicDecryptionResponse out;
  out.set_request_id(IdToHex(request_id));
  out.set_key_id(IdToHex(key_id));
  std::vector<crypto::Digest> handles;
  Bytes abi;
  for (size_t i = 0; i < plaintexts.size(); ++i) {
    *out.add_plaintexts() = ToProto(plaintexts[i]);
    handles.push_back(ciphertexts[i].handle);
    out.add_ct_handles(Str(ciphertexts[i].handle));
    Append(abi, plaintexts[i].AbiEncodeUint256());
  }
  const Bytes extra = DecryptionExtraData(request_id, key_id, extra_data);
  const crypto::Digest digest =
      crypto::Eip712Digest(domain, crypto::PublicDecryptVerification(handles, abi, extra));
  FillSigner(out.mutable_signature(), key_.SignDigest(digest), out.mutable_verification_key(),
             out.mutable_signer_address());
  out.set_party_id(party_id_);
  return out;
}

absl::StatusOr<kms::v1::UserDecryptionResponse> ResponseSigner::UserDecryption(
    const UserDecryptionContext& request, std::span<const ParsedCiphertext> ciphertexts,
    const UserDecryptionOutput& shares) const {
  if (shares.packed.size() != ciphertexts.size() ||
      shares.block_counts.size() != ciphertexts.size()) {
    return absl::InternalError("user decryption: share count differs from ciphertext count");
  }
  std::vector<crypto::Digest> handles;
  for (const auto& ct : ciphertexts) handles.push_back(ct.handle);
  const crypto::Digest link = crypto::Eip712Digest(
      request.domain,
      crypto::UserDecryptionLinker(request.enc_key, handles, request.client_address));
  std::vector<crypto::SigncryptedShare> signcrypted;
  constexpr size_t kElementSize = algebra::Gr128::kEncodedSize;
  for (size_t i = 0; i < ciphertexts.size(); ++i) {
    const std::vector<algebra::Gr128>& packed = shares.packed[i];
    crypto::SecretBytes payload(packed.size() * kElementSize);
    for (size_t k = 0; k < packed.size(); ++k) packed[k].Encode(payload.data() + k * kElementSize);
    KMS_ASSIGN_OR_RETURN(Bytes envelope,
                         crypto::Signcrypt(key_, request.enc_key, payload.span(), link));
    signcrypted.push_back(crypto::SigncryptedShare{
        lwe::FheTypeName(ciphertexts[i].type), Bytes(handles[i].begin(), handles[i].end()),
        shares.block_counts[i], static_cast<uint32_t>(algebra::Gr128::kDegree),
        std::move(envelope)});
  }
  const crypto::UserDecryptedShareHeader header{party_id_, degree_, num_parties_,
                                                request.fhe_parameter};
  const Bytes encoded = crypto::EncodeUserDecryptedShares(header, signcrypted);
  const Bytes extra = DecryptionExtraData(request.request_id, request.key_id, request.extra_data);
  const crypto::Digest digest = crypto::Eip712Digest(
      request.domain,
      crypto::UserDecryptResponseVerification(request.enc_key, handles, encoded, extra));

  kms::v1::UserDecryptionResponse out;
  out.set_request_id(IdToHex(request.request_id));
  out.set_key_id(IdToHex(request.key_id));
  for (const auto& s : signcrypted) {
    kms::v1::UserDecryptionShare* share = out.add_shares();
    share->set_fhe_type(s.fhe_type);
    share->set_external_handle(Str(s.external_handle));
    share->set_block_count(s.block_count);
    share->set_packing_factor(s.packing_factor);
    share->set_signcrypted_share(Str(s.signcrypted_share));
  }
  out.set_link(Str(link));
  FillSigner(out.mutable_signature(), key_.SignDigest(digest), out.mutable_verification_key(),
             out.mutable_signer_address());
  out.set_party_id(party_id_);
  out.set_degree(degree_);
  out.set_num_parties(num_parties_);
  out.set_fhe_parameter(request.fhe_parameter);
  return out;
}

kms::v1::KeyGenResult ResponseSigner::KeyGen(const Id32& request_id, const PublicKeyInfo& key,
                                             const crypto::Eip712Domain& domain) const {
  kms::v1::KeyGenResult out;
  out.set_request_id(IdToHex(request_id));
  out.set_key_id(IdToHex(key.key_id));
  out.set_public_key(Str(key.public_key));
  out.set_public_key_digest(Str(key.digest));
  out.set_fhe_parameter(std::string(key.params.name()));
  out.set_insecure(key.insecure);
  const crypto::Digest digest =
      crypto::Eip712Digest(domain, crypto::KeygenVerification(request_id, key.key_id, key.digest,
                                                              out.fhe_parameter(), key.insecure));
  FillSigner(out.mutable_signature(), key_.SignDigest(digest), out.mutable_verification_key(),
             out.mutable_signer_address());
  out.set_party_id(party_id_);
  return out;
}

}  // namespace kms::service
