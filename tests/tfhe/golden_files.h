// File: tests/tfhe/golden_files.h
//
// Access to the node-tfhe 1.4.0-alpha.3 golden blobs (../shared/golden/tfhe-1.4, README.md
// there): the file list with the type of each, a loader, and a parse-and-reserialize helper.
#ifndef KMS_TESTS_TFHE_GOLDEN_FILES_H_
#define KMS_TESTS_TFHE_GOLDEN_FILES_H_

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/bytes.h"
#include "common/status_macros.h"
#include "tfhe/ciphertext.h"
#include "tfhe/client_key.h"
#include "tfhe/compact_ciphertext_list.h"
#include "tfhe/compact_public_key.h"
#include "tfhe/compressed_server_key.h"

namespace kms::tfhe::testing {

enum class GoldenType {
  kClientKey,
  kCompactPublicKey,
  kCompressedCompactPublicKey,
  kCompactCiphertextList,
  kFheUint,
  kFheBool,
  kCompressedServerKey,
};

struct GoldenFile {
  std::string name;
  GoldenType type;
};

inline const std::vector<GoldenFile>& AllGoldenFiles() {
  static const std::vector<GoldenFile> files = [] {
    std::vector<GoldenFile> out;
    for (const char* prefix : {"kms-default", "kms-test"}) {
      const std::string p = prefix;
      out.push_back({p + ".ClientKey.bin", GoldenType::kClientKey});
      out.push_back({p + ".CompactPublicKey.bin", GoldenType::kCompactPublicKey});
      out.push_back({p + ".CompactPublicKey.from_compressed.bin", GoldenType::kCompactPublicKey});
      out.push_back(
          {p + ".CompressedCompactPublicKey.bin", GoldenType::kCompressedCompactPublicKey});
      for (const char* list : {"mixed", "mixed.packed", "u64", "u64.packed"}) {
        out.push_back(
            {p + ".CompactCiphertextList." + list + ".bin", GoldenType::kCompactCiphertextList});
      }
      out.push_back({p + ".FheUint64.client_key.bin", GoldenType::kFheUint});
      out.push_back({p + ".FheBool.client_key.bin", GoldenType::kFheBool});
      out.push_back({p + ".CompressedServerKey.bin", GoldenType::kCompressedServerKey});
    }
    out.push_back({"synthetic.ClientKey.kms-test-full.bin", GoldenType::kClientKey});
    out.push_back(
        {"synthetic.CompressedServerKey.kms-test-full.bin", GoldenType::kCompressedServerKey});
    return out;
  }();
  return files;
}

inline std::filesystem::path GoldenDir() { return KMS_TFHE_GOLDEN_DIR; }

inline bool HaveGoldenFiles() { return std::filesystem::exists(GoldenDir() / "values.json"); }

// The file's bytes, or nullopt if it cannot be read.
inline std::optional<Bytes> ReadGolden(const std::string& name) {
  std::ifstream in(GoldenDir() / name, std::ios::binary | std::ios::ate);
  if (!in) return std::nullopt;
  Bytes out(static_cast<size_t>(in.tellg()));
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size()))) {
    return std::nullopt;
  }
  return out;
}

// Parses `bytes` as `type` and serializes the result again.
inline absl::StatusOr<Bytes> RoundTrip(GoldenType type, const Bytes& bytes) {
  switch (type) {
    case GoldenType::kClientKey: {
      KMS_ASSIGN_OR_RETURN(ClientKey v, ParseClientKey(bytes));
      KMS_ASSIGN_OR_RETURN(crypto::SecretBytes out, SerializeClientKey(v));
      return Bytes(out.span().begin(), out.span().end());
    }
    case GoldenType::kCompactPublicKey: {
      KMS_ASSIGN_OR_RETURN(CompactPublicKey v, ParseCompactPublicKey(bytes));
      return SerializeCompactPublicKey(v);
    }
    case GoldenType::kCompressedCompactPublicKey: {
      KMS_ASSIGN_OR_RETURN(CompressedCompactPublicKey v, ParseCompressedCompactPublicKey(bytes));
      return SerializeCompressedCompactPublicKey(v);
    }
    case GoldenType::kCompactCiphertextList: {
      KMS_ASSIGN_OR_RETURN(CompactCiphertextList v, ParseCompactCiphertextList(bytes));
      return SerializeCompactCiphertextList(v);
    }
    case GoldenType::kFheUint: {
      KMS_ASSIGN_OR_RETURN(FheUint v, ParseFheUint(bytes));
      return SerializeFheUint(v);
    }
    case GoldenType::kFheBool: {
      KMS_ASSIGN_OR_RETURN(FheBool v, ParseFheBool(bytes));
      return SerializeFheBool(v);
    }
    case GoldenType::kCompressedServerKey: {
      KMS_ASSIGN_OR_RETURN(CompressedServerKey v, ParseCompressedServerKey(bytes));
      return SerializeCompressedServerKey(v);
    }
  }
  return absl::InternalError("unknown type");
}

}  // namespace kms::tfhe::testing

#endif  // KMS_TESTS_TFHE_GOLDEN_FILES_H_
