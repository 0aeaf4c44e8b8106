# Google Benchmark of the crypto layer (signatures, EIP-712, hybrid encryption, AES, PRSS PRF).
kms_bench(crypto_bench SOURCES crypto_bench.cc DEPS kms_crypto)
