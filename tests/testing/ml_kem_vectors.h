// File: testing/ml_kem_vectors.h
//
// Reading the ML-KEM test vectors of tests/crypto/ml_kem_kat/ (noble_vectors.txt,
// acvp_vectors.txt) and the output of its interop.mjs: records of `name = value` lines separated
// by blank lines; lines starting with '#' are comments. Plus the independent SHA-3 computations
// (straight OpenSSL calls, not the code under test) that the tests compare against.
#ifndef KMS_TESTING_ML_KEM_VECTORS_H_
#define KMS_TESTING_ML_KEM_VECTORS_H_

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <fstream>
#include <map>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "crypto/ml_kem.h"

namespace kms::testing {

using MlKemRecord = std::map<std::string, std::string>;

inline std::vector<MlKemRecord> ParseMlKemRecords(std::string_view text) {
  std::vector<MlKemRecord> records;
  MlKemRecord current;
  std::istringstream in{std::string(text)};
  std::string line;
  auto flush = [&] {
    if (!current.empty()) records.push_back(std::move(current));
    current.clear();
  };
  while (std::getline(in, line)) {
    if (line.empty()) {
      flush();
      continue;
    }
    if (line[0] == '#') continue;
    const size_t eq = line.find(" = ");
    if (eq == std::string::npos) {
      ADD_FAILURE() << "malformed vector line: " << line.substr(0, 80);
      continue;
    }
    current[line.substr(0, eq)] = line.substr(eq + 3);
  }
  flush();
  return records;
}

inline std::string ReadTextFile(const std::string& path) {
  std::ifstream f(path);
  EXPECT_TRUE(f.good()) << "cannot read " << path;
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// The hex field `name` of `r`; an absent or malformed field fails the test.
inline Bytes HexField(const MlKemRecord& r, const std::string& name) {
  auto it = r.find(name);
  if (it == r.end()) {
    ADD_FAILURE() << "vector record has no field " << name;
    return {};
  }
  auto bytes = FromHex(it->second);
  EXPECT_TRUE(bytes.ok()) << name << ": " << bytes.status();
  return bytes.ok() ? *bytes : Bytes{};
}

inline const crypto::MlKemParameters& MlKemParametersNamed(const std::string& name) {
  if (name == "ML-KEM-1024") return crypto::kMlKem1024;
  EXPECT_EQ(name, "ML-KEM-512");
  return crypto::kMlKem512;
}

inline Bytes OpenSslDigest(const char* algorithm, size_t out_size,
                           std::initializer_list<ByteSpan> parts) {
  Bytes out(out_size);
  EVP_MD* md = EVP_MD_fetch(nullptr, algorithm, nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex2(ctx, md, nullptr);
  for (ByteSpan p : parts) EVP_DigestUpdate(ctx, p.data(), p.size());
  if (EVP_MD_get_flags(md) & EVP_MD_FLAG_XOF)
    EVP_DigestFinalXOF(ctx, out.data(), out.size());
  else
    EVP_DigestFinal_ex(ctx, out.data(), nullptr);
  EVP_MD_CTX_free(ctx);
  EVP_MD_free(md);
  return out;
}

inline std::string Sha3_256Hex(ByteSpan data) {
  return ToHex(OpenSslDigest("SHA3-256", 32, {data}));
}

// FIPS 203's implicit-rejection key J(z ‖ c) = SHAKE256(z ‖ c, 32), z being dk's last 32 bytes.
inline Bytes RejectionKey(ByteSpan dk, ByteSpan ciphertext) {
  return OpenSslDigest("SHAKE256", 32, {dk.last(32), ciphertext});
}

}  // namespace kms::testing

namespace kms::crypto {
// Test parameters print as their names ("ML-KEM-512"), not as bytes.
inline void PrintTo(const MlKemParameters& p, std::ostream* os) { *os << p.name; }
}  // namespace kms::crypto

#endif  // KMS_TESTING_ML_KEM_VECTORS_H_
