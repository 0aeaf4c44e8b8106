#include "crypto/tls_certificate.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>
#include <string>

namespace kms::crypto {
namespace {

struct X509Deleter {
  void operator()(X509* p) const { X509_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

X509Ptr Parse(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509Ptr cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return cert;
}

std::string KeyText(const SecretBytes& key) {
  return std::string(reinterpret_cast<const char*>(key.data()), key.size());
}

TEST(TlsCertificateTest, CommonNameAndDnsSan) {
  auto id = GenerateSelfSignedCertificate("p1.example");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_NE(id->certificate_pem.find("-----BEGIN CERTIFICATE-----"), std::string::npos);
  EXPECT_NE(KeyText(id->private_key_pem).find("-----BEGIN PRIVATE KEY-----"), std::string::npos);

  auto cn = CertificateCommonName(id->certificate_pem);
  ASSERT_TRUE(cn.ok()) << cn.status();
  EXPECT_EQ(*cn, "p1.example");
  auto sans = CertificateSubjectAltNames(id->certificate_pem);
  ASSERT_TRUE(sans.ok()) << sans.status();
  EXPECT_EQ(*sans, std::vector<std::string>{"DNS:p1.example"});
  EXPECT_TRUE(CheckCertificateIdentity(id->certificate_pem, "p1.example").ok());
  EXPECT_EQ(CheckCertificateIdentity(id->certificate_pem, "p2.example").code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(TlsCertificateTest, IpIdentityGetsIpSan) {
  auto v4 = GenerateSelfSignedCertificate("127.0.0.1");
  ASSERT_TRUE(v4.ok()) << v4.status();
  EXPECT_EQ(*CertificateSubjectAltNames(v4->certificate_pem),
            std::vector<std::string>{"IP:127.0.0.1"});
  EXPECT_TRUE(CheckCertificateIdentity(v4->certificate_pem, "127.0.0.1").ok());

  auto v6 = GenerateSelfSignedCertificate("::1");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(*CertificateSubjectAltNames(v6->certificate_pem), std::vector<std::string>{"IP:::1"});
  EXPECT_EQ(*CertificateCommonName(v6->certificate_pem), "::1");
  // A non-canonical spelling of the same address names the same SAN entry.
  EXPECT_TRUE(CheckCertificateIdentity(v6->certificate_pem, "::1").ok());
}

TEST(TlsCertificateTest, ExtraNamesFollowTheIdentityInTheSan) {
  auto id = GenerateSelfSignedCertificate("kms-p1", kCertificateValidityDays,
                                          {"localhost", "127.0.0.1", "kms-p1"});
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*CertificateCommonName(id->certificate_pem), "kms-p1");
  EXPECT_EQ(*CertificateSubjectAltNames(id->certificate_pem),
            (std::vector<std::string>{"DNS:kms-p1", "DNS:localhost", "IP:127.0.0.1"}));
  EXPECT_TRUE(CheckCertificateIdentity(id->certificate_pem, "kms-p1").ok());
  EXPECT_EQ(GenerateSelfSignedCertificate("kms-p1", kCertificateValidityDays, {"bad name!"})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(TlsCertificateTest, ProfileIsSelfSignedV3LeafValidTenYears) {
  auto id = GenerateSelfSignedCertificate("party-7");
  ASSERT_TRUE(id.ok()) << id.status();
  X509Ptr cert = Parse(id->certificate_pem);
  ASSERT_TRUE(cert);
  EXPECT_EQ(X509_get_version(cert.get()), X509_VERSION_3);
  // Signed by its own key.
  EXPECT_EQ(X509_verify(cert.get(), X509_get0_pubkey(cert.get())), 1);
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(cert.get()), X509_get_issuer_name(cert.get())), 0);
  // Not a CA: it cannot vouch for other certificates.
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  EXPECT_EQ(EVP_PKEY_get_base_id(X509_get0_pubkey(cert.get())), EVP_PKEY_EC);
  // notAfter about ten years from now (3650 days, give or take a day).
  time_t now = time(nullptr);
  int days = 0, secs = 0;
  ASN1_TIME* now_asn1 = ASN1_TIME_set(nullptr, now);
  ASSERT_EQ(ASN1_TIME_diff(&days, &secs, now_asn1, X509_get0_notAfter(cert.get())), 1);
  EXPECT_NEAR(days, kCertificateValidityDays, 1);
  ASSERT_EQ(ASN1_TIME_diff(&days, &secs, now_asn1, X509_get0_notBefore(cert.get())), 1);
  EXPECT_LE(days * 86400 + secs, 0);  // already valid
  ASN1_TIME_free(now_asn1);
  // Usable for both ends of a mutual TLS connection.
  EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_CLIENT, 0), 1);
  EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_SERVER, 0), 1);
}

TEST(TlsCertificateTest, SerialsAreRandomAndKeysDiffer) {
  auto a = GenerateSelfSignedCertificate("same");
  auto b = GenerateSelfSignedCertificate("same");
  ASSERT_TRUE(a.ok() && b.ok());
  X509Ptr ca = Parse(a->certificate_pem), cb = Parse(b->certificate_pem);
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(ca.get()), X509_get0_serialNumber(cb.get())),
            0);
  EXPECT_NE(a->certificate_pem, b->certificate_pem);
  EXPECT_NE(KeyText(a->private_key_pem), KeyText(b->private_key_pem));
}

