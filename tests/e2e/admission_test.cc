// End to end, real centralized kms-server processes (test parameters): ciphertext admission.
//  - the chosen-ciphertext attack: under admission policy "open", three crafted euint256
//    ciphertexts (body 0, mask coefficients Δ·2^i) publicly decrypt to all 512 bits of the secret
//    key in one request, and the recovered key decrypts an honest ciphertext;
//  - under "attested" the same ciphertexts are PERMISSION_DENIED naming the ciphertext, in every
//    decryption RPC (async and sync, public and user), and nothing is started: no file changes,
//    no rate-limiter token is taken, and the request id stays free;
//  - forged attestations are refused: wrong producer, wrong digest (ciphertext changed after
//    signing), wrong handle, wrong key id;
//  - an attested ciphertext decrypts, and the signed result carries the attested handle;
//  - the policy appears in GetHealthStatus, /health and the start-up log ("open" says that the
//    key is extractable);
//  - kms-client makes a producer key (mode 0600) and attests its ciphertexts with --attest-with.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "client/ciphertext_attestation.h"
#include "client/response_verification.h"
#include "crypto/ciphertext_attestation.h"
#include "e2e/kms_test_client.h"
#include "e2e/server_harness.h"
#include "lwe/secret_key.h"

namespace kms::e2e {
namespace {

using ::testing::HasSubstr;

// A centralized server with the given [admission] section, keyed (test parameters) and running.
struct Server {
  TempDir dir;
  ServerPorts ports{FreePort(), 0, FreePort()};
  std::string config = dir / "config.toml";
  std::unique_ptr<ServerProcess> process;
  kms::v1::KeyGenResult key;

  explicit Server(const std::string& admission) {
    WriteFile(config, CentralizedConfig(dir.path(), ports, admission));
    std::string out;
    EXPECT_EQ(RunProgram({GenKeysBinary(), "--config-file", config}, &out), 0) << out;
    process = std::make_unique<ServerProcess>(config, dir / "server.log");
    EXPECT_TRUE(process->Start());
    EXPECT_TRUE(WaitServing(ports.client, process.get(), std::chrono::seconds(30)).has_value())
        << process->Log();
    kms::v1::KeyGenRequest req;
    req.set_request_id(RandomId());
    kms::v1::Empty empty;
    auto ctx = Context();
    grpc::Status s = Stub(ports.client)->KeyGen(ctx.get(), req, &empty);
    EXPECT_TRUE(s.ok()) << s.error_message();
    kms::v1::RequestId id;
    id.set_request_id(req.request_id());
    auto ctx2 = Context();
    s = Stub(ports.client)->GetKeyGenResult(ctx2.get(), id, &key);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }

  grpc::Status PublicDecryptSync(const kms::v1::PublicDecryptionRequest& req,
                                 kms::v1::PublicDecryptionResponse* out) {
    auto ctx = Context();
    return Stub(ports.client)->PublicDecryptSync(ctx.get(), req, out);
  }
  uint64_t ChargedUnits() {
    const std::string metrics = HttpGet(ports.metrics, "/metrics").body;
    uint64_t total = 0;
    std::istringstream in(metrics);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("kms_rate_limiter_charged_units_total{", 0) == 0) {
        total += static_cast<uint64_t>(std::atof(line.substr(line.rfind(' ') + 1).c_str()));
      }
    }
    return total;
  }
};

// ---------------------------------------------------------------------------------------------
// The crafted ciphertexts of the attack

constexpr int kBlockBits = 16;  // bits per block of both parameter sets
constexpr int kBlocks = 16;     // an euint256

kms::v1::TypedCiphertext Crafted(const std::vector<std::pair<size_t, lwe::Z128>>& mask) {
  const lwe::LweParameters& params = lwe::TestParameters();
  lwe::TypedCiphertext ct;
  ct.type = lwe::FheType::kEuint256;
  ct.list.params = &params;
  ct.list.mask.assign(static_cast<size_t>(params.lwe_dimension), 0);
  ct.list.bodies.assign(kBlocks, 0);
  for (const auto& [index, value] : mask) ct.list.mask[index] = value;
  auto bytes = lwe::SerializeTypedCiphertext(ct);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  kms::v1::TypedCiphertext out;
  out.set_ciphertext(std::string(bytes->begin(), bytes->end()));
  out.set_fhe_type("euint256");
  return out;
}

