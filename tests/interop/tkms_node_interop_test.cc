// The reference signcryption and signed results (crypto/reference_signcryption.h,
// crypto/reference_signed_results.h) against the real node-tkms 0.12.8 and ethers 6 from the npm
// registry (tests/interop/tkms, `npm ci` by scripts/setup.sh). Party responses for a synthetic
// decryption are made in C++ (degree-t Shamir shares over GR(2^128, F4), packed as the reference
// packs them) and node-tkms' process_user_decryption_resp_from_js (verify = true) reconstructs
// them. Skipped (not passed) when node or the packages are missing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "algebra/shamir.h"
#include "client/reference_user_decryption.h"
#include "crypto/ml_kem.h"
#include "crypto/random.h"
#include "crypto/reference_signcryption.h"
#include "crypto/reference_signed_results.h"
#include "nlohmann/json.hpp"

#ifndef KMS_INTEROP_TKMS_DIR
#error "KMS_INTEROP_TKMS_DIR must name tests/interop/tkms"
#endif

namespace kms {
namespace {

namespace ref = crypto::reference;
using algebra::Gr128;
using crypto::EthAddress;
using crypto::SigningKey;
using nlohmann::json;

const std::string kDir = KMS_INTEROP_TKMS_DIR;

std::string Missing() {
  if (std::system("command -v node >/dev/null 2>&1") != 0) return "node is not installed";
  for (const char* f : {"node-tkms/kms_lib.js", "ethers/package.json"}) {
    if (!std::filesystem::exists(kDir + "/node_modules/" + f))
      return kDir + "/node_modules is incomplete: run `npm ci` there (scripts/setup.sh does)";
  }
  return "";
}

std::map<std::string, std::string> RunNode(const std::string& args, std::string* raw = nullptr) {
  const std::string command = "node '" + kDir + "/tkms_interop.js' " + args + " 2>&1";
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe != nullptr) {
    char buffer[4096];
    for (size_t n; (n = fread(buffer, 1, sizeof(buffer), pipe)) > 0;) output.append(buffer, n);
    pclose(pipe);
  }
  if (raw != nullptr) *raw = output;
  std::map<std::string, std::string> values;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    const size_t eq = line.find(" = ");
    if (eq != std::string::npos) values[line.substr(0, eq)] = line.substr(eq + 3);
  }
  return values;
}

std::map<std::string, std::string> RunNodeJson(const std::string& cmd, const json& input,
                                               std::string* raw = nullptr) {
  const std::string path =
      ::testing::TempDir() + "/tkms_" + cmd + "_" + std::to_string(::getpid()) + ".json";
  std::ofstream(path) << input.dump();
  auto out = RunNode(cmd + " '" + path + "'", raw);
  std::filesystem::remove(path);
  return out;
}

Bytes Unhex(const std::string& s) { return *FromHex(s); }

constexpr const char* kContract = "0x66f9664f97F2b50F62D13eA064982f936dE76657";
constexpr const char* kUser = "0x17853A630aAe15AED549B2B874de08B73C0F59c5";
constexpr uint64_t kChainId = 10901;

struct Clear {
  int32_t type;
  Bytes le;  // little-endian plaintext
};

class TkmsInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string why = Missing(); !why.empty()) GTEST_SKIP() << why;
    auto keys = RunNode("keygen");
    ASSERT_EQ(keys.count("pk"), 1u);
    enc_key_ = Unhex(keys["pk"]);
    sk_hex_ = keys["sk"];
    auto parsed = ref::ParseUserEncKey(enc_key_);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    user_key_ = *parsed;
    auto dk = ref::ParseUserDecKey(Unhex(sk_hex_));
    ASSERT_TRUE(dk.ok()) << dk.status();
    dk_ = *dk;
    chain_id_bytes_.assign(32, 0);
    for (int i = 0; i < 8; ++i) chain_id_bytes_[31 - i] = static_cast<uint8_t>(kChainId >> (8 * i));
    domain_ = *ref::DomainFromProto("Decryption", "1", chain_id_bytes_, kContract, {});
    client_ = *crypto::ParseEthAddress(kUser);
    for (int i = 0; i < 4; ++i) signers_.push_back(SigningKey::Generate());
    clears_ = {{ref::kFheBool, {1}},
               {ref::kFheUint8, {0xa5}},
               {ref::kFheUint64, {0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01}},
               {ref::kFheUint256, Bytes(32)}};
    crypto::OsRandom(clears_[3].le);
    for (size_t i = 0; i < clears_.size(); ++i) {
      Bytes h(32, static_cast<uint8_t>(0x10 + i));
      h[30] = static_cast<uint8_t>(clears_[i].type);
      handles_.push_back(h);
    }
  }

  // Party p's (1-based) packed shares, entry by entry; tamper adds a random offset to them.
  std::vector<std::vector<Bytes>> Shares(int n, int t) {
    std::vector<std::vector<Bytes>> out(n);
    crypto::AesCtrRng rng;
    for (const Clear& c : clears_) {
      std::vector<Gr128> phases = *client::reference::PackPlaintext(c.type, c.le);
      std::vector<std::vector<Gr128>> per_party(n);
      for (Gr128& e : phases) {
        for (auto& coef : e.coefs()) {  // decryption noise of |e| < 2^100, either sign
          const algebra::Z128 noise = rng.Uniform<algebra::Z128>() >> 28;
          coef += noise - (algebra::Z128{1} << 99);
        }
        auto shares = algebra::ShareSecret(e, n, t, rng);
        for (int p = 0; p < n; ++p) per_party[p].push_back(shares[p]);
      }
      for (int p = 0; p < n; ++p) out[p].push_back(ref::EncodeResiduePolys(per_party[p]));
    }
    return out;
  }

  ref::UserDecryptionResponse Respond(const SigningKey& key, const std::vector<Bytes>& pts,
                                      uint32_t party, uint32_t degree, bool centralized) {
    std::vector<ref::ResponseEntryInput> in;
    for (size_t i = 0; i < clears_.size(); ++i) {
      in.push_back({clears_[i].type, handles_[i],
                    centralized ? 1u : client::reference::PackingFactor(clears_[i].type), pts[i]});
    }
    auto r = ref::MakeUserDecryptionResponse(key, domain_, user_key_, client_, in, party, degree);
    EXPECT_TRUE(r.ok()) << r.status();
    return *r;
  }

  json Input(const std::vector<int>& server_ids,
             const std::vector<ref::UserDecryptionResponse>& rs) {
    json servers = json::array();
    for (int id : server_ids) {
      servers.push_back(
          {{"id", id},
           {"address", signers_[id - 1].verification_key().EthereumAddressChecksummed()}});
    }
    json handles = json::array();
    for (const Bytes& h : handles_) handles.push_back(ToHex(h));
    json agg = json::array();
    for (const auto& r : rs) {
      agg.push_back({{"signature", ToHex(r.external_signature)},
                     {"payload", ToHex(r.payload)},
                     {"extra_data", ToHex(r.extra_data)}});
    }
    return {{"servers", servers},
            {"pk", ToHex(enc_key_)},
            {"sk", sk_hex_},
            {"request",
             {{"client_address", kUser},
              {"enc_key", ToHex(enc_key_)},
              {"ciphertext_handles", handles},
              {"eip712_verifying_contract", kContract}}},
            {"domain",
             {{"name", "Decryption"},
              {"version", "1"},
              {"chain_id", chain_id_bytes_},
              {"verifying_contract", kContract}}},
            {"agg_resp", agg}};
  }

  void ExpectReconstructs(const json& input) {
    std::string raw;
    auto out = RunNodeJson("decrypt", input, &raw);
    ASSERT_EQ(out["count"], std::to_string(clears_.size())) << raw;
    for (size_t i = 0; i < clears_.size(); ++i) {
      Bytes be(clears_[i].le.rbegin(), clears_[i].le.rend());
      EXPECT_EQ(out["plaintext_" + std::to_string(i)],
                std::to_string(clears_[i].type) + ":" + ToHex(be))
          << "entry " << i;
    }
  }

  std::string ExpectError(const json& input) {
    auto out = RunNodeJson("decrypt", input);
    EXPECT_EQ(out.count("count"), 0u);
    EXPECT_EQ(out.count("error"), 1u);
    return out["error"];
  }

  // Our own client (client/reference_user_decryption.h) on the same responses.
  void ExpectOursReconstructs(uint32_t num_servers,
                              const std::vector<ref::UserDecryptionResponse>& rs) {
    std::vector<client::reference::ServerIdentity> servers;
    for (uint32_t p = 1; p <= num_servers; ++p) {
      servers.push_back({p, signers_[p - 1].verification_key().EthereumAddress()});
    }
    std::vector<client::reference::ReceivedResponse> received;
    for (const auto& r : rs) {
      received.push_back(
          {r.payload, Bytes(r.external_signature.begin(), r.external_signature.end())});
    }
    auto ours = client::reference::ReconstructUserDecryption(servers, domain_, user_key_, dk_,
                                                             client_, handles_, received);
    ASSERT_TRUE(ours.ok()) << ours.status();
    ASSERT_EQ(ours->size(), clears_.size());
    for (size_t i = 0; i < clears_.size(); ++i) EXPECT_EQ((*ours)[i].bytes, clears_[i].le) << i;
  }

  std::vector<ref::UserDecryptionResponse> Threshold(int tampered_party = 0) {
    auto shares = Shares(4, 1);
    if (tampered_party > 0) shares[tampered_party - 1] = Shares(4, 1)[tampered_party - 1];
    std::vector<ref::UserDecryptionResponse> rs;
    for (int p = 0; p < 4; ++p) rs.push_back(Respond(signers_[p], shares[p], p + 1, 1, false));
    return rs;
  }

  Bytes enc_key_;
  std::string sk_hex_;
  ref::UserEncKey user_key_;
  crypto::SecretBytes dk_;
  Bytes chain_id_bytes_;
  crypto::Eip712Domain domain_;
  EthAddress client_{};
  std::vector<SigningKey> signers_;
  std::vector<Clear> clears_;
  std::vector<Bytes> handles_;
};

