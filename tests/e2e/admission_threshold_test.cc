// End to end, a four-party threshold cluster (n = 4, t = 1, test parameters, dealer key) whose
// parties all have [admission] policy = "attested": every party refuses a crafted, unattested
// ciphertext with PERMISSION_DENIED, and decrypts an attested one; all four results carry the
// attested handle and verify against their party's address.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <thread>

#include "client/response_verification.h"
#include "crypto/ciphertext_attestation.h"
#include "e2e/kms_test_client.h"
#include "e2e/server_harness.h"

namespace kms::e2e {
namespace {

using ::testing::HasSubstr;

constexpr int kParties = 4;

std::vector<grpc::Status> OnAll(const std::function<grpc::Status(int)>& call) {
  std::vector<grpc::Status> out(kParties + 1);
  std::vector<std::thread> threads;
  for (int p = 1; p <= kParties; ++p) threads.emplace_back([&, p] { out[p] = call(p); });
  for (auto& t : threads) t.join();
  out.erase(out.begin());
  return out;
}

void ExpectAllOk(const std::vector<grpc::Status>& statuses) {
  for (size_t i = 0; i < statuses.size(); ++i) {
    EXPECT_TRUE(statuses[i].ok()) << "party " << i + 1 << ": " << statuses[i].error_message();
  }
}

TEST(AdmissionThresholdTest, EveryPartyAdmitsOnlyAttestedCiphertexts) {
  TempDir dir;
  const crypto::SigningKey producer = crypto::SigningKey::Generate();
  const std::string admission =
      absl::StrCat("\n[admission]\npolicy = \"attested\"\nproducers = [\"",
                   producer.verification_key().EthereumAddressChecksummed(), "\"]\n");
  std::vector<ServerPorts> ports(kParties);
  for (auto& p : ports) p = ServerPorts{FreePort(), FreePort(), FreePort()};
  std::vector<std::unique_ptr<ServerProcess>> servers;
  for (int i = 1; i <= kParties; ++i) {
    const std::string config = dir / absl::StrCat("config_p", i, ".toml");
    // The [admission] table follows the [threshold] keys; [threshold.tls] comes after it.
    WriteFile(config, ThresholdConfig(dir.path(), ports, i, 1, "test", admission));
    std::string out;
    ASSERT_EQ(RunProgram({GenKeysBinary(), "--config-file", config}, &out), 0) << out;
    servers.push_back(std::make_unique<ServerProcess>(config, dir / absl::StrCat("p", i, ".log")));
  }
  for (auto& s : servers) ASSERT_TRUE(s->Start());
  for (int i = 1; i <= kParties; ++i) {
    ASSERT_TRUE(WaitServing(ports[i - 1].client, servers[i - 1].get(), std::chrono::seconds(60))
                    .has_value())
        << servers[i - 1]->Log();
  }
  auto port = [&](int p) { return ports[p - 1].client; };
  kms::v1::Empty empty;

  // PRSS and a dealer key.
  const std::string run = RandomId();
  ExpectAllOk(OnAll([&](int p) {
    kms::v1::NewMpcEpochRequest req;
    req.set_request_id(run);
    auto ctx = Context();
    grpc::Status s = Stub(port(p))->NewMpcEpoch(ctx.get(), req, &empty);
    if (!s.ok()) return s;
    kms::v1::RequestId id;
    id.set_request_id(run);
    kms::v1::EpochResult result;
    auto ctx2 = Context();
    return Stub(port(p))->GetEpochResult(ctx2.get(), id, &result);
  }));
  const std::string key_id = RandomId();
  std::vector<kms::v1::KeyGenResult> keys(kParties + 1);
  ExpectAllOk(OnAll([&](int p) {
    kms::v1::KeyGenRequest req;
    req.set_request_id(key_id);
    auto ctx = Context();
    grpc::Status s = Stub(port(p))->InsecureKeyGen(ctx.get(), req, &empty);
    if (!s.ok()) return s;
    kms::v1::RequestId id;
    id.set_request_id(key_id);
    auto ctx2 = Context();
    return Stub(port(p))->GetKeyGenResult(ctx2.get(), id, &keys[p]);
  }));
  ASSERT_FALSE(HasFailure());

  // A crafted ciphertext (body 0, one mask coefficient Δ: it would decrypt to a key bit) without
  // attestation: every party refuses it.
  const lwe::LweParameters& params = lwe::TestParameters();
  lwe::TypedCiphertext crafted;
  crafted.type = lwe::FheType::kEbool;
  crafted.list.params = &params;
  crafted.list.mask.assign(static_cast<size_t>(params.lwe_dimension), 0);
  crafted.list.mask[1] = params.delta;
  crafted.list.bodies.assign(1, 0);
  auto crafted_bytes = lwe::SerializeTypedCiphertext(crafted);
  ASSERT_TRUE(crafted_bytes.ok()) << crafted_bytes.status();
  kms::v1::PublicDecryptionRequest bad;
  bad.set_request_id(RandomId());
  bad.set_key_id(key_id);
  kms::v1::TypedCiphertext* c = bad.add_ciphertexts();
  c->set_ciphertext(std::string(crafted_bytes->begin(), crafted_bytes->end()));
  c->set_fhe_type("ebool");
  c->set_external_handle(std::string(32, '\x07'));
  const auto before = SnapshotFiles(dir / "keys");
  const std::vector<grpc::Status> refused = OnAll([&](int p) {
    kms::v1::PublicDecryptionResponse r;
    auto ctx = Context();
    return Stub(port(p))->PublicDecryptSync(ctx.get(), bad, &r);
  });
  for (size_t i = 0; i < refused.size(); ++i) {
    EXPECT_EQ(refused[i].error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << "party " << i + 1 << ": " << refused[i].error_message();
    EXPECT_THAT(refused[i].error_message(), HasSubstr("ciphertexts[0]: no attestation"));
  }
  EXPECT_EQ(SnapshotFiles(dir / "keys"), before);

  // An attested honest ciphertext: every party decrypts it and signs the attested handle.
  auto cts = Encrypt(keys[1].public_key(),
                     {*lwe::TypedPlaintext::FromU64(lwe::FheType::kEuint32, 3000000000u)});
  cts[0].set_external_handle(std::string(32, '\x08'));
  crypto::CiphertextAttestationData d;
  d.key_id = IdBytes(key_id);
  d.handle.fill(0x08);
  d.fhe_type = "euint32";
  d.ciphertext_digest = crypto::CiphertextDigest(AsBytes(cts[0].ciphertext()));
  auto extra = crypto::EncodeCiphertextAttestations({{producer.SignDigest(
      crypto::CiphertextAttestationDigest(crypto::CiphertextAttestationDomain(std::nullopt), d))}});
  ASSERT_TRUE(extra.ok());
  kms::v1::PublicDecryptionRequest good = PublicDecryptionRequest(key_id, cts);
  good.set_extra_data(std::string(extra->begin(), extra->end()));
  *good.mutable_domain() = client::DefaultClientDomain();
  std::vector<kms::v1::PublicDecryptionResponse> responses(kParties + 1);
  ExpectAllOk(OnAll([&](int p) {
    auto ctx = Context();
    return Stub(port(p))->PublicDecryptSync(ctx.get(), good, &responses[p]);
  }));
  for (int p = 1; p <= kParties; ++p) {
    ASSERT_EQ(responses[p].plaintexts_size(), 1) << "party " << p;
    EXPECT_EQ(responses[p].plaintexts(0).value(), "3000000000") << "party " << p;
    ASSERT_EQ(responses[p].ct_handles_size(), 1);
    EXPECT_EQ(responses[p].ct_handles(0), std::string(32, '\x08'));
    kms::v1::OperatorPublicKeyResponse op;
    auto ctx = Context();
    ASSERT_TRUE(Stub(port(p))->GetOperatorPublicKey(ctx.get(), {}, &op).ok());
    absl::Status verified = client::VerifyPublicDecryption(good, responses[p], op.address());
    EXPECT_TRUE(verified.ok()) << "party " << p << ": " << verified;
  }
  if (HasFailure()) {
    for (int p = 1; p <= kParties; ++p) {
      std::string log = servers[p - 1]->Log();
      if (log.size() > 4000) log = log.substr(log.size() - 4000);
      std::printf("---- party %d log (tail) ----\n%s\n", p, log.c_str());
    }
  }
}

}  // namespace
}  // namespace kms::e2e