// Block j's LWE mask is a_j[x] = -M[x + j + 1] for x < n̂ - 1 - j and M[x + j + 1 - n̂] above
// (lwe/encryption.h ExpandBlock); with body 0 the phase is -Σ_x a_j[x]·s[x], noiseless.
//
// Window reader: M[offset + 16 i] = Δ·2^i, so bit i of block j is s[offset + 16 i - j - 1]; it
// covers s[offset - 16 .. offset + 239]. REQUIRES 16 <= offset <= n̂ - 241.
kms::v1::TypedCiphertext WindowReader(int offset) {
  std::vector<std::pair<size_t, lwe::Z128>> mask;
  for (int i = 0; i < kBlockBits; ++i) {
    mask.emplace_back(static_cast<size_t>(offset + kBlockBits * i),
                      lwe::TestParameters().delta << i);
  }
  return Crafted(mask);
}

// Wrap reader: M[0] = -Δ, so a_j[n̂ - 1 - j] = -Δ and block j is s[n̂ - 1 - j]: the top 16 bits.
kms::v1::TypedCiphertext WrapReader() { return Crafted({{0, -lwe::TestParameters().delta}}); }

int PlaintextBit(const kms::v1::TypedPlaintext& p, int bit) {
  const std::string& le = p.value_le();
  if (le.size() != 32) return -1;
  return (static_cast<uint8_t>(le[static_cast<size_t>(bit / 8)]) >> (bit % 8)) & 1;
}

// The key bits the plaintexts of {WindowReader(16), WindowReader(256), WrapReader()} reveal.
std::vector<uint8_t> RecoverKeyBits(const kms::v1::PublicDecryptionResponse& resp) {
  const int n = lwe::TestParameters().lwe_dimension;
  std::vector<uint8_t> bits(static_cast<size_t>(n), 2);
  const int offsets[] = {16, 256};
  for (int c = 0; c < 2; ++c) {
    for (int j = 0; j < kBlocks; ++j) {
      for (int i = 0; i < kBlockBits; ++i) {
        bits[static_cast<size_t>(offsets[c] + kBlockBits * i - j - 1)] =
            static_cast<uint8_t>(PlaintextBit(resp.plaintexts(c), kBlockBits * j + i));
      }
    }
  }
  for (int j = 0; j < kBlocks; ++j) {
    bits[static_cast<size_t>(n - 1 - j)] =
        static_cast<uint8_t>(PlaintextBit(resp.plaintexts(2), kBlockBits * j));
  }
  return bits;
}

std::vector<kms::v1::TypedCiphertext> KeyReaders() {
  return {WindowReader(16), WindowReader(256), WrapReader()};
}

// ---------------------------------------------------------------------------------------------
// Attestations

crypto::Signature65 Attest(const crypto::SigningKey& producer, const std::string& key_id,
                           const kms::v1::TypedCiphertext& ct) {
  crypto::CiphertextAttestationData d;
  d.key_id = IdBytes(key_id);
  std::copy(ct.external_handle().begin(), ct.external_handle().end(), d.handle.begin());
  d.fhe_type = ct.fhe_type();
  d.ciphertext_format = static_cast<uint32_t>(ct.ciphertext_format());
  d.ciphertext_digest = crypto::CiphertextDigest(AsBytes(ct.ciphertext()));
  return producer.SignDigest(
      crypto::CiphertextAttestationDigest(crypto::CiphertextAttestationDomain(std::nullopt), d));
}

std::string Encode(const crypto::CiphertextAttestations& a) {
  auto b = crypto::EncodeCiphertextAttestations(a);
  EXPECT_TRUE(b.ok()) << b.status();
  return std::string(b->begin(), b->end());
}

std::string Handle(uint8_t fill) { return std::string(32, static_cast<char>(fill)); }

