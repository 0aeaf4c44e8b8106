#include "service/request_validation.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "crypto/hybrid_encryption.h"
#include "lwe/fhe_type.h"
#include "lwe/formats.h"

namespace kms::service {
namespace {

absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

absl::Status Field(std::string_view field, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(Av(field), ": ", message));
}
absl::Status Field(std::string_view field, const std::string& message) {
  return Field(field, absl::string_view(message));
}
absl::Status Field(std::string_view field, const char* message) {
  return Field(field, absl::string_view(message));
}

ByteSpan Span(const std::string& s) { return AsBytes(s); }

}  // namespace

absl::StatusOr<std::vector<ParsedCiphertext>> ParseCiphertexts(
    const google::protobuf::RepeatedPtrField<kms::v1::TypedCiphertext>& ciphertexts,
    const ParameterSet& key_params) {
  if (ciphertexts.empty()) return Field("ciphertexts", "empty; at least one ciphertext is needed");
  if (static_cast<size_t>(ciphertexts.size()) > kMaxCiphertextsPerRequest) {
    return Field("ciphertexts", absl::StrCat(ciphertexts.size(), " ciphertexts; at most ",
                                             kMaxCiphertextsPerRequest, " per request"));
  }
  const bool tfhe_key = key_params.tfhe != nullptr;
  std::vector<ParsedCiphertext> out;
  out.reserve(ciphertexts.size());
  for (int i = 0; i < ciphertexts.size(); ++i) {
    const kms::v1::TypedCiphertext& in = ciphertexts[i];
    const std::string base = absl::StrCat("ciphertexts[", i, "]");
    if (!tfhe_key && in.ciphertext_format() != 0) {
      return Field(absl::StrCat(base, ".ciphertext_format"),
                   absl::StrCat(in.ciphertext_format(), " is not supported under the ",
                                std::string(key_params.name()),
                                " key (0: compact LWE list under the KMS key)"));
    }
    if (in.ciphertext().empty()) return Field(absl::StrCat(base, ".ciphertext"), "empty");
    if (in.fhe_type().empty()) return Field(absl::StrCat(base, ".fhe_type"), "missing");
    absl::StatusOr<lwe::FheType> type = lwe::FheTypeFromName(in.fhe_type());
    if (!type.ok()) {
      return Field(absl::StrCat(base, ".fhe_type"),
                   absl::StrCat("unknown type \"", in.fhe_type().substr(0, 32),
                                "\" (ebool, euint4, euint8, euint16, euint32, euint64, euint128, "
                                "euint160, euint256)"));
    }
    ParsedCiphertext parsed;
    parsed.type = *type;
    if (tfhe_key) {
      absl::StatusOr<TfheCiphertext> ct =
          ParseTfheCiphertext(in.ciphertext_format(), *type, Span(in.ciphertext()));
      if (!ct.ok()) {
        const bool bad_format = in.ciphertext_format() < 0 || in.ciphertext_format() > 3;
        return Field(absl::StrCat(base, bad_format ? ".ciphertext_format" : ".ciphertext"),
                     ct.status().message());
      }
      parsed.value = std::move(*ct);
    } else {
      absl::StatusOr<lwe::TypedCiphertext> ct = lwe::ParseTypedCiphertext(Span(in.ciphertext()));
      if (!ct.ok()) return Field(absl::StrCat(base, ".ciphertext"), ct.status().message());
      if (*type != ct->type) {
        return Field(absl::StrCat(base, ".fhe_type"),
                     absl::StrCat("\"", in.fhe_type(), "\" does not match the encoded type ",
                                  lwe::FheTypeName(ct->type)));
      }
      if (ct->list.params != key_params.lwe) {
        return Field(
            absl::StrCat(base, ".ciphertext"),
            absl::StrCat("parameter set ",
                         ct->list.params != nullptr ? ct->list.params->name : std::string("?"),
                         " differs from the key's (", std::string(key_params.name()), ")"));
      }
      parsed.value = std::move(*ct);
    }
    if (in.external_handle().empty()) {
      parsed.handle = crypto::HashElement(crypto::kDsepHandle, Span(in.ciphertext()));
    } else if (in.external_handle().size() == parsed.handle.size()) {
      std::copy(in.external_handle().begin(), in.external_handle().end(), parsed.handle.begin());
    } else {
      return Field(absl::StrCat(base, ".external_handle"),
                   absl::StrCat("expected 32 bytes (or none), got ", in.external_handle().size()));
    }
    out.push_back(std::move(parsed));
  }
  return out;
}

crypto::Eip712Domain DefaultDomain() {
  crypto::Eip712Domain d;
  d.name = "KMS";
  d.version = "1";
  return d;
}

absl::StatusOr<crypto::Eip712Domain> ParseDomain(bool has_domain, const kms::v1::Eip712Domain& d) {
  if (!has_domain) return DefaultDomain();
  crypto::Eip712Domain out;
  out.name = d.name();
  out.version = d.version();
  if (!d.chain_id().empty()) {
    if (d.chain_id().size() != 32) {
      return Field("domain.chain_id", absl::StrCat("expected 32 bytes (big-endian uint256), got ",
                                                   d.chain_id().size()));
    }
    crypto::Uint256 v;
    std::copy(d.chain_id().begin(), d.chain_id().end(), v.begin());
    out.chain_id = v;
  }
  if (!d.verifying_contract().empty()) {
    absl::StatusOr<crypto::EthAddress> a = crypto::ParseEthAddress(d.verifying_contract());
    if (!a.ok()) return Field("domain.verifying_contract", a.status().message());
    out.verifying_contract = *a;
  }
  if (!d.salt().empty()) {
    if (d.salt().size() != 32) {
      return Field("domain.salt", absl::StrCat("expected 32 bytes, got ", d.salt().size()));
    }
    crypto::Digest s;
    std::copy(d.salt().begin(), d.salt().end(), s.begin());
    out.salt = s;
  }
  return out;
}

absl::StatusOr<ParameterSet> ParseFheParameter(std::string_view field, std::string_view name,
                                               const lwe::LweParameters& configured) {
  if (name.empty()) return ParameterSet(&configured);
  absl::StatusOr<ParameterSet> p = ParameterSetByName(name);
  if (!p.ok()) return Field(field, p.status().message());
  return p;
}

absl::Status ValidateEncKey(std::string_view field, const std::string& enc_key) {
  if (enc_key.size() != crypto::X25519Kem::kKeySize) {
    return Field(field, absl::StrCat("expected a ", crypto::X25519Kem::kKeySize,
                                     "-byte X25519 public key, got ", enc_key.size(), " bytes"));
  }
  // A weak (small-order) point would make every share readable by anyone; X25519 refuses it.
  crypto::X25519Kem kem;
  absl::StatusOr<crypto::Encapsulation> e = kem.Encapsulate(Span(enc_key));
  if (!e.ok()) return Field(field, e.status().message());
  return absl::OkStatus();
}

absl::StatusOr<crypto::EthAddress> ParseClientAddress(std::string_view field,
                                                      const std::string& address) {
  if (address.empty()) return Field(field, "missing (expected a 0x-prefixed Ethereum address)");
  absl::StatusOr<crypto::EthAddress> a = crypto::ParseEthAddress(address);
  if (!a.ok()) return Field(field, a.status().message());
  return a;
}

}  // namespace kms::service
