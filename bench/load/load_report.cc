#include "load/load_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kms::load {
namespace {

std::string Fixed(double v, int decimals) { return absl::StrFormat("%.*f", decimals, v); }

// Milliseconds with a precision that suits their size.
std::string Ms(double ms) {
  if (ms < 10) return Fixed(ms, 2);
  if (ms < 100) return Fixed(ms, 1);
  return Fixed(ms, 0);
}

std::string Rate(double v) {
  if (v < 10) return Fixed(v, 2);
  if (v < 100) return Fixed(v, 1);
  return Fixed(v, 0);
}

std::string Pad(const std::string& s, size_t width, bool left) {
  if (s.size() >= width) return s;
  const std::string fill(width - s.size(), ' ');
  return left ? s + fill : fill + s;
}

}  // namespace

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double rank = std::ceil(p * static_cast<double>(values.size()));
  const size_t index = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return values[std::min(index, values.size() - 1)];
}

double LoadRow::MedianMs() const { return Percentile(result.latencies_ms, 0.5); }
double LoadRow::P95Ms() const { return Percentile(result.latencies_ms, 0.95); }

double LoadRow::ValuesPerSecond() const {
  if (result.wall_ms <= 0) return 0;
  return static_cast<double>(result.succeeded) / (result.wall_ms / 1000.0);
}

double LoadRow::LweBlocksPerSecond() const { return ValuesPerSecond() * blocks_per_value; }

std::optional<double> LoadRow::CpuMicrosPerLwePerParty() const {
  if (!server_cpu_seconds.has_value() || server_cpu_seconds->empty()) return std::nullopt;
  const double blocks = static_cast<double>(result.requests) * blocks_per_value;
  if (blocks <= 0) return std::nullopt;
  const double total = std::accumulate(server_cpu_seconds->begin(), server_cpu_seconds->end(), 0.0);
  return total / static_cast<double>(server_cpu_seconds->size()) / blocks * 1e6;
}

std::string FormatTable(const std::vector<LoadRow>& rows) {
  const std::vector<std::string> header = {
      "n/t",   "params",           "mode",         "type",    "blk",     "batch",
      "ok",    "lat med ms",       "lat p95 ms",   "send ms", "wall ms", "val/s",
      "LWE/s", "cpu/LWE/party µs", "client cpu ms"};
  std::vector<std::vector<std::string>> cells;
  for (const LoadRow& row : rows) {
    std::vector<std::string> c = {absl::StrCat(row.parties, "/", row.threshold),
                                  row.fhe_parameter,
                                  row.mode,
                                  row.fhe_type,
                                  absl::StrCat(row.blocks_per_value),
                                  absl::StrCat(row.batch)};
    if (row.skipped) {
      c.push_back("skipped");
      while (c.size() < header.size()) c.push_back("-");
    } else {
      const auto cpu = row.CpuMicrosPerLwePerParty();
      c.push_back(absl::StrCat(row.result.succeeded, "/", row.result.requests));
      c.push_back(Ms(row.MedianMs()));
      c.push_back(Ms(row.P95Ms()));
      c.push_back(Ms(row.result.send_ms));
      c.push_back(Ms(row.result.wall_ms));
      c.push_back(Rate(row.ValuesPerSecond()));
      c.push_back(Rate(row.LweBlocksPerSecond()));
      c.push_back(cpu.has_value() ? Rate(*cpu) : "-");
      c.push_back(Ms(row.client_cpu_seconds * 1000));
    }
    c.resize(header.size(), "-");  // every row has a cell per column
    cells.push_back(std::move(c));
  }
  std::vector<size_t> width(header.size());
  for (size_t i = 0; i < header.size(); ++i) {
    width[i] = header[i] == "cpu/LWE/party µs" ? header[i].size() - 1 : header[i].size();
    for (const auto& c : cells) width[i] = std::max(width[i], c[i].size());
  }
  auto line = [&](const std::vector<std::string>& c) {
    std::string out;
    for (size_t i = 0; i < c.size(); ++i) {
      // Text columns left-aligned, numbers right-aligned.
      out += Pad(c[i], width[i], i <= 3);
      out += i + 1 < c.size() ? "  " : "\n";
    }
    return out;
  };
  std::string out = line(header);
  for (const auto& c : cells) out += line(c);
  for (const LoadRow& row : rows) {
    for (const auto& [message, count] : row.result.errors) {
      absl::StrAppend(&out, "  ", row.mode, " ", row.fhe_type, " batch ", row.batch, ": ", count,
                      "× ", message, "\n");
    }
  }
  return out;
}

nlohmann::json RowsToJson(const std::vector<LoadRow>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const LoadRow& row : rows) {
    nlohmann::json j;
    j["parties"] = row.parties;
    j["threshold"] = row.threshold;
    j["fhe_parameter"] = row.fhe_parameter;
    j["mode"] = row.mode;
    j["fhe_type"] = row.fhe_type;
    j["blocks_per_value"] = row.blocks_per_value;
    j["batch"] = row.batch;
    j["skipped"] = row.skipped;
    if (!row.skipped) {
      j["succeeded"] = row.result.succeeded;
      j["failed"] = row.result.failed;
      j["wrong_values"] = row.result.wrong_values;
      j["latency_median_ms"] = row.MedianMs();
      j["latency_p95_ms"] = row.P95Ms();
      j["latency_max_ms"] = Percentile(row.result.latencies_ms, 1.0);
      j["service_latency_median_ms"] = Percentile(row.result.service_latencies_ms, 0.5);
      j["service_latency_p95_ms"] = Percentile(row.result.service_latencies_ms, 0.95);
      j["send_ms"] = row.result.send_ms;
      j["wall_ms"] = row.result.wall_ms;
      j["drain_ms"] = row.result.drain_ms;
      j["values_per_second"] = row.ValuesPerSecond();
      j["lwe_blocks_per_second"] = row.LweBlocksPerSecond();
      const auto cpu = row.CpuMicrosPerLwePerParty();
      if (cpu.has_value()) {
        j["server_cpu_us_per_lwe_per_party"] = *cpu;
        j["server_cpu_seconds"] = *row.server_cpu_seconds;
      }
      j["client_cpu_seconds"] = row.client_cpu_seconds;
      nlohmann::json errors = nlohmann::json::object();
      for (const auto& [message, count] : row.result.errors) errors[message] = count;
      j["errors"] = errors;
    }
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace kms::load