class AdmissionE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // The producer's key comes from the tool an operator would use.
    tools_dir_ = new TempDir();
    std::string out;
    EXPECT_EQ(RunProgram({KMS_CLIENT_BIN, "producer-key", "new", "--out", ProducerKeyFile()}, &out),
              0)
        << out;
    auto loaded = client::LoadProducerKey(ProducerKeyFile());
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    EXPECT_THAT(out, HasSubstr(absl::StrCat(
                         "address: ", loaded->verification_key().EthereumAddressChecksummed())));
    producer_ = new crypto::SigningKey(std::move(*loaded));
    stranger_ = new crypto::SigningKey(crypto::SigningKey::Generate());
    attested_ = new Server(absl::StrCat("[admission]\npolicy = \"attested\"\nproducers = [\"",
                                        producer_->verification_key().EthereumAddressChecksummed(),
                                        "\"]\nrequired = 1\n"));
    open_ = new Server("[admission]\npolicy = \"open\"\n");
  }
  static void TearDownTestSuite() {
    delete attested_;
    delete open_;
    delete producer_;
    delete stranger_;
    delete tools_dir_;
  }
  static std::string ProducerKeyFile() { return *tools_dir_ / "producer.key"; }
  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "--- attested server log ---\n" << attested_->process->Log();
      std::cerr << "--- open server log ---\n" << open_->process->Log();
    }
  }

  // An honest euint8 ciphertext under the attested server's key, with handle `fill`.
  static kms::v1::TypedCiphertext Honest(uint64_t value, uint8_t fill) {
    auto cts = Encrypt(attested_->key.public_key(),
                       {*lwe::TypedPlaintext::FromU64(lwe::FheType::kEuint8, value)});
    cts[0].set_external_handle(Handle(fill));
    return cts[0];
  }

  inline static TempDir* tools_dir_ = nullptr;
  inline static crypto::SigningKey* producer_ = nullptr;
  inline static crypto::SigningKey* stranger_ = nullptr;
  inline static Server* attested_ = nullptr;
  inline static Server* open_ = nullptr;
};

// ---------------------------------------------------------------------------------------------
// 1. The attack, and its refusal

