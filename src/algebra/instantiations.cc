// Explicit instantiations of the rings the service uses, so a template error shows up when the
// algebra library builds rather than in the first protocol that uses it.
#include "algebra/bivariate.h"
#include "algebra/error_correction.h"
#include "algebra/galois_field.h"
#include "algebra/galois_ring.h"
#include "algebra/robust_reconstruction.h"
#include "algebra/shamir.h"
#include "algebra/syndrome.h"
#include "algebra/vandermonde.h"

namespace kms::algebra {

template class GaloisField<4>;
template class GaloisRing<Z64, 4>;
template class GaloisRing<Z128, 4>;
template class Polynomial<Gr64>;
template class Polynomial<Gr128>;
template class Polynomial<Gf16>;
template class BivariatePolynomial<Gr128>;
template std::optional<Gr64> Solve(const Gr64&);
template std::optional<Gr128> Solve(const Gr128&);
template Result<std::vector<Gr128>> ReconstructBatchSync(const RobustParams&, ShareColumns<Gr128>,
                                                         int);
template BatchOutcome<Gr128> TryReconstructBatchAsync(const RobustParams&, ShareColumns<Gr128>,
                                                      int);
template Result<std::vector<Gr64>> ReconstructBatchSync(const RobustParams&, ShareColumns<Gr64>,
                                                        int);
template BatchOutcome<Gr64> TryReconstructBatchAsync(const RobustParams&, ShareColumns<Gr64>, int);
template Result<std::vector<Gr128>> DecodeSyndrome(int, int, std::span<const Gr128>);

}  // namespace kms::algebra