TEST_F(TkmsInterop, KeyEncodingsAgree) {
  EXPECT_EQ(enc_key_.size(), ref::kUserEncKeySize);
  // node's dk holds its ek at 768..1568 (FIPS 203), the same ek the 869 bytes carry.
  EXPECT_TRUE(std::equal(user_key_.ek.begin(), user_key_.ek.end(), dk_.data() + 768));
  EXPECT_EQ(*ref::EncodeUserEncKey(crypto::kMlKem512, user_key_.ek), enc_key_);
  // A key made here is read back by node-tkms byte for byte.
  const crypto::MlKem kem(crypto::kMlKem512);
  const crypto::MlKemKeyPair ours = kem.KeyGen();
  const Bytes encoded = *ref::EncodeUserEncKey(crypto::kMlKem512, ours.encapsulation_key);
  EXPECT_EQ(RunNode("roundtrip_pk " + ToHex(encoded))["pk"], ToHex(encoded));
}

TEST_F(TkmsInterop, SigncryptionIsReadByMlKemPkeDecrypt) {
  const Bytes msg = ref::EncodeSigncryptionPayload(Bytes{1, 2, 3}, ref::kFheUint8, Bytes(32, 7));
  const Bytes ct = *ref::Signcrypt(signers_[0], user_key_, client_, msg);
  auto out = RunNodeJson("pke_decrypt", {{"ct", ToHex(ct)}, {"sk", sk_hex_}});
  const Bytes pt = Unhex(out["pt"]);
  ASSERT_EQ(pt.size(), msg.size() + 96);
  EXPECT_TRUE(std::equal(msg.begin(), msg.end(), pt.begin()));
  const crypto::Digest trailer = ref::SignerKeyTrailer(signers_[0].verification_key());
  EXPECT_TRUE(std::equal(trailer.begin(), trailer.end(), pt.end() - 32));
}

