// INSECURE, tests only: DKG material (mpc/dkg_material.h) dealt from a seed everybody knows, so
// each party derives its own shares alone, as it pulls them, without a dealer or shared state.
// Item k of each kind (bits, triples, randoms) is a Shamir sharing of degree t whose secret and
// coefficients are the next draws of an AES-CTR stream of that kind keyed by the seed; every
// party draws the same values in the same order and evaluates the polynomial at its own point.
// Bits are 0/1 scalars, triple factors and randoms uniform ring elements, c = a·b. The
// polynomials' coefficients are random scalars of Z/2^128 (not random ring elements): still a
// degree-t sharing with non-scalar shares (the points α^j are not scalars), at an eighth of the
// cost, which matters at 13 parties (729 k bits at t = 4 per party).
//
// This stands in for the preprocessing (GenerateBits / GenerateTriples, which the test set's
// 729 k bits would take minutes to run at 13 parties on two cores) with material of the same
// form; it streams, so it also exercises the DKG's step-wise pulls.
//
// TamperedDkgMaterial wraps a source and adds 1 to every share it hands out: the "wrong
// material" of a corrupt party.
#ifndef KMS_TESTS_TESTING_DEALT_DKG_MATERIAL_H_
#define KMS_TESTS_TESTING_DEALT_DKG_MATERIAL_H_

#include <cstdint>
#include <vector>

#include "absl/strings/str_cat.h"
#include "algebra/shamir.h"
#include "crypto/random.h"
#include "mpc/dkg_material.h"
#include "net/network.h"

namespace kms::testing {

class SeededDkgMaterial final : public mpc::DkgMaterialSource {
 public:
  SeededDkgMaterial(uint64_t seed, int t, net::Role me, mpc::DkgMaterialCounts counts)
      : left_(counts),
        bits_(Key(seed, 1), 0),
        triples_(Key(seed, 2), 0),
        randoms_(Key(seed, 3), 0) {
    mpc::Share power = mpc::Share::One();
    const mpc::Share point = algebra::PartyPoint<mpc::Share>(me);
    for (int j = 0; j < t; ++j) powers_.push_back(power *= point);
  }

  mpc::DkgMaterialCounts remaining() const override { return left_; }

  absl::StatusOr<std::vector<mpc::Share>> NextBits(size_t count) override {
    if (count > left_.bits) return Exhausted("bits", count, left_.bits);
    left_.bits -= count;
    std::vector<mpc::Share> out(count);
    for (auto& s : out) {
      uint8_t b;
      bits_.Fill({&b, 1});
      s = ShareOf(mpc::Share::FromScalar(b & 1), bits_);
    }
    return out;
  }

  absl::StatusOr<mpc::Triples> NextTriples(size_t count) override {
    if (count > left_.triples) return Exhausted("triples", count, left_.triples);
    left_.triples -= count;
    mpc::Triples out;
    for (size_t i = 0; i < count; ++i) {
      const mpc::Share a = mpc::Share::Random(triples_), b = mpc::Share::Random(triples_);
      out.a.push_back(ShareOf(a, triples_));
      out.b.push_back(ShareOf(b, triples_));
      out.c.push_back(ShareOf(a * b, triples_));
    }
    return out;
  }

  absl::StatusOr<std::vector<mpc::Share>> NextRandoms(size_t count) override {
    if (count > left_.randoms) return Exhausted("randoms", count, left_.randoms);
    left_.randoms -= count;
    std::vector<mpc::Share> out(count);
    for (auto& s : out) s = ShareOf(mpc::Share::Random(randoms_), randoms_);
    return out;
  }

 private:
  static crypto::AesKey Key(uint64_t seed, uint8_t kind) {
    crypto::AesKey k{};
    for (int i = 0; i < 8; ++i) k[i] = static_cast<uint8_t>(seed >> (8 * i));
    k[15] = kind;
    return k;
  }
  static absl::Status Exhausted(const char* kind, size_t count, uint64_t left) {
    return absl::FailedPreconditionError(
        absl::StrCat("preprocessed ", kind, " exhausted: ", count, " asked, ", left, " left"));
  }
  // f(α_me) for f = secret + Σ_{j=1..t} c_j X^j, the c_j the stream's next t scalars.
  mpc::Share ShareOf(const mpc::Share& secret, crypto::AesCtrRng& rng) const {
    algebra::Z128 c[16];
    rng.Fill(std::span<uint8_t>(reinterpret_cast<uint8_t*>(c), powers_.size() * sizeof(c[0])));
    mpc::Share acc = secret;
    for (size_t j = 0; j < powers_.size(); ++j) acc += powers_[j] * c[j];
    return acc;
  }

  std::vector<mpc::Share> powers_;  // α_me^j, j = 1..t (t ≤ 15: at most 15 parties)
  mpc::DkgMaterialCounts left_;
  crypto::AesCtrRng bits_, triples_, randoms_;
};

// Every share handed out by `inner`, plus one.
class TamperedDkgMaterial final : public mpc::DkgMaterialSource {
 public:
  explicit TamperedDkgMaterial(mpc::DkgMaterialSource& inner) : inner_(inner) {}
  mpc::DkgMaterialCounts remaining() const override { return inner_.remaining(); }
  absl::StatusOr<std::vector<mpc::Share>> NextBits(size_t count) override {
    auto v = inner_.NextBits(count);
    if (v.ok()) Tamper(*v);
    return v;
  }
  absl::StatusOr<mpc::Triples> NextTriples(size_t count) override {
    auto v = inner_.NextTriples(count);
    if (v.ok()) {
      Tamper(v->a);
      Tamper(v->c);
    }
    return v;
  }
  absl::StatusOr<std::vector<mpc::Share>> NextRandoms(size_t count) override {
    auto v = inner_.NextRandoms(count);
    if (v.ok()) Tamper(*v);
    return v;
  }

 private:
  static void Tamper(std::vector<mpc::Share>& v) {
    for (auto& x : v) x += mpc::Share::One();
  }
  mpc::DkgMaterialSource& inner_;
};

}  // namespace kms::testing

#endif  // KMS_TESTS_TESTING_DEALT_DKG_MATERIAL_H_
