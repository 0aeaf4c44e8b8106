// File: mpc/tfhe_dkg.h
//
// Distributed key generation of the whole tfhe-rs keyset, with no dealer (crypto-spec A.3,
// B §2.10, B §2.14 b): the keyset of tfhe/keyset.h (GenerateKeyset's output types) made by n
// parties from preprocessed material, so that no party ever holds a secret key. Every party ends
// with the same public material in both published forms and its own Shamir shares of every
// secret.
//
//   key bits   one preprocessed random bit per key bit, in B §2.10's order: the compact (CPK)
//              secret n̂, the small LWE key n, the GLWE key k·N, the compression key k_c·N_c, the
//              noise-squashing (SnS) GLWE key k_s·N_s, the SnS compression key k_sc·N_sc (no OPRF
//              key: tfhe-rs 1.4 has none).
//   seed       one preprocessed random sharing, robust-opened; seed = the big-endian reading of
//              the little-endian bytes of its constant coefficient (as the reference and
//              mpc/dkg.cc); XofSeed data = "TFHE_GEN" ‖ u128le(seed).
//   masks      every ciphertext's mask from that XofSeed's stream in the order and with the fork
//              rules under which tfhe-rs 1.4.0-alpha.3 regenerates a CompressedXofKeySet V0
//              (tfhe/xof_key_set_expansion.h: CPK, compression, decompression, compute KSK, BSK,
//              its modulus-switch key, SnS BSK, its modulus-switch key, casting KSK,
//              re-randomization KSK, SnS compression). Each key's skeleton (a seeded entity with
//              zero bodies) is decompressed from the one MaskStream with the same functions the
//              expansion uses, so the masks are by construction those a reader regenerates.
//   noise      one TUniform(B) share per body coefficient from B + 2 preprocessed bits
//              (TUniformFromBits), in body order, the distribution tfhe/keyset.cc uses for the
//              same key (a KSK to the small key and the drift zeros: LWE noise; to the big key,
//              the BSKs and the decompression key: GLWE noise; the others their own).
//   bodies     computed locally over the shares, body = ⟨mask, [s]⟩ + [e] + [message], then
//              robust-opened (degree t). The GGSW rows of the three bootstrapping keys (compute,
//              decompression, SnS) encrypt −s_i·2^(w−βℓ)·S_j, which needs the products s_i·S_j:
//              Beaver multiplication (Mult, one open) with k·N triples per input key bit. Every
//              other body is linear in the shares. 64-bit keys are computed and opened over
//              GR(2^64) (the shares reduced mod 2^64; B §2.10's EncryptionType::Bits64), 128-bit
//              ones over GR(2^128). An opened body that is not a scalar is ABORTED.
//
// The compressed form is the primary result: the CompressedXofKeySet V0 (tfhe-rs 1.4.0-alpha.3,
// the seed and every body; entity CompressionSeeds are left at 0, since only the keyset's
// XofSeed regenerates the masks); the uncompressed forms are the decompressed entities with
// their opened bodies, the bootstrapping keys brought to the Fourier domain
// (tfhe/fourier_conversion.h): exactly what ExpandCompressedXofKeySet gives, plus the conversion.
// kms v0.12.8 publishes the uncompressed CompactPublicKey and ServerKey (interop-tfhe-1.4.md
// §3.1); the compressed one (32 MB instead of 1.6 GB at the default set) is there to be
// published beside them.
//
// Why this order and not kms v0.12.8's uncompressed DKG order (interop-tfhe-1.4.md §3.3: the
// SnS BSK before the casting KSK, the compute modulus-switch key after it, the compression key's
// secret bits drawn late): the masks must be those of the compressed keyset we publish, which a
// reader regenerates in the XofKeySet order. Both orders are deterministic, all our parties run
// the same code, and the published keys do not show the order; only a mixed network with Rust
// 0.12.8 parties would need theirs (not a goal: A.4 uses our own wire format).
//
// Material (DkgMaterialSource, mpc/dkg_material.h) is pulled in the order it is consumed, key
// by key and within a key in steps of at most `TfheDkgOptions::max_shares_per_step` shares of
// any kind (bits for the step's noise, triples for its products, the opened values), so the
// peak is bounded whatever the parameter set and a streamed source works at the default set
// (541 M bits for the SnS BSK alone). The result does not depend on the step size (tested):
// every step takes the next items in the same global order.
//
// Rounds: 1 open for the seed, then per step one open of its bodies (and one Mult open before it
// for a bootstrapping-key step): 14 at the test set and the default step size (one step per
// key); at the default set 2,230 (the SnS BSK alone is 918 steps of one GGSW, 589,824 noise
// bits each).
// Session: synchronous or asynchronous (B runs the online DKG asynchronously; an asynchronous
// session's deadline bounds the whole DKG, so give it the DKG's length, the reference a year);
// every party must use the same parameters, options and an equivalent material source (shares
// of the same items, in the same order).
//
// Robustness: every value that leaves a party goes through a robust open, so with at most t
// corrupt parties (wrong or missing shares in any open, wrong local material or computation)
// every honest party opens exactly the values an all-honest run opens: the same key, byte for
// byte (tests/mpc/tfhe_dkg_test.cc). With more than t, an open fails (ABORTED, or UNAVAILABLE at
// the deadline) or a body is not a scalar (ABORTED) — as far as the decoder can detect it: more
// than t parties that forge consistent shares of other values are beyond a t-threshold scheme.
// Material itself is trusted to be correct (triples from GenerateTriples' detection, bits from
// GenerateBits); a party whose own material is wrong only spoils its own shares.
//
// Errors: InvalidArgument for parameters the DKG cannot run (ValidateKeysetParameters, Gaussian
// noise, non-native moduli, shapes the NTT or the decompositions cannot take);
// FailedPrecondition when the source holds less than TfheDkgMaterialNeeded (checked before any
// round); the source's and the opens' errors otherwise. Messages read "TfheDistributedKeyGen,
// <stage>: …".
// Secrets: key, noise and product shares are zeroed when released; the output's shares zero
// themselves. Thread safety: one DKG per session; the progress callback runs on the calling
// thread.
#ifndef KMS_MPC_TFHE_DKG_H_
#define KMS_MPC_TFHE_DKG_H_

