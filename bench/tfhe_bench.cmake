# Google Benchmarks of the tfhe layer's computation core (included by bench/CMakeLists.txt).
# The KS and PBS benchmarks use the golden node-tfhe kms-default keys when present.
kms_bench(tfhe_bench SOURCES tfhe_bench.cc DEPS kms_tfhe kms_crypto)
target_compile_definitions(tfhe_bench
                           PRIVATE KMS_TFHE_GOLDEN_DIR="${PROJECT_SOURCE_DIR}/../shared/golden/tfhe-1.4")
