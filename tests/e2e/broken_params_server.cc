// kms-server with a parameter set that fails its noise budget: "default" with 45 bits per block
// (Δ/2 = 2^81 is below the flooding bound's 2^85 even for n = 1), run through the real boot path.
// Only tests/e2e/api_params_test.cc starts it, to prove the boot refuses such a set.
#include "lwe/parameters.h"
#include "service/server_main.h"

int main(int argc, char** argv) {
  static kms::lwe::LweParameters broken = kms::lwe::DefaultParameters();
  broken.bits_per_block = 45;
  broken.delta = kms::lwe::Z128{1} << (127 - broken.bits_per_block);
  kms::service::KmsServer::StartOptions options;
  options.fhe_parameters = &broken;
  return kms::service::RunKmsServer(argc, argv, options);
}
