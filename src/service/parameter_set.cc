#include "service/parameter_set.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "mpc/dkg.h"
#include "mpc/tfhe_dkg.h"

namespace kms::service {

absl::StatusOr<mpc::DkgMaterialCounts> KeyGenMaterial(const ParameterSet& params) {
  if (params.tfhe != nullptr) return mpc::TfheDkgMaterialNeeded(params.tfhe->keyset);
  if (params.lwe == nullptr) return absl::InvalidArgumentError("no parameter set");
  return mpc::DkgMaterialCounts{mpc::DkgBitsNeeded(*params.lwe), 0,
                                mpc::DkgRandomsNeeded(*params.lwe)};
}

absl::Status RefuseCiphertextFamily(std::string_view key_id, const ParameterSet& params) {
  return absl::FailedPreconditionError(absl::StrCat(
      "key ", std::string(key_id), " (", std::string(params.name()), ") decrypts ",
      params.tfhe != nullptr ? "tfhe-rs ciphertexts only" : "phase-1 LWE ciphertexts only"));
}

absl::StatusOr<ParameterSet> ParameterSetByName(std::string_view name) {
  if (const tfhe::NamedKeysetParameters* set = tfhe::KmsKeysetByName(name)) {
    return ParameterSet(set);
  }
  absl::StatusOr<const lwe::LweParameters*> p = lwe::ParametersByName(name);
  if (!p.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown parameter set \"", std::string(name.substr(0, 32)),
                     "\" (\"test\", \"default\", \"tfhe-test\" or \"tfhe-default\")"));
  }
  return ParameterSet(*p);
}

}  // namespace kms::service
