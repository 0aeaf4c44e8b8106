#include "crypto/tls_certificate.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <fstream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "crypto/random.h"

namespace kms::crypto {
namespace {

struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct ExtFree {
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, ExtFree>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, GeneralNamesFree>;

// Debian's Abseil is built with its own string_view, which StrCat does not take from std.
absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// The first queued OpenSSL error as text, and an empty queue afterwards (the queue is per
// thread and shared with gRPC's TLS code, so a stale entry would confuse its next check).
std::string DrainOpenSslErrors() {
  unsigned long code = ERR_get_error();
  std::string text = "no detail";
  if (code != 0) {
    std::array<char, 256> buf{};
    ERR_error_string_n(code, buf.data(), buf.size());
    text = buf.data();
  }
  ERR_clear_error();
  return text;
}

absl::Status OpenSslFailure(std::string_view what) {
  return absl::InternalError(absl::StrCat("OpenSSL: ", Av(what), ": ", DrainOpenSslErrors()));
}

absl::StatusOr<X509Ptr> ParseCertificate(std::string_view pem) {
  if (pem.empty()) return absl::InvalidArgumentError("certificate PEM is empty");
  if (pem.size() > kMaxPemBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("certificate PEM is ", pem.size(), " bytes, more than ", kMaxPemBytes));
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return OpenSslFailure("BIO_new_mem_buf");
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    return absl::InvalidArgumentError(absl::StrCat(
        "certificate PEM does not hold an X.509 certificate (", DrainOpenSslErrors(), ")"));
  }
  return cert;
}

absl::StatusOr<PkeyPtr> ParsePrivateKey(const SecretBytes& pem) {
  if (pem.empty()) return absl::InvalidArgumentError("private key PEM is empty");
  if (pem.size() > kMaxPemBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("private key PEM is ", pem.size(), " bytes, more than ", kMaxPemBytes));
  }
  // A read-only BIO over our own buffer: OpenSSL decodes the base64 into its secure heap.
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return OpenSslFailure("BIO_new_mem_buf");
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  // The OpenSSL error text could quote decoder internals only, never key bytes, but a key
  // problem needs no more detail than this.
  ERR_clear_error();
  if (!key) return absl::InvalidArgumentError("private key PEM does not hold a private key");
  return key;
}

absl::Status AddExtension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
  if (!ext) return OpenSslFailure(absl::StrCat("building extension ", OBJ_nid2sn(nid)));
  if (X509_add_ext(cert, ext.get(), -1) != 1) {
    return OpenSslFailure(absl::StrCat("adding extension ", OBJ_nid2sn(nid)));
  }
  return absl::OkStatus();
}

// "IP:<canonical address>" for an IP identity (so "::0001" and "::1" compare equal, as
// CertificateSubjectAltNames renders addresses canonically), "DNS:<identity>" otherwise.
std::string SanEntryFor(std::string_view identity) {
  std::string s(identity);
  std::array<unsigned char, 16> bin{};
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (inet_pton(AF_INET, s.c_str(), bin.data()) == 1 &&
      inet_ntop(AF_INET, bin.data(), text.data(), text.size()) != nullptr) {
    return absl::StrCat("IP:", text.data());
  }
  if (inet_pton(AF_INET6, s.c_str(), bin.data()) == 1 &&
      inet_ntop(AF_INET6, bin.data(), text.data(), text.size()) != nullptr) {
    return absl::StrCat("IP:", text.data());
  }
  return absl::StrCat("DNS:", Av(identity));
}

}  // namespace

bool IdentityIsIpAddress(std::string_view identity) {
  std::string s(identity);
  std::array<unsigned char, 16> buf{};
  return inet_pton(AF_INET, s.c_str(), buf.data()) == 1 ||
         inet_pton(AF_INET6, s.c_str(), buf.data()) == 1;
}

absl::Status ValidateIdentity(std::string_view identity) {
  if (identity.empty()) return absl::InvalidArgumentError("identity is empty");
  if (identity.size() > kMaxIdentityLength) {
    return absl::InvalidArgumentError(absl::StrCat("identity is ", identity.size(),
                                                   " characters, more than ", kMaxIdentityLength));
  }
  if (IdentityIsIpAddress(identity)) return absl::OkStatus();
  for (char c : identity) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) {
      return absl::InvalidArgumentError(
          "identity must be an IP address or a DNS name of letters, digits, '-', '_' and '.'");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<TlsIdentity> GenerateSelfSignedCertificate(
    std::string_view identity, int validity_days, const std::vector<std::string>& extra_names) {
  KMS_RETURN_IF_ERROR(ValidateIdentity(identity));
  std::string san = SanEntryFor(identity);
  for (const std::string& extra : extra_names) {
    KMS_RETURN_IF_ERROR(ValidateIdentity(extra));
    if (extra != identity) absl::StrAppend(&san, ",", SanEntryFor(extra));
  }
  if (validity_days < 1 || validity_days > 100 * 366) {
    return absl::InvalidArgumentError(
        absl::StrCat("validity_days must be in [1, 36600], got ", validity_days));
  }
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return OpenSslFailure("generating a P-256 key");

  X509Ptr cert(X509_new());
  if (!cert) return OpenSslFailure("X509_new");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1) return OpenSslFailure("X509_set_version");

  // Serial: 128 random bits, top bit cleared so the DER integer is positive, never zero.
  std::array<uint8_t, 16> serial_bytes{};
  OsRandom(serial_bytes);
  serial_bytes[0] &= 0x7f;
  serial_bytes[15] |= 0x01;
  BnPtr serial(BN_bin2bn(serial_bytes.data(), static_cast<int>(serial_bytes.size()), nullptr));
  if (!serial || BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return OpenSslFailure("setting the serial number");
  }

  // Valid from an hour ago, so a peer whose clock is slightly behind accepts it at once.
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert.get()), validity_days, 0, nullptr) == nullptr) {
    return OpenSslFailure("setting the validity period");
  }

  std::string cn(identity);
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                 0) != 1) {
    return OpenSslFailure("setting the subject CN");
  }
  if (X509_set_issuer_name(cert.get(), name) != 1) return OpenSslFailure("setting the issuer");
  if (X509_set_pubkey(cert.get(), key.get()) != 1) return OpenSslFailure("setting the key");

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  KMS_RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE"));
  KMS_RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_ext_key_usage, "serverAuth,clientAuth"));
  KMS_RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  // The authority key id is computed from the issuer's (our own) subject key id added above.
  KMS_RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always"));
  KMS_RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_subject_alt_name, san));

  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) {
    return OpenSslFailure("signing the certificate");
  }

  TlsIdentity out;
  {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), cert.get()) != 1) {
      return OpenSslFailure("writing the certificate PEM");
    }
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    out.certificate_pem.assign(data, static_cast<size_t>(len));
  }
  {
    // The secure-memory BIO clears its buffer when freed.
    BioPtr bio(BIO_new(BIO_s_secmem()));
    if (!bio || PEM_write_bio_PKCS8PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr,
                                              nullptr) != 1) {
      return OpenSslFailure("writing the private key PEM");
    }
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    out.private_key_pem = SecretBytes(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data), static_cast<size_t>(len)));
  }
  return out;
}

