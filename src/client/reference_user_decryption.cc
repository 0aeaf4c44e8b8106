// File: client/reference_user_decryption.cc
#include "client/reference_user_decryption.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "algebra/robust_reconstruction.h"
#include "common/status_macros.h"

namespace kms::client::reference {
namespace {

namespace ref = crypto::reference;
using algebra::Gr128;
using algebra::Z128;

// What every honest response of one request has in common (the reference's "pivot").
using Invariant = std::tuple<uint32_t, Bytes, std::vector<std::tuple<uint32_t, int32_t, Bytes>>>;

Invariant InvariantOf(const ref::UserDecryptionPayload& p) {
  std::vector<std::tuple<uint32_t, int32_t, Bytes>> entries;
  for (const auto& e : p.entries)
    entries.emplace_back(e.packing_factor, e.fhe_type, e.external_handle);
  return {p.degree, p.digest, std::move(entries)};
}

struct Checked {
  uint32_t party_id;
  crypto::VerificationKey key;
  ref::UserDecryptionPayload payload;
};

}  // namespace

uint32_t PackingFactor(int32_t fhe_type) { return fhe_type == ref::kFheBool ? 1 : 2; }

absl::StatusOr<size_t> NumBlocks(int32_t fhe_type, uint32_t packing_factor) {
  KMS_ASSIGN_OR_RETURN(int bits, ref::FheTypeBits(fhe_type));
  if (packing_factor < 1 || packing_factor > 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("packing_factor: ", packing_factor, " (1 or 2 supported)"));
  }
  const size_t block_bits = 2 * packing_factor;
  return (static_cast<size_t>(bits) + block_bits - 1) / block_bits;
}

absl::StatusOr<size_t> NumElements(int32_t fhe_type, uint32_t packing_factor) {
  KMS_ASSIGN_OR_RETURN(size_t blocks, NumBlocks(fhe_type, packing_factor));
  return (blocks + 3) / 4;
}

absl::StatusOr<std::vector<Gr128>> PackPlaintext(int32_t fhe_type, ByteSpan le_bytes) {
  KMS_ASSIGN_OR_RETURN(int bits, ref::FheTypeBits(fhe_type));
  const uint32_t pf = PackingFactor(fhe_type);
  KMS_ASSIGN_OR_RETURN(size_t blocks, NumBlocks(fhe_type, pf));
  if (le_bytes.size() > static_cast<size_t>((bits + 7) / 8)) {
    return absl::InvalidArgumentError("plaintext: more bytes than the type holds");
  }
  auto bit = [&](size_t i) -> unsigned {
    return i / 8 < le_bytes.size() && i < static_cast<size_t>(bits)
               ? (le_bytes[i / 8] >> (i % 8)) & 1
               : 0;
  };
  std::vector<Gr128> out((blocks + 3) / 4);
  for (size_t k = 0; k < blocks; ++k) {
    unsigned d = 0;
    for (size_t b = 0; b < 2 * pf; ++b) d |= bit(k * 2 * pf + b) << b;
    out[k / 4].coefs()[k % 4] = static_cast<Z128>(d) << kBlockShift;
  }
  return out;
}

