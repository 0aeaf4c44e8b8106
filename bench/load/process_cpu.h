// File: bench/load/process_cpu.h
//
// CPU time of other processes (the kms-server parties of a local cluster), read from
// /proc/<pid>/stat: utime + stime (fields 14 and 15, in clock ticks of sysconf(_SC_CLK_TCK),
// usually 10 ms). kms-load samples every party before and after a batch; the difference over the
// number of LWE blocks decrypted is the CPU time per LWE block per party, the figure that compares
// across machines (the wall-clock throughput on one 2-core machine does not, because all parties
// share those cores).
//
// The tick granularity (10 ms) bounds the precision: a batch should cost many ticks per party for
// the per-block figure to mean something, which is why the small batches show it as coarse.
//
//   KMS_ASSIGN_OR_RETURN(std::vector<double> before, SampleProcessCpu(pids));
//   ... run the batch ...
//   KMS_ASSIGN_OR_RETURN(std::vector<double> after, SampleProcessCpu(pids));
#ifndef KMS_BENCH_LOAD_PROCESS_CPU_H_
#define KMS_BENCH_LOAD_PROCESS_CPU_H_

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace kms::load {

// Parses the text of /proc/<pid>/stat and returns utime + stime in seconds. The second field
// (the command name in parentheses) may hold spaces and parentheses, so fields are counted from
// the last ')'. InvalidArgument naming the field for a malformed line.
absl::StatusOr<double> ParseProcStatCpuSeconds(std::string_view stat_line);

// utime + stime of process `pid`, in seconds. NotFound when the process does not exist (it
// exited: a crashed party), InvalidArgument as above.
absl::StatusOr<double> ProcessCpuSeconds(int pid);

// ProcessCpuSeconds of every pid, in order; the first failure names its pid.
absl::StatusOr<std::vector<double>> SampleProcessCpu(const std::vector<int>& pids);

// CPU time (user + system) of this process so far, in seconds (getrusage).
double SelfCpuSeconds();

}  // namespace kms::load

#endif  // KMS_BENCH_LOAD_PROCESS_CPU_H_
