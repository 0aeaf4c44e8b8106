# Net layer benchmarks: in-process and gRPC (mutual TLS, loopback) round trips and 1 MiB
# throughput. Uses the test cluster helper in tests/net/.
kms_bench(net_bench SOURCES net_bench.cc DEPS kms_net)
