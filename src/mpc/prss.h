// File: mpc/prss.h
//
// Pseudo-random secret sharing (crypto-spec B §2.5, NIST Figs. 52–54). Once per epoch the
// parties agree, for every set A of n - t parties, on a 16-byte key r_A known exactly to A's
// members (PrssInit: VSS + Vandermonde extraction + robust AgreeRandom, all robust to t cheaters).
// From then on any session derives, without talking:
//   PRSS.Next       a degree-t sharing of a random value        sum_A f_A(a_i) psi_A(ctr)
//   PRZS.Next       a degree-2t sharing of zero                 sum_A sum_j chi_A(ctr,j) a_i^j
//   f_A(a_i) Mask.Next(Bd)   a degree-t sharing of E, |E| < 2 C(n,t) Bd 2^40, for noise flooding
// where f_A is the degree-t polynomial with f_A(0) = 1 and f_A(a_p) = 0 for p not in A.
// All parties must consume outputs in the same order: the counters are per session and advance
// by the batch size of every call.
#ifndef KMS_MPC_PRSS_H_
#define KMS_MPC_PRSS_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "algebra/galois_ring.h"
#include "crypto/aes128.h"
#include "crypto/prf.h"
#include "mpc/session.h"

namespace kms::mpc {

// Statistical security of the flooding mask (B §4: STATSEC).
inline constexpr int kStatSecBits = 40;
// Largest number of sets C(n, t) the PRSS accepts (B §2.5: PRSS_SIZE_MAX).
inline constexpr uint64_t kMaxPrssSets = 2047;

uint64_t BinomialCoefficient(int n, int k);

// All subsets of size n - t of {1..n}, in lexicographic combination order.
std::vector<std::vector<Role>> PrssSets(int n, int t);

// One party's PRSS keys for an epoch. Holds secrets: keys are zeroed on destruction and never
// printed. Copyable (sessions take their own PRF instances).
class PrssSetup {
 public:
  struct SetKey {
    std::vector<Role> members;  // sorted
    crypto::AesKey key;         // r_A
  };

  PrssSetup(int n, int t, Role my_role, std::vector<SetKey> sets);
  PrssSetup(const PrssSetup&) = default;
  PrssSetup& operator=(const PrssSetup&) = default;
  ~PrssSetup();

  int n() const { return n_; }
  int t() const { return t_; }
  Role my_role() const { return my_role_; }
  // The sets containing my_role, in lexicographic order.
  const std::vector<SetKey>& sets() const { return sets_; }

  // The PrssSetupRecord encoding (proto/mpc.proto) for the private vault.
  std::string Serialize() const;
  // Validates sizes, members and set count against n, t and the role it claims.
  static absl::StatusOr<PrssSetup> Parse(const std::string& bytes);

  // Public values every session of this setup needs, computed once (ring inversions per set
  // would otherwise dominate a short decryption session at 13 parties). Shared by copies.
  struct Weights {
    std::vector<algebra::Gr128> f_at_me;                   // f_A(a_me), per set of sets()
    std::vector<std::vector<algebra::Gr128>> chi_weights;  // [set][j-1] = a_me^j f_A(a_me)
    std::vector<size_t> global_index;  // each set's index in the lexicographic order of all sets
  };
  const std::shared_ptr<const Weights>& weights() const { return weights_; }

  // AES-128 keyed with r_A, per set of sets(): the key schedules the per-session PRF key
  // derivation starts from (crypto/prf.h), expanded once per setup instead of once per session.
  // Secret; shared by copies and zeroed with the last of them.
  const std::vector<crypto::Aes128>& set_ciphers() const { return *set_ciphers_; }

 private:
  int n_, t_;
  Role my_role_;
  std::vector<SetKey> sets_;
  std::shared_ptr<const Weights> weights_;
  std::shared_ptr<const std::vector<crypto::Aes128>> set_ciphers_;
};

// Robust PRSS initialisation over GR(2^128, F4) (B §2.5 "Init, robust"), on a synchronous
// session. Fails with FAILED_PRECONDITION when C(n, t) > kMaxPrssSets.
absl::StatusOr<PrssSetup> PrssInit(Session& session);

// A session's PRSS generator over GR(2^128, F4): the PRF keys of the setup specialised to the
// session id, and the three counters. It keeps no reference to the setup. Not thread-safe.
template <typename R>
class PrssState {
 public:
  PrssState(const PrssSetup& setup, SessionId sid);

  // `count` consecutive PRSS.Next / PRZS.Next outputs (my shares).
  std::vector<R> NextRandom(size_t count);
  std::vector<R> NextZero(size_t count);
  // `count` Mask.Next(Bd) outputs; each consumes two mask counters. Bd * 2^40 must be <= 2^126.
  std::vector<R> NextMask(size_t count, algebra::Z128 bd);

  uint64_t prss_counter() const { return prss_ctr_; }
  uint64_t przs_counter() const { return przs_ctr_; }
  uint64_t mask_counter() const { return mask_ctr_; }

  // The raw PRF outputs behind PRSS.Next at `ctr` (psi_A for each of my sets, in order) and behind
  // PRZS.Next (chi_A(ctr, j) for each set, j = 1..t), for the checks of the unhappy path.
  std::vector<R> PsiValues(uint64_t ctr) const;
  std::vector<R> ChiValues(uint64_t ctr) const;

  // Share of party `p` implied by the given per-set PRF values (all C(n,t) sets, global order):
  // used by the checks once every set's value is public.
  static R ShareFromPsi(int n, int t, Role p, const std::vector<R>& psi_all_sets);
  static R ShareFromChi(int n, int t, Role p, const std::vector<R>& chi_all_sets);

  // Index of each of my sets in the global lexicographic order.
  const std::vector<size_t>& global_set_index() const { return weights_->global_index; }

 private:
  const int t_;
  std::shared_ptr<const PrssSetup::Weights> weights_;
  std::vector<crypto::PrssPrf> prf_;  // per set containing me
  uint64_t prss_ctr_ = 0, przs_ctr_ = 0, mask_ctr_ = 0;
};

// f_A(a_p) for the set `members` of n parties.
template <typename R>
R PrssSetPolynomialAt(int n, const std::vector<Role>& members, Role p);

}  // namespace kms::mpc

#endif  // KMS_MPC_PRSS_H_