TEST_F(AdmissionE2eTest, OpenPolicyHandsOutTheKeyToCraftedCiphertexts) {
  kms::v1::PublicDecryptionRequest req;
  req.set_request_id(RandomId());
  req.set_key_id(open_->key.key_id());
  for (const auto& ct : KeyReaders()) *req.add_ciphertexts() = ct;
  kms::v1::PublicDecryptionResponse resp;
  grpc::Status s = open_->PublicDecryptSync(req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(resp.plaintexts_size(), 3);
  const std::vector<uint8_t> bits = RecoverKeyBits(resp);
  ASSERT_EQ(std::count(bits.begin(), bits.end(), 2), 0) << "every key bit is covered";

  // The recovered bits are the server's key: they decrypt an honest ciphertext.
  auto stolen = lwe::SecretKey::FromBits(lwe::TestParameters(), bits);
  ASSERT_TRUE(stolen.ok()) << stolen.status();
  const auto value = *lwe::TypedPlaintext::FromU64(lwe::FheType::kEuint64, 0x0123456789abcdefull);
  auto honest = Encrypt(open_->key.public_key(), {value});
  auto parsed = lwe::ParseTypedCiphertext(AsBytes(honest[0].ciphertext()));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  auto decrypted = lwe::DecryptTyped(*stolen, *parsed);
  ASSERT_TRUE(decrypted.ok()) << decrypted.status();
  EXPECT_EQ(decrypted->ToString(), value.ToString()) << "the crafted ciphertexts leaked the key";
}

TEST_F(AdmissionE2eTest, AttestedPolicyRefusesTheCraftedCiphertextsAndStartsNothing) {
  Server& server = *attested_;
  const auto before = SnapshotFiles(server.dir / "keys");
  const uint64_t charged_before = server.ChargedUnits();
  auto stub = Stub(server.ports.client);
  kms::v1::PublicDecryptionRequest pub;
  pub.set_request_id(RandomId());
  pub.set_key_id(server.key.key_id());
  for (kms::v1::TypedCiphertext ct : KeyReaders()) {
    ct.set_external_handle(Handle(0x42));
    *pub.add_ciphertexts() = ct;
  }
  TestUser user;
  kms::v1::UserDecryptionRequest usr =
      user.Request(server.key.key_id(), {pub.ciphertexts().begin(), pub.ciphertexts().end()});
  usr.set_request_id(pub.request_id());
  usr.clear_extra_data();

  auto expect_denied = [](const grpc::Status& s, const std::string& rpc) {
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << rpc << ": " << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr("ciphertexts[0]: no attestation")) << rpc;
  };
  kms::v1::Empty empty;
  kms::v1::PublicDecryptionResponse pub_resp;
  kms::v1::UserDecryptionResponse usr_resp;
  expect_denied(stub->PublicDecrypt(Context().get(), pub, &empty), "PublicDecrypt");
  expect_denied(stub->PublicDecryptSync(Context().get(), pub, &pub_resp), "PublicDecryptSync");
  expect_denied(stub->UserDecrypt(Context().get(), usr, &empty), "UserDecrypt");
  expect_denied(stub->UserDecryptSync(Context().get(), usr, &usr_resp), "UserDecryptSync");
  // extra_data 0x00, the reference relayer's version byte, carries no attestation either.
  pub.set_extra_data(std::string(1, '\0'));
  expect_denied(stub->PublicDecryptSync(Context().get(), pub, &pub_resp), "PublicDecryptSync 0x00");
  // An honest first ciphertext does not let an unattested second one through.
  kms::v1::PublicDecryptionRequest mixed = pub;
  *mixed.mutable_ciphertexts(0) = Honest(7, 0x43);
  mixed.set_extra_data(
      Encode({{Attest(*producer_, server.key.key_id(), mixed.ciphertexts(0))}, {}, {}}));
  grpc::Status s = stub->PublicDecryptSync(Context().get(), mixed, &pub_resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("ciphertexts[1]: no attestation"));

  // Nothing was started: no result under the id, no stored change, no token taken.
  kms::v1::RequestId id;
  id.set_request_id(pub.request_id());
  s = stub->GetPublicDecryptionResult(Context().get(), id, &pub_resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  s = stub->GetUserDecryptionResult(Context().get(), id, &usr_resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  EXPECT_EQ(SnapshotFiles(server.dir / "keys"), before);
  EXPECT_EQ(server.ChargedUnits(), charged_before);
  // The refused request's id is still free.
  kms::v1::PublicDecryptionRequest honest;
  honest.set_request_id(pub.request_id());
  honest.set_key_id(server.key.key_id());
  *honest.add_ciphertexts() = Honest(9, 0x44);
  honest.set_extra_data(Encode({{Attest(*producer_, server.key.key_id(), honest.ciphertexts(0))}}));
  s = stub->PublicDecryptSync(Context().get(), honest, &pub_resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

// ---------------------------------------------------------------------------------------------
// 2. Forged attestations

TEST_F(AdmissionE2eTest, ForgedAttestationsAreRefused) {
  Server& server = *attested_;
  const std::string key_id = server.key.key_id();
  const kms::v1::TypedCiphertext ct = Honest(5, 0x51);
  const crypto::Signature65 good = Attest(*producer_, key_id, ct);
  auto request = [&](const kms::v1::TypedCiphertext& c, const crypto::Signature65& sig) {
    kms::v1::PublicDecryptionRequest req;
    req.set_request_id(RandomId());
    req.set_key_id(key_id);
    *req.add_ciphertexts() = c;
    req.set_extra_data(Encode({{sig}}));
    return req;
  };
  auto expect_refused = [&](const kms::v1::PublicDecryptionRequest& req, const std::string& what,
                            const std::string& text) {
    kms::v1::PublicDecryptionResponse resp;
    grpc::Status s = server.PublicDecryptSync(req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << what << ": " << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(text)) << what;
  };
  const auto before = SnapshotFiles(server.dir / "keys");
  // Wrong producer: a key the party does not know signed the right data.
  expect_refused(request(ct, Attest(*stranger_, key_id, ct)), "wrong producer",
                 absl::StrCat("ciphertexts[0]: attestation signature 0 recovers to ",
                              stranger_->verification_key().EthereumAddressChecksummed(),
                              ", not a configured producer"));
  // Wrong digest: the producer's signature, but the ciphertext was replaced by a crafted one.
  kms::v1::TypedCiphertext crafted = WindowReader(16);
  crafted.set_external_handle(ct.external_handle());
  expect_refused(request(crafted, good), "wrong digest", "not a configured producer");
  // Wrong handle: the signature moved to another handle (so that the parties would sign "handle
  // H' decrypts to V").
  kms::v1::TypedCiphertext other_handle = ct;
  other_handle.set_external_handle(Handle(0x52));
  expect_refused(request(other_handle, good), "wrong handle", "not a configured producer");
  // Wrong key id: a ciphertext attested for another key.
  kms::v1::PublicDecryptionRequest other_key = request(ct, Attest(*producer_, RandomId(), ct));
  expect_refused(other_key, "wrong key id", "not a configured producer");
  // No handle at all.
  kms::v1::TypedCiphertext no_handle = ct;
  no_handle.clear_external_handle();
  expect_refused(request(no_handle, good), "no handle", "ciphertexts[0]: no external_handle");
  EXPECT_EQ(SnapshotFiles(server.dir / "keys"), before);
}

// ---------------------------------------------------------------------------------------------
// 3. An attested ciphertext decrypts, under its attested handle

TEST_F(AdmissionE2eTest, AttestedCiphertextDecryptsAndTheSignedResultCarriesItsHandle) {
  Server& server = *attested_;
  const std::string key_id = server.key.key_id();
  const kms::v1::TypedCiphertext a = Honest(200, 0x61), b = Honest(17, 0x62);
  kms::v1::PublicDecryptionRequest req;
  req.set_request_id(RandomId());
  req.set_key_id(key_id);
  *req.add_ciphertexts() = a;
  *req.add_ciphertexts() = b;
  req.set_extra_data(Encode({{Attest(*producer_, key_id, a)}, {Attest(*producer_, key_id, b)}}));
  *req.mutable_domain() = client::DefaultClientDomain();
  kms::v1::PublicDecryptionResponse resp;
  grpc::Status s = server.PublicDecryptSync(req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(resp.plaintexts_size(), 2);
  EXPECT_EQ(resp.plaintexts(0).value(), "200");
  EXPECT_EQ(resp.plaintexts(1).value(), "17");
  ASSERT_EQ(resp.ct_handles_size(), 2);
  EXPECT_EQ(resp.ct_handles(0), Handle(0x61));
  EXPECT_EQ(resp.ct_handles(1), Handle(0x62));
  // The signature covers those handles (and the request's extra_data, attestations included).
  kms::v1::OperatorPublicKeyResponse op;
  ASSERT_TRUE(Stub(server.ports.client)->GetOperatorPublicKey(Context().get(), {}, &op).ok());
  absl::Status verified = client::VerifyPublicDecryption(req, resp, op.address());
  EXPECT_TRUE(verified.ok()) << verified;

  // User decryption: the shares name the attested handle too.
  TestUser user;
  kms::v1::UserDecryptionRequest ureq = user.Request(key_id, {a});
  ureq.set_extra_data(Encode({{Attest(*producer_, key_id, a)}}));
  kms::v1::UserDecryptionResponse uresp;
  s = Stub(server.ports.client)->UserDecryptSync(Context().get(), ureq, &uresp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(uresp.shares_size(), 1);
  EXPECT_EQ(uresp.shares(0).external_handle(), Handle(0x61));
  std::vector<client::RejectedResponse> rejected;
  const std::map<uint32_t, crypto::EthAddress> signers{{0, *crypto::ParseEthAddress(op.address())}};
  auto pts = client::ReconstructUserDecryption(std::span(&uresp, 1), user.keys.private_key, signers,
                                               user.Info(ureq), &rejected);
  ASSERT_TRUE(pts.ok()) << pts.status() << (rejected.empty() ? "" : rejected[0].reason);
  EXPECT_EQ((*pts)[0].ToString(), "200");
}

// ---------------------------------------------------------------------------------------------
// 4. The policy in the health report and the log

TEST_F(AdmissionE2eTest, PolicyIsReportedInHealthAndLogs) {
  kms::v1::HealthStatusResponse health;
  ASSERT_TRUE(Stub(open_->ports.client)->GetHealthStatus(Context().get(), {}, &health).ok());
  EXPECT_THAT(health.ciphertext_admission(),
              HasSubstr("open: INSECURE, any ciphertext is decrypted; the key is extractable by "
                        "anyone who can decrypt"));
  EXPECT_THAT(HttpGet(open_->ports.metrics, "/health").body,
              HasSubstr("\"ciphertext_admission\":\"open: INSECURE"));
  EXPECT_THAT(open_->process->Log(), HasSubstr("the key is extractable by anyone who can decrypt"));

  ASSERT_TRUE(Stub(attested_->ports.client)->GetHealthStatus(Context().get(), {}, &health).ok());
  EXPECT_THAT(health.ciphertext_admission(),
              HasSubstr(absl::StrCat("attested: 1 of 1 producers (",
                                     producer_->verification_key().EthereumAddressChecksummed())));
}

// ---------------------------------------------------------------------------------------------
// 5. kms-client attests with a producer key file

TEST_F(AdmissionE2eTest, KmsClientAttestsWithAProducerKeyFile) {
  struct stat st;
  ASSERT_EQ(::stat(ProducerKeyFile().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "a producer key is private";
  const std::string endpoint = absl::StrCat("127.0.0.1:", attested_->ports.client);
  // The server's operator address, pinned as kms-client requires (the test trusts its server).
  kms::v1::OperatorPublicKeyResponse op;
  auto op_ctx = Context();
  ASSERT_TRUE(Stub(attested_->ports.client)->GetOperatorPublicKey(op_ctx.get(), {}, &op).ok());
  const std::vector<std::string> base = {KMS_CLIENT_BIN,     "--endpoint", endpoint,
                                         "--signer-address", op.address(), "--quiet"};
  auto run = [&](std::vector<std::string> args, std::string* out) {
    std::vector<std::string> argv = base;
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProgram(argv, out);
  };
  const std::string key = attested_->key.key_id();
  std::string out;
  EXPECT_EQ(run({"public-decrypt", "--key-id", key, "--type", "euint16", "--value", "4242"}, &out),
            1)
      << out;
  EXPECT_THAT(out, HasSubstr("ciphertexts[0]: no"));
  EXPECT_EQ(run({"public-decrypt", "--key-id", key, "--type", "euint16", "--value", "4242",
                 "--attest-with", ProducerKeyFile()},
                &out),
            0)
      << out;
  EXPECT_THAT(out, HasSubstr("plaintext: 4242"));
  EXPECT_EQ(run({"user-decrypt", "--key-id", key, "--type", "euint8", "--value", "77",
                 "--attest-with", ProducerKeyFile()},
                &out),
            0)
      << out;
  EXPECT_THAT(out, HasSubstr("plaintext: 77"));
  // A key file others can read is refused, and so is overwriting a key.
  ASSERT_EQ(::chmod(ProducerKeyFile().c_str(), 0644), 0);
  EXPECT_EQ(run({"public-decrypt", "--key-id", key, "--type", "euint8", "--value", "1",
                 "--attest-with", ProducerKeyFile()},
                &out),
            1);
  EXPECT_THAT(out, HasSubstr("lets others read or write the producer key; chmod 600"));
  ASSERT_EQ(::chmod(ProducerKeyFile().c_str(), 0600), 0);
  EXPECT_EQ(RunProgram({KMS_CLIENT_BIN, "producer-key", "new", "--out", ProducerKeyFile()}, &out),
            1);
  EXPECT_THAT(out, HasSubstr("exists; a producer key is never overwritten"));
  EXPECT_EQ(
      RunProgram({KMS_CLIENT_BIN, "producer-key", "address", "--key", ProducerKeyFile()}, &out), 0);
  EXPECT_THAT(out, HasSubstr(producer_->verification_key().EthereumAddressChecksummed()));
}

}  // namespace
}  // namespace kms::e2e