TEST(TlsCertificateTest, PemRoundTrip) {
  auto id = GenerateSelfSignedCertificate("p3.example");
  ASSERT_TRUE(id.ok()) << id.status();
  // Certificate: PEM -> X509 -> PEM is the same text; DER equal both ways.
  X509Ptr cert = Parse(id->certificate_pem);
  BIO* bio = BIO_new(BIO_s_mem());
  ASSERT_EQ(PEM_write_bio_X509(bio, cert.get()), 1);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string again(data, static_cast<size_t>(len));
  BIO_free(bio);
  EXPECT_EQ(again, id->certificate_pem);
  auto der1 = CertificateDer(id->certificate_pem);
  auto der2 = CertificateDer(again);
  ASSERT_TRUE(der1.ok() && der2.ok());
  EXPECT_EQ(*der1, *der2);
  EXPECT_GT(der1->size(), 200u);

  // Private key: the PEM parses back and belongs to the certificate; another key does not.
  EXPECT_TRUE(CheckPrivateKeyMatchesCertificate(id->certificate_pem, id->private_key_pem).ok());
  auto other = GenerateSelfSignedCertificate("p3.example");
  ASSERT_TRUE(other.ok());
  absl::Status mismatch =
      CheckPrivateKeyMatchesCertificate(id->certificate_pem, other->private_key_pem);
  EXPECT_EQ(mismatch.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(mismatch.message().find("does not belong"), std::string::npos);
}

TEST(TlsCertificateTest, RejectsBadIdentities) {
  for (const char* bad : {"", "a b", "p1/evil", "name\n", "*.example", "é"}) {
    EXPECT_EQ(GenerateSelfSignedCertificate(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_EQ(GenerateSelfSignedCertificate(std::string(65, 'a')).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ValidateIdentity(std::string(64, 'a')).ok());
  EXPECT_EQ(GenerateSelfSignedCertificate("ok", 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(TlsCertificateTest, RejectsMalformedPem) {
  EXPECT_EQ(CertificateCommonName("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CertificateCommonName("not a pem").status().code(), absl::StatusCode::kInvalidArgument);
  std::string truncated = GenerateSelfSignedCertificate("x")->certificate_pem;
  truncated.resize(truncated.size() / 2);
  EXPECT_EQ(CertificateDer(truncated).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CertificateDer(std::string(kMaxPemBytes + 1, 'A')).status().code(),
            absl::StatusCode::kInvalidArgument);
  SecretBytes junk(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>("junk"), 4));
  auto id = GenerateSelfSignedCertificate("x");
  absl::Status st = CheckPrivateKeyMatchesCertificate(id->certificate_pem, junk);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckPrivateKeyMatchesCertificate(id->certificate_pem, SecretBytes()).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kms::crypto
