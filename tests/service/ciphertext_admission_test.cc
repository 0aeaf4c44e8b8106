// Ciphertext admission (service/ciphertext_admission.h) and its [admission] configuration: each
// policy, and under "attested" every forgery a caller could try (no attestation, a key that is
// not a producer, a producer's signature moved to other data, one producer counted twice),
// each refused with the index of the ciphertext and the reason.
#include "service/ciphertext_admission.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "crypto/ciphertext_attestation.h"
#include "service/config.h"

namespace kms::service {
namespace {

using ::testing::HasSubstr;

// ---------------------------------------------------------------------------------------------
// Configuration

constexpr const char* kBase = R"(
[service]
listen_port = 50100
[public_vault.storage.file]
path = "keys"
[private_vault.storage.file]
path = "keys"
)";

constexpr const char* kCow = "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826";
constexpr const char* kBob = "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB";

ConfigLoadResult Parse(const std::string& admission, const MapEnvironment& env = {}) {
  return ParseConfig(std::string(kBase) + admission, "/tmp", env);
}

std::string All(const ConfigLoadResult& r) {
  std::string out;
  for (const auto& p : r.problems) out += p.ToString() + "\n";
  return out;
}

TEST(AdmissionConfigTest, DefaultIsTrustedCallers) {
  ConfigLoadResult r = Parse("");
  ASSERT_TRUE(r.ok()) << All(r);
  EXPECT_EQ(r.config.admission.policy, AdmissionPolicy::kTrustedCallers);
  EXPECT_THAT(DescribeConfig(r.config), HasSubstr("admission: trusted-callers"));
}

TEST(AdmissionConfigTest, AttestedWithProducers) {
  ConfigLoadResult r = Parse(absl::StrCat("[admission]\npolicy = \"attested\"\nproducers = [\"",
                                          kCow, "\", \"", kBob,
                                          "\"]\nrequired = 2\n"
                                          "chain_id = 8009\n"));
  ASSERT_TRUE(r.ok()) << All(r);
  const AdmissionConfig& a = r.config.admission;
  EXPECT_EQ(a.policy, AdmissionPolicy::kAttested);
  ASSERT_EQ(a.producers.size(), 2u);
  EXPECT_EQ(crypto::ChecksumAddress(a.producers[0]), kCow);
  EXPECT_EQ(a.required, 2u);
  EXPECT_EQ(a.chain_id, std::optional<uint64_t>(8009));
  EXPECT_THAT(DescribeConfig(r.config), HasSubstr("admission: attested, 2 of 2 producers"));
}

TEST(AdmissionConfigTest, ProblemsNameTheirKeys) {
  auto problems = [](const std::string& text) { return All(Parse(text)); };
  EXPECT_THAT(problems("[admission]\npolicy = \"closed\"\n"),
              HasSubstr("admission.policy: \"closed\" is not one of \"trusted-callers\", "
                        "\"attested\", \"open\""));
  EXPECT_THAT(problems("[admission]\npolicy = \"attested\"\n"),
              HasSubstr("admission.producers: policy \"attested\" needs at least one producer"));
  // A mixed-case address with a wrong checksum (one letter's case flipped) is a typo.
  EXPECT_THAT(problems("[admission]\npolicy = \"attested\"\nproducers = "
                       "[\"0xcD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826\"]\n"),
              HasSubstr("admission.producers[0]: \"0xcD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826\""));
  EXPECT_THAT(problems("[admission]\npolicy = \"attested\"\nproducers = [\"0x1234\"]\n"),
              HasSubstr("admission.producers[0]"));
  EXPECT_THAT(problems(absl::StrCat("[admission]\npolicy = \"attested\"\nproducers = [\"", kCow,
                                    "\", \"", kCow, "\"]\n")),
              HasSubstr("admission.producers[1]: " + std::string(kCow) + " is listed twice"));
  EXPECT_THAT(problems(absl::StrCat("[admission]\npolicy = \"attested\"\nproducers = [\"", kCow,
                                    "\"]\nrequired = 2\n")),
              HasSubstr("admission.required: 2 is out of range; expected 1..1"));
  EXPECT_THAT(problems(absl::StrCat("[admission]\npolicy = \"attested\"\nproducers = [\"", kCow,
                                    "\"]\nrequired = 0\n")),
              HasSubstr("admission.required: 0 is out of range"));
  EXPECT_THAT(problems("[admission]\npolicy = \"attested\"\nproducers = [1]\n"),
              HasSubstr("admission.producers: expected array of strings, got array"));
  // Attestation settings under another policy would make an operator believe they are checked.
  EXPECT_THAT(problems(absl::StrCat("[admission]\nproducers = [\"", kCow, "\"]\n")),
              HasSubstr("admission.producers: is only used with admission.policy = \"attested\""));
  EXPECT_THAT(problems("[admission]\npolicy = \"open\"\nrequired = 1\n"),
              HasSubstr("admission.required: is only used with"));
  EXPECT_THAT(problems("[admission]\npolicy = \"open\"\nproduceers = []\n"),
              HasSubstr("did you mean admission.producers?"));
}

TEST(AdmissionConfigTest, EnvironmentOverridesTakeACommaSeparatedList) {
  MapEnvironment env;
  env.Set("KMS_CORE__ADMISSION__POLICY", "attested");
  env.Set("KMS_CORE__ADMISSION__PRODUCERS", absl::StrCat(kCow, ", ", kBob));
  env.Set("KMS_CORE__ADMISSION__REQUIRED", "2");
  ConfigLoadResult r = Parse("", env);
  ASSERT_TRUE(r.ok()) << All(r);
  EXPECT_EQ(r.config.admission.policy, AdmissionPolicy::kAttested);
  EXPECT_EQ(r.config.admission.producers.size(), 2u);
  EXPECT_EQ(r.config.admission.required, 2u);
}

// ---------------------------------------------------------------------------------------------
// Admission

using Cts = google::protobuf::RepeatedPtrField<kms::v1::TypedCiphertext>;

Id32 KeyId(uint8_t fill) {
  Id32 id;
  id.fill(fill);
  return id;
}

kms::v1::TypedCiphertext Ct(const std::string& bytes, uint8_t handle_fill) {
  kms::v1::TypedCiphertext c;
  c.set_ciphertext(bytes);
  c.set_fhe_type("euint8");
  c.set_external_handle(std::string(32, static_cast<char>(handle_fill)));
  return c;
}

crypto::Signature65 Attest(const crypto::SigningKey& producer, const Id32& key_id,
                           const kms::v1::TypedCiphertext& ct,
                           std::optional<uint64_t> chain_id = std::nullopt) {
  crypto::CiphertextAttestationData d;
  std::copy(key_id.begin(), key_id.end(), d.key_id.begin());
  std::copy(ct.external_handle().begin(), ct.external_handle().end(), d.handle.begin());
  d.fhe_type = ct.fhe_type();
  d.ciphertext_format = static_cast<uint32_t>(ct.ciphertext_format());
  d.ciphertext_digest = crypto::CiphertextDigest(AsBytes(ct.ciphertext()));
  return producer.SignDigest(
      crypto::CiphertextAttestationDigest(crypto::CiphertextAttestationDomain(chain_id), d));
}

std::string Encode(const crypto::CiphertextAttestations& a) {
  auto b = crypto::EncodeCiphertextAttestations(a);
  EXPECT_TRUE(b.ok()) << b.status();
  return std::string(b->begin(), b->end());
}

class AdmissionTest : public ::testing::Test {
 protected:
  AdmissionConfig Attested(uint32_t required, std::optional<uint64_t> chain_id = std::nullopt) {
    AdmissionConfig c;
    c.policy = AdmissionPolicy::kAttested;
    for (const auto& p : producers_) c.producers.push_back(p.verification_key().EthereumAddress());
    c.required = required;
    c.chain_id = chain_id;
    return c;
  }
  Cts Request(std::initializer_list<kms::v1::TypedCiphertext> list) {
    Cts cts;
    for (const auto& c : list) *cts.Add() = c;
    return cts;
  }

