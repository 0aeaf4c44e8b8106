kms_bench(mpc_bench SOURCES mpc_bench.cc DEPS kms_mpc kms_net kms_lwe kms_tfhe)