absl::StatusOr<std::string> ReadPemFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::string data(kMaxPemBytes + 1, '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<size_t>(in.gcount()));
  absl::Status refused;
  if (data.size() > kMaxPemBytes) {
    refused =
        absl::InvalidArgumentError(absl::StrCat(path, " is larger than ", kMaxPemBytes, " bytes"));
  } else if (data.find("-----BEGIN ") == std::string::npos) {
    refused = absl::InvalidArgumentError(absl::StrCat(path, " is not a PEM file"));
  }
  if (!refused.ok()) {
    SecureZero(data.data(), data.size());
    return refused;
  }
  return data;
}

absl::StatusOr<std::string> CertificateCommonName(std::string_view pem) {
  KMS_ASSIGN_OR_RETURN(X509Ptr cert, ParseCertificate(pem));
  X509_NAME* name = X509_get_subject_name(cert.get());
  int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) return absl::InvalidArgumentError("certificate subject has no CN");
  if (X509_NAME_get_index_by_NID(name, NID_commonName, index) >= 0) {
    return absl::InvalidArgumentError("certificate subject has more than one CN");
  }
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) {
    ERR_clear_error();
    return absl::InvalidArgumentError("certificate CN is not a valid string");
  }
  std::string cn(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  return cn;
}

absl::StatusOr<std::vector<std::string>> CertificateSubjectAltNames(std::string_view pem) {
  KMS_ASSIGN_OR_RETURN(X509Ptr cert, ParseCertificate(pem));
  std::vector<std::string> out;
  int crit = 0;
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, &crit, nullptr)));
  if (!names) {
    ERR_clear_error();
    // crit == -1: no SAN; anything else: present but undecodable.
    if (crit != -1) return absl::InvalidArgumentError("certificate subjectAltName is malformed");
    return out;
  }
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
    if (gn->type == GEN_DNS) {
      const ASN1_STRING* s = gn->d.dNSName;
      out.push_back(absl::StrCat(
          "DNS:", absl::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                    static_cast<size_t>(ASN1_STRING_length(s)))));
    } else if (gn->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* s = gn->d.iPAddress;
      int len = ASN1_STRING_length(s);
      std::array<char, INET6_ADDRSTRLEN> text{};
      const void* bytes = ASN1_STRING_get0_data(s);
      const char* ok = nullptr;
      if (len == 4) ok = inet_ntop(AF_INET, bytes, text.data(), text.size());
      if (len == 16) ok = inet_ntop(AF_INET6, bytes, text.data(), text.size());
      if (ok == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("certificate SAN IP address has ", len, " bytes, not 4 or 16"));
      }
      out.push_back(absl::StrCat("IP:", text.data()));
    }
  }
  return out;
}

absl::StatusOr<Bytes> CertificateDer(std::string_view pem) {
  KMS_ASSIGN_OR_RETURN(X509Ptr cert, ParseCertificate(pem));
  unsigned char* der = nullptr;
  int len = i2d_X509(cert.get(), &der);
  if (len <= 0) return OpenSslFailure("encoding the certificate as DER");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

absl::Status CheckCertificateIdentity(std::string_view pem, std::string_view identity) {
  KMS_ASSIGN_OR_RETURN(std::string cn, CertificateCommonName(pem));
  if (cn != identity) {
    return absl::InvalidArgumentError(
        absl::StrCat("certificate CN is \"", cn, "\", expected \"", Av(identity), "\""));
  }
  KMS_ASSIGN_OR_RETURN(std::vector<std::string> sans, CertificateSubjectAltNames(pem));
  std::string wanted = SanEntryFor(identity);
  for (const std::string& san : sans) {
    if (san == wanted) return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("certificate subjectAltName does not list ", wanted));
}

absl::Status CheckPrivateKeyMatchesCertificate(std::string_view certificate_pem,
                                               const SecretBytes& private_key_pem) {
  KMS_ASSIGN_OR_RETURN(X509Ptr cert, ParseCertificate(certificate_pem));
  KMS_ASSIGN_OR_RETURN(PkeyPtr key, ParsePrivateKey(private_key_pem));
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("private key does not belong to the certificate");
  }
  return absl::OkStatus();
}

}  // namespace kms::crypto