  crypto::SigningKey producers_[3] = {crypto::SigningKey::Generate(),
                                      crypto::SigningKey::Generate(),
                                      crypto::SigningKey::Generate()};
  crypto::SigningKey stranger_ = crypto::SigningKey::Generate();
  Id32 key_ = KeyId(0x11);
};

void ExpectDenied(const absl::Status& s, const std::string& text) {
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(text));
}

TEST_F(AdmissionTest, TrustedCallersAndOpenAdmitAnything) {
  const Cts cts = Request({Ct("crafted", 1)});
  for (AdmissionPolicy p : {AdmissionPolicy::kTrustedCallers, AdmissionPolicy::kOpen}) {
    AdmissionConfig c;
    c.policy = p;
    CiphertextAdmission admission(c);
    EXPECT_TRUE(admission.Admit(key_, cts, "").ok());
    EXPECT_TRUE(admission.Admit(key_, cts, "any extra data").ok());
  }
  AdmissionConfig open;
  open.policy = AdmissionPolicy::kOpen;
  EXPECT_THAT(DescribeAdmission(open),
              HasSubstr("open: INSECURE, any ciphertext is decrypted; the key is extractable by "
                        "anyone who can decrypt"));
  EXPECT_THAT(DescribeAdmission(AdmissionConfig{}),
              HasSubstr("trusted-callers: every ciphertext of a caller allowed to decrypt"));
}

