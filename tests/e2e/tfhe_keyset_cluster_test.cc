// End to end: four kms-server processes in threshold mode (n = 4, t = 1) on loopback with mutual
// TLS make the tfhe-rs test keyset (`tfhe-test`) as an operator does it: NewMpcEpoch, then
// KeyGenPreproc with fhe_parameter = tfhe-test, during which every party is killed (SIGKILL),
// started again and sent the same request, which resumes from the stored chunks, then KeyGen
// (no dealer). Then, in order:
//   1. every party answers the same signed KeyGenResult, publishes byte-identical PublicKey,
//      ServerKey and CompressedXofKeySet objects (and the PublicKeyMetadata blob) whose PDAT_KEY
//      digests its private record
//      (KMSTKEY1, mode 0600) holds, and keeps only its decryption shares;
//   2. the real node-tfhe, 1.4.0-alpha.3 and 1.7.0, loads the PublicKey that GetPublicKey
//      returns, also with safe_deserialize_conformant;
//   3. node-tfhe encrypts two u8 under it; our TFHE layer expands the list with the published
//      ServerKey's casting key, adds, squashes the sum with its noise-squashing key and compresses
//      it with its squashing compression key (BigCompressed), and the parties' key shares, read
//      back from their private vaults, decrypt the sum (user-decryption shares from a dealt PRSS,
//      reconstructed as the client does, with a corrupt and a missing party); then the servers
//      decrypt the sum in all four request formats (SmallCompressed, SmallExpanded,
//      BigCompressed, BigExpanded), publicly and per user (the client reconstructs, also with a
//      party missing), and refuse malformed ciphertexts, a wrong type, an unknown format and a
//      phase-1 ciphertext with INVALID_ARGUMENT naming the field.
// Last, the insecure dealer makes a keyset too (marked insecure and the dealer's). Node-tfhe steps
// report themselves skipped where node or the packages are missing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "client/typed_encryption.h"
#include "e2e/threshold_fixture.h"
#include "interop/node_runner.h"
#include "service/tfhe_key_record.h"
#include "storage/vault.h"
#include "testing/tfhe_share_decryption.h"
#include "tfhe/compact_public_key.h"
#include "tfhe/published_server_key.h"

namespace kms::e2e {
namespace {

using ::testing::HasSubstr;

struct TfheClusterParameters {
  // The configured set only matters for requests that name none; every request here names
  // tfhe-test.
  static constexpr const char* kFheParameter = "test";
};

class TfheKeysetClusterTest : public ThresholdClusterTest<TfheClusterParameters> {
 protected:
  static std::string PartyFile(const char* vault, int party, std::string_view type) {
    return *dir_ / absl::StrCat("keys/", vault, "-p", party, "/", std::string(type), "/", key_id_);
  }

  // Calls `get` until it stops answering UNAVAILABLE (the result waits at most result_wait_secs
  // per call; the preprocessing takes longer on a loaded machine), for at most 15 minutes.
  static grpc::Status WaitResult(const std::function<grpc::Status()>& get) {
    const auto deadline = Clock::now() + std::chrono::minutes(15);
    grpc::Status s;
    do {
      s = get();
    } while (s.error_code() == grpc::StatusCode::UNAVAILABLE && Clock::now() < deadline);
    return s;
  }

  static ::kms::testing::NodeResult Node(const std::string& version, const std::string& args) {
    return ::kms::testing::RunNodeTfhe(version, "kms-test", args);
  }

  void SkipWithoutNode() {
    if (const std::string missing = ::kms::testing::NodeTfheMissing(); !missing.empty()) {
      GTEST_SKIP() << "node-tfhe: " << missing;
    }
  }