TEST_F(TkmsInterop, ThresholdFourOfFour) {
  auto rs = Threshold();
  ExpectReconstructs(Input({1, 2, 3, 4}, rs));
  ExpectOursReconstructs(4, rs);
}

TEST_F(TkmsInterop, ThreeOfFourSuffice) {
  auto rs = Threshold();
  rs.erase(rs.begin() + 1);
  ExpectReconstructs(Input({1, 2, 3, 4}, rs));
  ExpectOursReconstructs(4, rs);
}

TEST_F(TkmsInterop, OneTamperedShareIsCorrected) {
  const auto rs = Threshold(/*tampered_party=*/3);
  ExpectReconstructs(Input({1, 2, 3, 4}, rs));
  ExpectOursReconstructs(4, rs);
}

TEST_F(TkmsInterop, TwoOfFourAreTooFew) {
  auto rs = Threshold();
  rs.resize(2);
  EXPECT_NE(ExpectError(Input({1, 2, 3, 4}, rs)).find("threshold"), std::string::npos);
}

TEST_F(TkmsInterop, DroppedResponsesAreDropped) {
  // v = 0/1 instead of 27/28: that response is dropped, the other three reconstruct.
  auto rs = Threshold();
  rs[3].external_signature[64] -= 27;
  ExpectReconstructs(Input({1, 2, 3, 4}, rs));
  ExpectOursReconstructs(4, rs);
  // A foreign signer under party 4's id is dropped likewise.
  rs = Threshold();
  const SigningKey foreign = SigningKey::Generate();
  rs[3] = Respond(foreign, Shares(4, 1)[3], 4, 1, false);
  ExpectReconstructs(Input({1, 2, 3, 4}, rs));
  // A 0-based party id (0..3) makes party "0" invalid and shifts the rest: all dropped.
  auto shares = Shares(4, 1);
  std::vector<ref::UserDecryptionResponse> zero_based;
  for (int p = 0; p < 4; ++p) zero_based.push_back(Respond(signers_[p], shares[p], p, 1, false));
  EXPECT_NE(ExpectError(Input({1, 2, 3, 4}, zero_based)).find("Could not validate"),
            std::string::npos);
}

TEST_F(TkmsInterop, WrongSignatureIsRefused) {
  auto rs = Threshold();
  for (auto& r : rs) r.external_signature[10] ^= 1;
  EXPECT_NE(
      ExpectError(Input({1, 2, 3, 4}, rs)).find("Could not validate the aggregated responses"),
      std::string::npos);
}

TEST_F(TkmsInterop, Centralized) {
  std::vector<Bytes> pts;
  for (const Clear& c : clears_) pts.push_back(c.le);
  auto r = Respond(signers_[0], pts, 1, 0, true);
  ExpectReconstructs(Input({1}, {r}));
  ExpectOursReconstructs(1, {r});
  r.external_signature[64] -= 27;
  EXPECT_NE(ExpectError(Input({1}, {r})).find("signature"), std::string::npos);
}