absl::StatusOr<Bytes> DecodePhases(int32_t fhe_type, uint32_t packing_factor,
                                   std::span<const Gr128> phases) {
  KMS_ASSIGN_OR_RETURN(int bits, ref::FheTypeBits(fhe_type));
  KMS_ASSIGN_OR_RETURN(size_t blocks, NumBlocks(fhe_type, packing_factor));
  if (phases.size() * 4 < blocks) return absl::InvalidArgumentError("shares: too few elements");
  const Z128 all_ones = ~Z128{0};
  const Z128 negative_floor = all_ones - (Z128{1} << kBlockShift);
  // 256 value bits plus room for the carries of wrapping block additions.
  std::vector<uint8_t> value(40, 0);
  const size_t block_bits = 2 * packing_factor;
  for (size_t k = 0; k < blocks; ++k) {
    const Z128 c = phases[k / 4].coefs()[k % 4];
    const unsigned d = c > negative_floor
                           ? 0
                           : static_cast<unsigned>(((c + (Z128{1} << 122)) >> kBlockShift) & 15);
    // value += d << (k * block_bits), with carries.
    const size_t shift = k * block_bits;
    unsigned carry = d << (shift % 8);
    for (size_t i = shift / 8; i < value.size() && carry != 0; ++i) {
      carry += value[i];
      value[i] = static_cast<uint8_t>(carry);
      carry >>= 8;
    }
  }
  const size_t keep_bits = std::min(blocks * block_bits, static_cast<size_t>(bits == 1 ? 8 : bits));
  Bytes out((bits + 7) / 8, 0);
  for (size_t i = 0; i < out.size(); ++i) {
    const size_t lo = i * 8;
    if (lo >= keep_bits) break;
    const size_t n = std::min<size_t>(8, keep_bits - lo);
    out[i] = static_cast<uint8_t>(value[i] & ((1u << n) - 1));
  }
  return out;
}