TEST_F(AdmissionTest, AttestedRefusesACiphertextWithoutAttestation) {
  CiphertextAdmission admission(Attested(1));
  const Cts cts = Request({Ct("crafted", 1)});
  ExpectDenied(admission.Admit(key_, cts, ""), "ciphertexts[0]: no attestation");
  ExpectDenied(admission.Admit(key_, cts, std::string(1, '\0')), "ciphertexts[0]: no attestation");
  ExpectDenied(admission.Admit(key_, cts, Encode({{}})), "ciphertexts[0]: no attestation");
  // The reference relayer's bare version byte, or anything else, is not an attestation either.
  const absl::Status garbage = admission.Admit(key_, cts, "e2e");
  EXPECT_EQ(garbage.code(), absl::StatusCode::kInvalidArgument) << garbage;
  EXPECT_THAT(std::string(garbage.message()), HasSubstr("extra_data: unknown version byte"));
}

TEST_F(AdmissionTest, AttestedAdmitsAProducersSignature) {
  CiphertextAdmission admission(Attested(1));
  const kms::v1::TypedCiphertext ct = Ct("honest", 2);
  const absl::Status s =
      admission.Admit(key_, Request({ct}), Encode({{Attest(producers_[1], key_, ct)}}));
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_THAT(admission.Describe(), HasSubstr("attested: 1 of 3 producers ("));
}