TEST_F(TkmsInterop, SignedResultsVerifyWithEthers) {
  const SigningKey& key = signers_[1];
  const std::string address = key.verification_key().EthereumAddressChecksummed();
  json domain = {{"name", "Decryption"},
                 {"version", "1"},
                 {"chainId", kChainId},
                 {"verifyingContract", kContract}};
  json gen_domain = domain;
  gen_domain["name"] = "KMSGeneration";
  crypto::Eip712Domain gen = domain_;
  gen.name = "KMSGeneration";
  json cases = json::array();
  std::vector<std::string> digests;
  auto add = [&](const json& d, const crypto::Eip712Domain& cd, const crypto::Eip712Struct& s,
                 const json& types, const json& value) {
    const crypto::Digest digest = crypto::Eip712Digest(cd, s);
    digests.push_back("0x" + ToHex(digest));
    cases.push_back({{"domain", d},
                     {"types", types},
                     {"value", value},
                     {"signature", "0x" + ToHex(key.SignDigest(digest))}});
  };
  // Public decryption of (true, 0xa5, 0x0123456789abcdef).
  std::vector<Bytes> handles = {Bytes(32, 0x11), Bytes(32, 0x22), Bytes(32, 0x33)};
  std::vector<ref::TypedPlaintext> pts = {
      {{1}, ref::kFheBool}, {{0xa5}, ref::kFheUint8}, {clears_[2].le, ref::kFheUint64}};
  const Bytes abi = *ref::AbiEncodePlaintexts(pts);
  add(domain, domain_, *ref::ReferencePublicDecryptVerification(handles, pts),
      {{"PublicDecryptVerification",
        {{{"name", "ctHandles"}, {"type", "bytes32[]"}},
         {{"name", "decryptedResult"}, {"type", "bytes"}},
         {{"name", "extraData"}, {"type", "bytes"}}}}},
      {{"ctHandles",
        {"0x" + ToHex(handles[0]), "0x" + ToHex(handles[1]), "0x" + ToHex(handles[2])}},
       {"decryptedResult", "0x" + ToHex(abi)},
       {"extraData", "0x"}});
  // Key generation with the ServerKey and PublicKey digests.
  crypto::Digest prep, key_id;
  prep.fill(1);
  key_id.fill(2);
  std::vector<ref::KeyDigestEntry> kd = {{ref::kKeyTypeServer, Bytes(32, 3)},
                                         {ref::kKeyTypePublic, Bytes(32, 4)}};
  add(gen_domain, gen, ref::ReferenceKeygenVerification(prep, key_id, kd),
      {{"KeygenVerification",
        {{{"name", "prepKeygenId"}, {"type", "uint256"}},
         {{"name", "keyId"}, {"type", "uint256"}},
         {{"name", "keyDigests"}, {"type", "KeyDigest[]"}}}},
       {"KeyDigest",
        {{{"name", "keyType"}, {"type", "uint8"}}, {{"name", "digest"}, {"type", "bytes"}}}}},
      {{"prepKeygenId", "0x" + ToHex(prep)},
       {"keyId", "0x" + ToHex(key_id)},
       {"keyDigests",
        {{{"keyType", 0}, {"digest", "0x" + ToHex(kd[0].digest)}},
         {{"keyType", 1}, {"digest", "0x" + ToHex(kd[1].digest)}}}}});
  add(gen_domain, gen, ref::PrepKeygenVerification(prep),
      {{"PrepKeygenVerification", {{{"name", "prepKeygenId"}, {"type", "uint256"}}}}},
      {{"prepKeygenId", "0x" + ToHex(prep)}});
  crypto::Digest crs_id;
  crs_id.fill(5);
  add(gen_domain, gen, ref::CrsgenVerification(crs_id, 2048, Bytes(32, 6)),
      {{"CrsgenVerification",
        {{{"name", "crsId"}, {"type", "uint256"}},
         {{"name", "maxBitLength"}, {"type", "uint256"}},
         {{"name", "crsDigest"}, {"type", "bytes"}}}}},
      {{"crsId", "0x" + ToHex(crs_id)},
       {"maxBitLength", 2048},
       {"crsDigest", "0x" + ToHex(Bytes(32, 6))}});
  std::string raw;
  auto out = RunNodeJson("verify_typed", {{"cases", cases}}, &raw);
  for (size_t i = 0; i < digests.size(); ++i) {
    EXPECT_EQ(out["signer_" + std::to_string(i)], address) << i << "\n" << raw;
    EXPECT_EQ(out["digest_" + std::to_string(i)], digests[i]) << i;
  }
}

}  // namespace
}  // namespace kms