absl::StatusOr<std::vector<ref::TypedPlaintext>> ReconstructUserDecryption(
    std::span<const ServerIdentity> servers, const crypto::Eip712Domain& domain,
    const ref::UserEncKey& user_key, const crypto::SecretBytes& dk,
    const crypto::EthAddress& client_address, std::span<const Bytes> handles,
    std::span<const ReceivedResponse> responses) {
  if (servers.empty()) return absl::InvalidArgumentError("user decryption: no servers");
  if (responses.empty()) return absl::InvalidArgumentError("user decryption: no responses");
  KMS_ASSIGN_OR_RETURN(crypto::Digest link,
                       ref::ComputeLink(domain, user_key, handles, client_address));
  std::map<uint32_t, crypto::EthAddress> by_id;
  for (const ServerIdentity& s : servers) {
    if (!by_id.emplace(s.party_id, s.address).second) {
      return absl::InvalidArgumentError("servers: duplicate party id");
    }
  }
  const bool centralized = servers.size() == 1 && responses.size() <= 1;
  const int t = static_cast<int>((servers.size() - 1) / 3);

  // Step 1: parse and check each response on its own; drop the ones that fail.
  std::vector<Checked> checked;
  for (const ReceivedResponse& r : responses) {
    auto payload = ref::ParseUserDecryptionPayload(r.payload);
    if (!payload.ok()) continue;
    auto key = ref::ParsePublicSigKey(payload->verification_key);
    if (!key.ok()) continue;
    auto it = by_id.find(payload->party_id);
    if (it == by_id.end() || it->second != key->EthereumAddress()) continue;
    if (r.external_signature.size() != 65) continue;
    crypto::Signature65 sig;
    std::copy(r.external_signature.begin(), r.external_signature.end(), sig.begin());
    auto digest = ref::UserDecryptResponseDigest(domain, user_key, *payload, r.payload);
    if (!digest.ok() || !key->VerifyDigest(*digest, sig)) continue;
    checked.push_back(Checked{payload->party_id, *key, std::move(*payload)});
  }

  if (centralized) {
    if (checked.size() != 1 || checked[0].party_id != 1) {
      return absl::InvalidArgumentError("user decryption: no valid centralized response");
    }
    const ref::UserDecryptionPayload& p = checked[0].payload;
    if (!std::equal(p.digest.begin(), p.digest.end(), link.begin(), link.end())) {
      return absl::InvalidArgumentError("user decryption: the response is for another request");
    }
    std::vector<ref::TypedPlaintext> out;
    for (const auto& e : p.entries) {
      KMS_ASSIGN_OR_RETURN(Bytes msg, ref::Unsigncrypt(dk, user_key, client_address, checked[0].key,
                                                       e.signcrypted_ciphertext));
      KMS_ASSIGN_OR_RETURN(ref::SigncryptionPayload sp, ref::ParseSigncryptionPayload(msg));
      if (!std::equal(sp.link.begin(), sp.link.end(), link.begin(), link.end())) {
        return absl::InvalidArgumentError("user decryption: signcrypted link mismatch");
      }
      out.push_back(ref::TypedPlaintext{std::move(sp.plaintext), sp.fhe_type});
    }
    return out;
  }

  // Step 2: the pivot, which at least t + 1 valid responses share.
  std::map<Invariant, int> counts;
  for (const Checked& c : checked) ++counts[InvariantOf(c.payload)];
  const Invariant* pivot = nullptr;
  int best = 0;
  for (const auto& [inv, count] : counts) {
    if (count > best) pivot = &inv, best = count;
  }
  if (pivot == nullptr || best < t + 1) {
    return absl::InvalidArgumentError("user decryption: could not validate the responses");
  }
  const uint32_t degree = std::get<0>(*pivot);
  if (static_cast<int>(degree) != t) {
    return absl::InvalidArgumentError(
        absl::StrCat("user decryption: degree ", degree, " does not match threshold ", t));
  }
  const Bytes& digest = std::get<1>(*pivot);
  if (!std::equal(digest.begin(), digest.end(), link.begin(), link.end())) {
    return absl::InvalidArgumentError("user decryption: the responses are for another request");
  }
  const int n = 3 * static_cast<int>(degree) + 1;
  std::vector<const Checked*> valid;
  std::set<uint32_t> ids;
  std::set<Bytes> keys;
  for (const Checked& c : checked) {
    if (InvariantOf(c.payload) != *pivot) continue;
    if (c.party_id < 1 || static_cast<int>(c.party_id) > n) continue;
    if (!ids.insert(c.party_id).second || !keys.insert(c.payload.verification_key).second) continue;
    valid.push_back(&c);
  }
  if (static_cast<int>(valid.size()) <= t) {
    return absl::InvalidArgumentError("user decryption: too few valid responses");
  }

  // Step 3: per entry, unsigncrypt every valid response's share and decode with errors.
  const auto& entries = std::get<2>(*pivot);
  std::vector<ref::TypedPlaintext> out;
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& [pf, fhe_type, handle] = entries[i];
    KMS_ASSIGN_OR_RETURN(size_t num_elems, NumElements(fhe_type, pf));
    algebra::ShareColumns<Gr128> cols;
    int failures = 0;
    for (const Checked* c : valid) {
      auto msg = ref::Unsigncrypt(dk, user_key, client_address, c->key,
                                  c->payload.entries[i].signcrypted_ciphertext);
      auto sp = msg.ok() ? ref::ParseSigncryptionPayload(*msg)
                         : absl::StatusOr<ref::SigncryptionPayload>(msg.status());
      if (!sp.ok() || !std::equal(sp->link.begin(), sp->link.end(), link.begin(), link.end())) {
        ++failures;
        continue;
      }
      KMS_ASSIGN_OR_RETURN(std::vector<Gr128> shares,
                           ref::ParseResiduePolys(sp->plaintext, num_elems));
      shares.resize(num_elems);  // fewer elements are zero-filled, as the reference does
      cols.parties.push_back(static_cast<int>(c->party_id));
      cols.values.push_back(std::move(shares));
    }
    if (failures > t) {
      return absl::InvalidArgumentError(
          absl::StrCat("user decryption: too many errors in signcryption: ", failures));
    }
    const int num_bot = n - static_cast<int>(cols.parties.size());
    auto phases = algebra::ReconstructBatchSync(
        algebra::RobustParams{n, t, static_cast<int>(degree)}, std::move(cols), num_bot);
    if (!phases.ok()) {
      return absl::InvalidArgumentError("user decryption: cannot reconstruct the shares");
    }
    KMS_ASSIGN_OR_RETURN(Bytes bytes, DecodePhases(fhe_type, pf, phases.value()));
    out.push_back(ref::TypedPlaintext{std::move(bytes), fhe_type});
  }
  return out;
}

}  // namespace kms::client::reference
