# Google Benchmarks of the lwe layer (included by bench/CMakeLists.txt when present).
kms_bench(lwe_bench SOURCES lwe_bench.cc DEPS kms_lwe)
