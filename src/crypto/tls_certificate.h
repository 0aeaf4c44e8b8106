// File: crypto/tls_certificate.h
//
// TLS identities of the parties (service-spec §1 kms-gen-keys, §3; crypto-spec B §3 "TLS"):
// an ECDSA P-256 key pair and a self-signed X.509 v3 certificate whose subject CN is the party's
// identity, repeated in the subjectAltName (DNS:<identity>, or IP:<identity> when the identity is
// an IP address). Each party trusts exactly the configured certificates of its peers, so there is
// no certificate authority: the certificate is its own trust anchor.
//
// Certificate profile (what GenerateSelfSignedCertificate writes):
//   version 3, random positive 128-bit serial, signature ecdsa-with-SHA256,
//   validity from one hour ago (clock skew) to ~10 years ahead (kCertificateValidityDays),
//   basicConstraints critical CA:FALSE (a party's key can sign no other certificate, so one
//   party cannot mint a certificate naming another one that chains to its own trusted cert),
//   no keyUsage (OpenSSL then accepts the certificate as its own issuer),
//   extendedKeyUsage serverAuth, clientAuth (each party is both TLS server and client),
//   subjectKeyIdentifier, authorityKeyIdentifier (= own key id), subjectAltName.
//
// PEM in and out. Private keys leave this module only as PKCS#8 PEM inside SecretBytes, written
// through OpenSSL's secure-heap BIO, so no unzeroed copy is left behind.
//
//   KMS_ASSIGN_OR_RETURN(TlsIdentity id, GenerateSelfSignedCertificate("p1.example"));
//   KMS_ASSIGN_OR_RETURN(std::string cn, CertificateCommonName(id.certificate_pem));
//
// Thread-safe (no shared state).
#ifndef KMS_CRYPTO_TLS_CERTIFICATE_H_
#define KMS_CRYPTO_TLS_CERTIFICATE_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/bytes.h"
#include "crypto/secure_zero.h"

namespace kms::crypto {

inline constexpr int kCertificateValidityDays = 3650;
// Upper bound on PEM input accepted by the parsers below (a certificate is ~700 bytes).
inline constexpr size_t kMaxPemBytes = 64 * 1024;
// X.520 upper bound on a common name; identities longer than this cannot be a CN.
inline constexpr size_t kMaxIdentityLength = 64;

struct TlsIdentity {
  std::string certificate_pem;  // public
  SecretBytes private_key_pem;  // PKCS#8 PEM, "-----BEGIN PRIVATE KEY-----"
};

// Checks that `identity` can be a certificate identity: 1..kMaxIdentityLength characters, either
// an IPv4/IPv6 address or a DNS-style name of letters, digits, '-', '_' and '.'.
// InvalidArgument naming the problem otherwise.
[[nodiscard]] absl::Status ValidateIdentity(std::string_view identity);

// True if `identity` parses as an IPv4 or IPv6 address (it then goes into the SAN as IP:).
bool IdentityIsIpAddress(std::string_view identity);

// A fresh P-256 key pair and a self-signed certificate for `identity` (profile above), valid for
// `validity_days` days. `extra_names` go into the SAN after the identity (a client port reached
// as "localhost" and "127.0.0.1", say); the CN stays `identity`. InvalidArgument for a bad name
// or validity; Internal if OpenSSL fails.
[[nodiscard]] absl::StatusOr<TlsIdentity> GenerateSelfSignedCertificate(
    std::string_view identity, int validity_days = kCertificateValidityDays,
    const std::vector<std::string>& extra_names = {});

// The text of a PEM file (certificate or private key) of at most kMaxPemBytes.
// NotFound "cannot read <path>", InvalidArgument "<path> is larger than ..." or "<path> is not a
// PEM file"; the buffer is zeroed before a refusal, since it may hold a key.
[[nodiscard]] absl::StatusOr<std::string> ReadPemFile(const std::string& path);

// The subject common name of the (first) certificate in `pem`. InvalidArgument if the PEM does
// not hold a certificate or the certificate has no CN.
[[nodiscard]] absl::StatusOr<std::string> CertificateCommonName(std::string_view pem);

// The subjectAltName entries of the certificate in `pem`, rendered "DNS:<name>" or "IP:<addr>"
// (other kinds are skipped). Empty if the certificate has no SAN.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> CertificateSubjectAltNames(
    std::string_view pem);

// The DER encoding of the certificate in `pem`: two PEM texts name the same certificate exactly
// when their DER encodings are equal.
[[nodiscard]] absl::StatusOr<Bytes> CertificateDer(std::string_view pem);

// OK if the certificate's CN equals `identity` and its SAN lists the identity (DNS: or IP:);
// InvalidArgument saying which part differs otherwise (crypto-spec B §3: "the subject CN is the
// party identity and must also appear in the SAN").
[[nodiscard]] absl::Status CheckCertificateIdentity(std::string_view pem,
                                                    std::string_view identity);

// OK if `private_key_pem` parses and is the private key of the certificate in `certificate_pem`.
// InvalidArgument otherwise; the message never contains key material.
[[nodiscard]] absl::Status CheckPrivateKeyMatchesCertificate(std::string_view certificate_pem,
                                                             const SecretBytes& private_key_pem);

}  // namespace kms::crypto

#endif  // KMS_CRYPTO_TLS_CERTIFICATE_H_
