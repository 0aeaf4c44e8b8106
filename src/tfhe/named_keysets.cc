#include "tfhe/named_keysets.h"

namespace kms::tfhe {

const NamedKeysetParameters& KmsTestKeyset() {
  static const NamedKeysetParameters set{"tfhe-test", true, KmsTestKeysetParameters()};
  return set;
}

const NamedKeysetParameters& KmsDefaultKeyset() {
  static const NamedKeysetParameters set{"tfhe-default", false, KmsDefaultKeysetParameters()};
  return set;
}

const NamedKeysetParameters* KmsKeysetByName(std::string_view name) {
  for (const NamedKeysetParameters* set : {&KmsTestKeyset(), &KmsDefaultKeyset()}) {
    if (name == set->name) return set;
  }
  return nullptr;
}

}  // namespace kms::tfhe
