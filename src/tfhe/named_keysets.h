// File: tfhe/named_keysets.h
//
// The KMS's two keyset parameter sets under the names that requests and signed results give
// them: "tfhe-test" (KmsTestKeysetParameters; insecure: tests and demos only) and
// "tfhe-default" (KmsDefaultKeysetParameters, kms v0.12.8's BC_PARAMS_SNS).
#ifndef KMS_TFHE_NAMED_KEYSETS_H_
#define KMS_TFHE_NAMED_KEYSETS_H_

#include <string>
#include <string_view>

#include "tfhe/keyset.h"

namespace kms::tfhe {

struct NamedKeysetParameters {
  std::string name;
  bool insecure = false;
  KeysetParameters keyset;
};
const NamedKeysetParameters& KmsTestKeyset();
const NamedKeysetParameters& KmsDefaultKeyset();
// nullptr for any other name.
const NamedKeysetParameters* KmsKeysetByName(std::string_view name);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_NAMED_KEYSETS_H_