TEST_F(AdmissionTest, ForgedAttestationsAreRefused) {
  CiphertextAdmission admission(Attested(1));
  const kms::v1::TypedCiphertext ct = Ct("honest", 2);
  const crypto::Signature65 good = Attest(producers_[0], key_, ct);
  const std::string not_producer = "not a configured producer";

  // Wrong producer: a key that is not configured.
  ExpectDenied(admission.Admit(key_, Request({ct}), Encode({{Attest(stranger_, key_, ct)}})),
               "ciphertexts[0]: attestation signature 0 recovers to " +
                   stranger_.verification_key().EthereumAddressChecksummed() + ", " + not_producer);
  // Wrong digest: the ciphertext was changed after it was signed.
  kms::v1::TypedCiphertext changed = ct;
  changed.set_ciphertext("crafted");
  ExpectDenied(admission.Admit(key_, Request({changed}), Encode({{good}})), not_producer);
  // Wrong handle: the signature moved to another handle.
  kms::v1::TypedCiphertext other_handle = ct;
  other_handle.set_external_handle(std::string(32, '\x03'));
  ExpectDenied(admission.Admit(key_, Request({other_handle}), Encode({{good}})), not_producer);
  // Wrong key id.
  ExpectDenied(admission.Admit(KeyId(0x22), Request({ct}), Encode({{good}})), not_producer);
  // Wrong type or format.
  kms::v1::TypedCiphertext other_type = ct;
  other_type.set_fhe_type("euint16");
  ExpectDenied(admission.Admit(key_, Request({other_type}), Encode({{good}})), not_producer);
  kms::v1::TypedCiphertext other_format = ct;
  other_format.set_ciphertext_format(1);
  ExpectDenied(admission.Admit(key_, Request({other_format}), Encode({{good}})), not_producer);
  // Another EIP-712 domain (a chain id the party does not use).
  ExpectDenied(admission.Admit(key_, Request({ct}), Encode({{Attest(producers_[0], key_, ct, 1)}})),
               not_producer);
  // A malformed signature.
  crypto::Signature65 bad_v = good;
  bad_v[64] = 0;
  ExpectDenied(admission.Admit(key_, Request({ct}), Encode({{bad_v}})),
               "ciphertexts[0]: attestation signature 0 is invalid");
  // No handle: the handle is what the parties sign, so it must be the attested one.
  kms::v1::TypedCiphertext no_handle = ct;
  no_handle.clear_external_handle();
  ExpectDenied(admission.Admit(key_, Request({no_handle}), Encode({{good}})),
               "ciphertexts[0]: no external_handle");
}

TEST_F(AdmissionTest, RequiredCountsDistinctProducers) {
  CiphertextAdmission admission(Attested(2));
  const kms::v1::TypedCiphertext ct = Ct("honest", 2);
  const auto a0 = Attest(producers_[0], key_, ct), a2 = Attest(producers_[2], key_, ct);
  ExpectDenied(admission.Admit(key_, Request({ct}), Encode({{a0}})),
               "ciphertexts[0]: 1 distinct producer(s) signed, 2 required");
  // One producer's signature twice is still one producer.
  ExpectDenied(admission.Admit(key_, Request({ct}), Encode({{a0, a0}})),
               "1 distinct producer(s) signed, 2 required");
  EXPECT_TRUE(admission.Admit(key_, Request({ct}), Encode({{a0, a2}})).ok());
  // More signatures than producers cannot be honest and would only cost recoveries.
  ExpectDenied(admission.Admit(key_, Request({ct}), Encode({{a0, a2, a0, a2}})),
               "4 signatures, but only 3 producers are configured");
}

TEST_F(AdmissionTest, TheRefusedCiphertextIsNamedByIndex) {
  CiphertextAdmission admission(Attested(1));
  const kms::v1::TypedCiphertext honest = Ct("honest", 2), crafted = Ct("crafted", 3);
  const Cts cts = Request({honest, crafted});
  ExpectDenied(admission.Admit(key_, cts, Encode({{Attest(producers_[0], key_, honest)}, {}})),
               "ciphertexts[1]: no attestation");
  const absl::Status count =
      admission.Admit(key_, cts, Encode({{Attest(producers_[0], key_, honest)}}));
  EXPECT_EQ(count.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(count.message()),
              HasSubstr("extra_data: attestations for 1 ciphertexts, but the request has 2"));
  EXPECT_TRUE(admission
                  .Admit(key_, cts,
                         Encode({{Attest(producers_[0], key_, honest)},
                                 {Attest(producers_[1], key_, crafted)}}))
                  .ok());
}

TEST_F(AdmissionTest, ChainIdIsPartOfTheDomain) {
  CiphertextAdmission admission(Attested(1, 8009));
  const kms::v1::TypedCiphertext ct = Ct("honest", 2);
  ExpectDenied(admission.Admit(key_, Request({ct}), Encode({{Attest(producers_[0], key_, ct)}})),
               "not a configured producer");
  EXPECT_TRUE(
      admission.Admit(key_, Request({ct}), Encode({{Attest(producers_[0], key_, ct, 8009)}})).ok());
}

}  // namespace
}  // namespace kms::service
