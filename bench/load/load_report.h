// File: bench/load/load_report.h
//
// The figures of one batch of the load benchmark and their two renderings: a text table for
// people (docs/performance.md holds tables in this shape) and JSON for scripts.
//
//   mode    public | user
//   lat     per-request latency from the start of the batch (all requests are sent at once) to
//           t + 1 agreeing signed answers, or to the reconstructed user decryption; median and
//           p95 (nearest rank). The JSON also has the service latency, counted from the start of
//           the request's own first call.
//   send    the time it took to start every call of the batch (the client shares the cores)
//   wall    start of the batch .. last request done
//   val/s   successful values per second of wall time; LWE/s = val/s × blocks per value
//   cpu/LWE server CPU time (utime + stime of every kms-server) over the batch, divided by the
//           number of parties and by the LWE blocks of the batch: the per-party cost of one
//           block, the figure that compares with one machine per party
//   client  this process's CPU time over the batch (it shares the cores with the servers)
#ifndef KMS_BENCH_LOAD_LOAD_REPORT_H_
#define KMS_BENCH_LOAD_LOAD_REPORT_H_

#include <optional>
#include <string>
#include <vector>

#include "load/batch_runner.h"
#include "nlohmann/json.hpp"

namespace kms::load {

struct LoadRow {
  std::string mode;  // "public" | "user"
  std::string fhe_type;
  int blocks_per_value = 0;
  size_t parties = 0;
  uint32_t threshold = 0;
  std::string fhe_parameter;
  size_t batch = 0;
  bool skipped = false;  // not run (an earlier, smaller batch exceeded the time budget)
  BatchResult result;
  std::optional<std::vector<double>> server_cpu_seconds;  // per party, over the batch
  double client_cpu_seconds = 0;

  double MedianMs() const;
  double P95Ms() const;
  double ValuesPerSecond() const;
  double LweBlocksPerSecond() const;
  // Server CPU per LWE block per party, in microseconds; empty without CPU samples.
  std::optional<double> CpuMicrosPerLwePerParty() const;
};

// The p-quantile (0 < p <= 1) of `values` by nearest rank; 0 for an empty list.
double Percentile(std::vector<double> values, double p);

// The rows as an aligned text table with a header line; skipped rows say so, failures are listed
// under the table with their counts.
std::string FormatTable(const std::vector<LoadRow>& rows);

// One JSON object per row (every figure above, the per-party CPU seconds and the errors).
nlohmann::json RowsToJson(const std::vector<LoadRow>& rows);

}  // namespace kms::load

#endif  // KMS_BENCH_LOAD_LOAD_REPORT_H_