#include <cstddef>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "crypto/secure_zero.h"
#include "mpc/dkg_material.h"
#include "mpc/preprocessing.h"
#include "mpc/session.h"
#include "mpc/tfhe_decryption.h"
#include "tfhe/compact_public_key.h"
#include "tfhe/keyset.h"
#include "tfhe/published_server_key.h"
#include "tfhe/xof_key_set.h"

namespace kms::mpc {

// What a DKG of `params` consumes: bits = key bits + Σ (B + 2) per body coefficient; triples =
// Σ over the bootstrapping keys of (input key bits)·k·N; randoms = 1 (the seed).
// Test set (KmsTestKeysetParameters): 729,105 bits, 66,048 triples. Default set (BC_PARAMS_SNS
// of kms v0.12.8): 785,207,190 bits, 7,737,344 triples. Against B §2.10's ≈ 877.6 M bits and
// 9.62 M products (tfhe-rs 1.7 keyset): no OPRF key (918 bits, 71.4 M noise bits, 1.88 M
// products) and 1.4's SnS compression KSK at level 1 (21.0 M bits, not 41.9 M). B counts
// ≈ 887 M triples and 877.6 M randoms because every preprocessed bit costs a triple and a random
// (GenBits); here those belong to the bits' preprocessing: making this DKG's bits takes another
// 785.2 M triples and randoms. InvalidArgument as the DKG for parameters it cannot run.
absl::StatusOr<DkgMaterialCounts> TfheDkgMaterialNeeded(const tfhe::KeysetParameters& params);

// My Shamir shares (degree t over GR(2^128)) of every secret key bit, B §2.10's keys. Keys the
// parameters do not have are empty. Zeroed on destruction and before an assignment replaces
// them.
struct TfheSecretKeyShares {
  TfheSecretKeyShares() = default;
  TfheSecretKeyShares(const TfheSecretKeyShares&) = default;
  TfheSecretKeyShares(TfheSecretKeyShares&&) = default;
  TfheSecretKeyShares& operator=(const TfheSecretKeyShares& o) {
    if (this != &o) {
      Wipe();
      Assign(o);
    }
    return *this;
  }
  TfheSecretKeyShares& operator=(TfheSecretKeyShares&& o) noexcept {
    if (this != &o) {
      Wipe();
      Assign(std::move(o));
    }
    return *this;
  }
  ~TfheSecretKeyShares() { Wipe(); }

  std::vector<Share> compact;                      // the CPK secret, n̂
  std::vector<Share> lwe;                          // the small compute key, n
  std::vector<Share> glwe;                         // the compute GLWE key, k·N (big key as LWE)
  std::vector<Share> compression;                  // k_c·N_c
  std::vector<Share> noise_squashing;              // k_s·N_s
  std::vector<Share> noise_squashing_compression;  // k_sc·N_sc

 private:
  void Wipe() {
    for (auto* v :
         {&compact, &lwe, &glwe, &compression, &noise_squashing, &noise_squashing_compression})
      crypto::SecureZero(*v);
  }
  template <typename Other>
  void Assign(Other&& o) {
    compact = std::forward<Other>(o).compact;
    lwe = std::forward<Other>(o).lwe;
    glwe = std::forward<Other>(o).glwe;
    compression = std::forward<Other>(o).compression;
    noise_squashing = std::forward<Other>(o).noise_squashing;
    noise_squashing_compression = std::forward<Other>(o).noise_squashing_compression;
  }
};

struct TfheDkgOptions {
  // The most shares of one kind a step holds (bits of its noise, triples, opened values); a step
  // is at least one ciphertext (a whole GGSW for a bootstrapping key). 2^20 Gr128 bits are
  // 64 MiB; an open of 2^20 Gr128 values is 64 MiB per message.
  size_t max_shares_per_step = size_t{1} << 20;
};

struct TfheDkgOutput {
  // Public, identical at every honest party (the same bytes once serialized).
  tfhe::CompactPublicKey public_key;            // empty tag
  tfhe::PublishedServerKey server_key;          // 1.4 form, Fourier BSKs, empty tag
  tfhe::CompressedXofKeySet compressed_keyset;  // V0: seed and bodies
  // Mine: the decryption shares (TfheKeyShare: the SnS GLWE key and the SnS compression key as
  // LWE, insecure_dealer false; sns_key empty when the parameters have no noise squashing) and
  // the shares of every secret.
  TfheKeyShare key_share;
  TfheSecretKeyShares secret_shares;
};

// Runs the DKG on `session`. Digests of the public material (SHAKE256("PDAT_KEY" ‖ bytes)) are
// left to whoever serializes it for storage: serializing the 1.6 GB server key here as well would
// double the cost.
absl::StatusOr<TfheDkgOutput> TfheDistributedKeyGen(Session& session,
                                                    const tfhe::KeysetParameters& params,
                                                    DkgMaterialSource& material,
                                                    const tfhe::KeysetProgress& progress = nullptr,
                                                    const TfheDkgOptions& options = {});

}  // namespace kms::mpc

#endif  // KMS_MPC_TFHE_DKG_H_