  inline static std::string cpk_file_;
};

TEST_F(TfheKeysetClusterTest, TheDkgMakesOneTfheKeysetOnEveryParty) {
  kms::v1::Empty empty;
  const std::string epoch_run = RandomId();
  ExpectAllOk(OnAll(All(), [&](int p) {
    kms::v1::NewMpcEpochRequest req;
    req.set_request_id(epoch_run);
    auto ctx = Context();
    return Stub(Port(p))->NewMpcEpoch(ctx.get(), req, &empty);
  }));
  ExpectAllOk(OnAll(All(), [&](int p) {
    kms::v1::RequestId id;
    id.set_request_id(epoch_run);
    kms::v1::EpochResult result;
    return WaitResult([&] {
      auto ctx = Context();
      return Stub(Port(p))->GetEpochResult(ctx.get(), id, &result);
    });
  }));

  // The preprocessing is interrupted: every party is killed once it has stored some of it, and
  // the same request sent after the restart resumes from what is on disk.
  const std::string pre_id = RandomId();
  auto send_preproc = [&] {
    return OnAll(All(), [&](int p) {
      kms::v1::KeyGenPreprocRequest req;
      req.set_request_id(pre_id);
      req.set_fhe_parameter("tfhe-test");
      auto ctx = Context();
      return Stub(Port(p))->KeyGenPreproc(ctx.get(), req, &empty);
    });
  };
  const auto first_start = Clock::now();
  ExpectAllOk(send_preproc());
  KillEveryPartyDuringPreprocessing(pre_id);
  const auto killed = Clock::now();
  ASSERT_FALSE(HasFailure());
  RestartEveryParty();
  const auto start = Clock::now();
  ExpectAllOk(send_preproc());
  std::vector<kms::v1::KeyGenPreprocResult> pre(kParties + 1);
  ExpectAllOk(OnAll(All(), [&](int p) {
    kms::v1::RequestId id;
    id.set_request_id(pre_id);
    return WaitResult([&] {
      auto ctx = Context();
      return Stub(Port(p))->GetKeyGenPreprocResult(ctx.get(), id, &pre[p]);
    });
  }));
  const auto preprocessed = Clock::now();

  key_id_ = RandomId();
  ExpectAllOk(OnAll(All(), [&](int p) {
    kms::v1::KeyGenRequest req;
    req.set_request_id(key_id_);
    req.set_preprocessing_id(pre_id);
    req.set_fhe_parameter("tfhe-test");
    auto ctx = Context();
    return Stub(Port(p))->KeyGen(ctx.get(), req, &empty);
  }));
  std::vector<kms::v1::KeyGenResult> keys(kParties + 1);
  ExpectAllOk(OnAll(All(), [&](int p) {
    kms::v1::RequestId id;
    id.set_request_id(key_id_);
    return WaitResult([&] {
      auto ctx = Context();
      return Stub(Port(p))->GetKeyGenResult(ctx.get(), id, &keys[p]);
    });
  }));
  std::printf(
      "[ measure ] tfhe-test keyset, 4 kms-server processes: preprocessing %.1f s before the "
      "kill + %.1f s after the restart (%llu bits), DKG %.1f s; party 1 RSS %ld MB\n",
      Millis(killed - first_start) / 1000, Millis(preprocessed - start) / 1000,
      static_cast<unsigned long long>(pre[1].bits()), Millis(Clock::now() - preprocessed) / 1000,
      RssKb(servers_[0]->pid()) / 1024);
  ASSERT_FALSE(HasFailure());
  for (int p : All()) {
    EXPECT_THAT(servers_[p - 1]->Log(), HasSubstr("resuming preprocessing: ")) << "party " << p;
    EXPECT_EQ(PreprocChunksOnDisk(p, pre_id), 0u) << "the KeyGen consumed the material";
  }

  ASSERT_TRUE(tfhe::ParseCompactPublicKey(AsBytes(keys[1].public_key())).ok());
  const std::string server_key = ReadFile(PartyFile("PUB", 1, storage::kServerKey));
  const std::string compressed = ReadFile(PartyFile("PUB", 1, storage::kCompressedXofKeySet));
  ASSERT_TRUE(tfhe::ParsePublishedServerKey(AsBytes(server_key)).ok());
  for (int p : All()) {
    SCOPED_TRACE("party " + std::to_string(p));
    EXPECT_EQ(keys[p].fhe_parameter(), "tfhe-test");
    EXPECT_TRUE(keys[p].insecure());  // the test set is insecure, whoever makes it
    EXPECT_EQ(keys[p].public_key(), keys[1].public_key());
    EXPECT_EQ(ReadFile(PartyFile("PUB", p, storage::kPublicKey)), keys[1].public_key());
    EXPECT_EQ(ReadFile(PartyFile("PUB", p, storage::kServerKey)), server_key);
    EXPECT_EQ(ReadFile(PartyFile("PUB", p, storage::kCompressedXofKeySet)), compressed);
    EXPECT_EQ(ReadFile(PartyFile("PUB", p, storage::kPublicKeyMetadata)).size(), 55u);
    const crypto::Digest pk_digest = crypto::HashElement("PDAT_KEY", AsBytes(keys[p].public_key()));
    EXPECT_EQ(keys[p].public_key_digest(), std::string(pk_digest.begin(), pk_digest.end()));

    const std::string private_file = PartyFile("PRIV", p, storage::kFheKeyInfo);
    struct stat st {};
    ASSERT_EQ(::stat(private_file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto record = service::ParseTfheKeyRecord(AsBytes(ReadFile(private_file)));
    ASSERT_TRUE(record.ok()) << record.status();
    EXPECT_EQ(record->params->name, "tfhe-test");
    EXPECT_FALSE(record->client_key.has_value());  // no party holds the secret key
    ASSERT_TRUE(record->share.has_value());
    EXPECT_FALSE(record->share->insecure_dealer);
    EXPECT_EQ(record->public_key_digest, pk_digest);
    EXPECT_EQ(record->server_key_digest, crypto::HashElement("PDAT_KEY", AsBytes(server_key)));
    EXPECT_EQ(record->compressed_keyset_digest,
              crypto::HashElement("PDAT_KEY", AsBytes(compressed)));
  }
}

TEST_F(TfheKeysetClusterTest, NodeTfheLoadsThePublishedCompactPublicKeyConformantly) {
  ASSERT_FALSE(key_id_.empty()) << "needs the keyset of the previous test";
  SkipWithoutNode();
  kms::v1::PublicKeyRequest req;
  req.set_key_id(key_id_);
  kms::v1::PublicKeyResponse got;
  auto ctx = Context();
  ASSERT_TRUE(Stub(Port(3))->GetPublicKey(ctx.get(), req, &got).ok());
  EXPECT_EQ(got.fhe_parameter(), "tfhe-test");
  cpk_file_ = *dir_ / "cpk.bin";
  WriteFile(cpk_file_, got.public_key());
  for (const std::string version : {"14", "17"}) {
    auto r = Node(version, "load-cpk '" + cpk_file_ + "'");
    ASSERT_TRUE(r.ok) << "node-tfhe " << version << ": " << r.output;
    EXPECT_EQ(r.values.count("cpk_conformant_same"), 1u) << r.output;
    if (version == "14") {  // 1.7 re-serializes with its own version tags
      EXPECT_EQ(r.values["cpk_same"], "1") << r.output;
      EXPECT_EQ(r.values["cpk_conformant_same"], "1") << r.output;
    }
  }
}

TEST_F(TfheKeysetClusterTest, NodeEncryptsWeComputeAndThePartiesSharesDecryptTheSum) {
  ASSERT_FALSE(cpk_file_.empty()) << "needs the public key of the previous test";
  SkipWithoutNode();
  crypto::AesCtrRng rng;
  const uint64_t x = rng.Uniform<uint64_t>() & 0xff, y = rng.Uniform<uint64_t>() & 0xff;
  SCOPED_TRACE("x = " + std::to_string(x) + ", y = " + std::to_string(y));
  const std::string pair_file = *dir_ / "pair.bin";
  auto r = Node("14", "encrypt-u8-pair '" + cpk_file_ + "' '" + pair_file + "' " +
                          std::to_string(x) + " " + std::to_string(y));
  ASSERT_TRUE(r.ok) << r.output;
  auto list = tfhe::ParseCompactCiphertextList(AsBytes(ReadFile(pair_file)));
  ASSERT_TRUE(list.ok()) << list.status();

  auto published =
      tfhe::ParsePublishedServerKey(AsBytes(ReadFile(PartyFile("PUB", 2, storage::kServerKey))));
  ASSERT_TRUE(published.ok()) << published.status();
  auto keys = tfhe::LoadPublishedServerKey(*published);
  ASSERT_TRUE(keys.ok()) << keys.status();
  auto ciphertext = ::kms::testing::SquashedCompressedSum(*keys, *list);
  ASSERT_TRUE(ciphertext.ok()) << ciphertext.status();

  // Each party's own shares, from its private vault, on the BigCompressed sum.
  std::vector<mpc::TfheKeyShare> stored;
  for (int p : All()) {
    auto record =
        service::ParseTfheKeyRecord(AsBytes(ReadFile(PartyFile("PRIV", p, storage::kFheKeyInfo))));
    ASSERT_TRUE(record.ok() && record->share.has_value()) << record.status();
    stored.push_back(*record->share);
  }
  const auto expected =
      *lwe::TypedPlaintext::FromString(lwe::FheType::kEuint8, std::to_string((x + y) & 0xff));
  auto decrypt = [&](const std::vector<const mpc::TfheKeyShare*>& shares) {
    return ::kms::testing::DecryptWithShares(shares, kThreshold, *ciphertext);
  };
  auto all = decrypt({&stored[0], &stored[1], &stored[2], &stored[3]});
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(*all, expected);
  // A party whose stored shares are corrupt is outvoted; one that does not answer is not needed.
  mpc::TfheKeyShare corrupt = stored[2];
  for (auto& s : corrupt.sns_compression_key) s += mpc::Share::One();
  auto corrected = decrypt({&stored[0], &stored[1], &corrupt, &stored[3]});
  ASSERT_TRUE(corrected.ok()) << corrected.status();
  EXPECT_EQ(*corrected, expected);
  auto three = decrypt({&stored[0], nullptr, &stored[2], &stored[3]});
  ASSERT_TRUE(three.ok()) << three.status();
  EXPECT_EQ(*three, expected);

  // The servers decrypt the sum in each of the four request formats (one request holding all
  // four), publicly and per user, also with one party absent from the user decryption.
  auto formats = ::kms::testing::SumInRequestFormats(*keys, *list);
  ASSERT_TRUE(formats.ok()) << formats.status();
  std::vector<kms::v1::TypedCiphertext> cts;
  for (int f = 0; f < 4; ++f) {
    kms::v1::TypedCiphertext c;
    c.set_ciphertext(std::string(formats->bytes[f].begin(), formats->bytes[f].end()));
    c.set_fhe_type("euint8");
    c.set_ciphertext_format(f);
    cts.push_back(std::move(c));
  }
  const std::vector<lwe::TypedPlaintext> four(4, expected);
  const double public_ms = Millis(PublicDecryptOn(All(), key_id_, cts, four));
  Clock::duration user_took{};
  UserDecryptOn(All(), key_id_, cts, four, &user_took);
  UserDecryptOn({1, 3, 4}, key_id_, cts, four);
  std::printf(
      "[ measure ] tfhe-test euint8 in the four formats, 4 kms-server processes: public "
      "decryption %.0f ms, user decryption %.0f ms\n",
      public_ms, Millis(user_took));

  // kms-client decrypts tfhe-rs ciphertext files (--ciphertext, --format) through all parties.
  std::string toml = "threshold = 1\n";
  for (const auto& [party, address] : Signers()) {
    absl::StrAppend(&toml, "[[parties]]\nparty_id = ", party,
                    "\naddress = \"http://127.0.0.1:", Port(static_cast<int>(party)),
                    "\"\nsigner_address = \"", crypto::ChecksumAddress(address), "\"\n");
  }
  const std::string client_toml = *dir_ / "client.toml";
  WriteFile(client_toml, toml);
  const std::string plain = std::to_string((x + y) & 0xff);
  for (const auto& [command, format] :
       {std::pair{"public-decrypt", "BigCompressed"}, std::pair{"user-decrypt", "SmallExpanded"}}) {
    const int f = *client::ParseCiphertextFormat(format);
    const std::string file = *dir_ / absl::StrCat("sum.", format, ".bin");
    WriteFile(file, std::string(formats->bytes[f].begin(), formats->bytes[f].end()));
    std::string out;
    EXPECT_EQ(RunProgram({KMS_CLIENT_BIN, "--config", client_toml, "--quiet", command, "--key-id",
                          key_id_, "--type", "euint8", "--ciphertext", file, "--format", format},
                         &out),
              0)
        << out;
    EXPECT_THAT(out, HasSubstr("plaintext: " + plain)) << command;
  }

  // Malformed ciphertexts and formats are refused with the field and the reason.
  auto refused = [&](kms::v1::TypedCiphertext c, const std::string& why) {
    auto req = PublicDecryptionRequest(key_id_, {std::move(c)});
    kms::v1::PublicDecryptionResponse response;
    auto ctx = Context();
    grpc::Status s = Stub(Port(1))->PublicDecryptSync(ctx.get(), req, &response);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(why));
  };
  kms::v1::TypedCiphertext bad = cts[2];
  bad.mutable_ciphertext()->resize(bad.ciphertext().size() / 2);
  refused(bad,
          "ciphertexts[0].ciphertext: not a tfhe-rs CompressedSquashedNoiseCiphertextList "
          "(BigCompressed)");
  bad = cts[1];
  bad.set_fhe_type("euint16");
  refused(bad, "ciphertexts[0].ciphertext: ");
  bad = cts[3];
  bad.set_ciphertext_format(7);
  refused(bad, "ciphertexts[0].ciphertext_format: 7 is not one of 0 (SmallCompressed)");

  // A phase-1 ciphertext under the keyset is refused as what it is.
  crypto::AesCtrRng phase1_rng;
  const lwe::SecretKey other = lwe::SecretKey::Generate(lwe::TestParameters(), phase1_rng);
  auto other_pk =
      lwe::SerializeCompactPublicKey(lwe::GenerateCompactPublicKey(other, 1, phase1_rng));
  ASSERT_TRUE(other_pk.ok());
  refused(Encrypt(std::string(other_pk->begin(), other_pk->end()),
                  {*lwe::TypedPlaintext::FromU64(lwe::FheType::kEuint8, 7)})[0],
          "ciphertexts[0].ciphertext: not a tfhe-rs CompressedCiphertextList (SmallCompressed)");
}

// InsecureKeyGen (threshold.insecure = true in these configurations) makes a tfhe-rs keyset
// without preprocessing: the dealer's, marked insecure, the same on every party, with no
// CompressedXofKeySet.
TEST_F(TfheKeysetClusterTest, TheInsecureDealerMakesAMarkedKeyset) {
  const std::string dealt_id = RandomId();
  kms::v1::Empty empty;
  ExpectAllOk(OnAll(All(), [&](int p) {
    kms::v1::KeyGenRequest req;
    req.set_request_id(dealt_id);
    req.set_fhe_parameter("tfhe-test");
    auto ctx = Context();
    return Stub(Port(p))->InsecureKeyGen(ctx.get(), req, &empty);
  }));
  std::vector<kms::v1::KeyGenResult> keys(kParties + 1);
  ExpectAllOk(OnAll(All(), [&](int p) {
    kms::v1::RequestId id;
    id.set_request_id(dealt_id);
    return WaitResult([&] {
      auto ctx = Context();
      return Stub(Port(p))->GetKeyGenResult(ctx.get(), id, &keys[p]);
    });
  }));
  for (int p : All()) {
    SCOPED_TRACE("party " + std::to_string(p));
    EXPECT_TRUE(keys[p].insecure());
    EXPECT_EQ(keys[p].fhe_parameter(), "tfhe-test");
    EXPECT_EQ(keys[p].public_key(), keys[1].public_key());
    EXPECT_TRUE(tfhe::ParseCompactPublicKey(AsBytes(keys[p].public_key())).ok());
    const std::string prefix = *dir_ / absl::StrCat("keys/PUB-p", p, "/");
    EXPECT_TRUE(std::filesystem::exists(prefix + "ServerKey/" + dealt_id));
    EXPECT_FALSE(std::filesystem::exists(prefix + "CompressedXofKeySet/" + dealt_id));
    auto record = service::ParseTfheKeyRecord(
        AsBytes(ReadFile(*dir_ / absl::StrCat("keys/PRIV-p", p, "/FheKeyInfo/", dealt_id))));
    ASSERT_TRUE(record.ok() && record->share.has_value()) << record.status();
    EXPECT_TRUE(record->share->insecure_dealer);
  }
}

}  // namespace
}  // namespace kms::e2e
