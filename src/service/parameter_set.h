// File: service/parameter_set.h
//
// The parameter sets a request names in `fhe_parameter`, of two families:
//   "test", "default"            the phase-1 LWE key (lwe/parameters.h), our own format
//   "tfhe-test", "tfhe-default"  the tfhe-rs keyset of kms v0.12.8's test and default sets
//                                (tfhe/named_keysets.h),
//                                published as tfhe-rs safe_serialize blobs
// A key decrypts the ciphertexts of its own family only: a phase-1 key its own LWE lists, a
// tfhe-rs keyset the four tfhe-rs formats (service/tfhe_ciphertext.h). The phase-1 family
// retires once the tools speak tfhe-rs.
#ifndef KMS_SERVICE_PARAMETER_SET_H_
#define KMS_SERVICE_PARAMETER_SET_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lwe/parameters.h"
#include "mpc/dkg_material.h"
#include "tfhe/named_keysets.h"

namespace kms::service {

// One parameter set of either family (exactly one pointer set; both null: none). Converts from
// a phase-1 set, so `spec.params = &lwe::TestParameters()` reads as before.
struct ParameterSet {
  ParameterSet() = default;
  ParameterSet(const lwe::LweParameters* p) : lwe(p) {}            // NOLINT: implicit on purpose
  ParameterSet(const tfhe::NamedKeysetParameters* p) : tfhe(p) {}  // NOLINT: implicit on purpose

  const lwe::LweParameters* lwe = nullptr;
  const tfhe::NamedKeysetParameters* tfhe = nullptr;

  bool empty() const { return lwe == nullptr && tfhe == nullptr; }
  std::string_view name() const {
    return lwe    ? std::string_view(lwe->name)
           : tfhe ? std::string_view(tfhe->name)
                  : std::string_view();
  }
  bool insecure() const { return lwe ? lwe->insecure : tfhe ? tfhe->insecure : false; }
  friend bool operator==(const ParameterSet&, const ParameterSet&) = default;
};

// The preprocessed material a threshold KeyGen of `params` consumes (mpc/dkg.h for phase-1,
// mpc/tfhe_dkg.h TfheDkgMaterialNeeded for a tfhe-rs keyset).
absl::StatusOr<mpc::DkgMaterialCounts> KeyGenMaterial(const ParameterSet& params);

// FAILED_PRECONDITION for a decryption of the other family's ciphertexts under `key_id` (hex).
absl::Status RefuseCiphertextFamily(std::string_view key_id, const ParameterSet& params);

// "test", "default", "tfhe-test" or "tfhe-default"; InvalidArgument otherwise.
absl::StatusOr<ParameterSet> ParameterSetByName(std::string_view name);

}  // namespace kms::service

#endif  // KMS_SERVICE_PARAMETER_SET_H_
