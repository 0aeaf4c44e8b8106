// File: bench/load/kms_load.cc
//
// kms-load: the end-to-end load benchmark of service-spec §10 against a running cluster of
// kms-server processes (kms-local, or any addresses). For every type it encrypts a pool of
// random values under the key's public key, then for every batch size sends that many
// decryption requests at once (one ciphertext each, every request to every party) and reports
// latency, throughput and the servers' CPU time per LWE block per party (load_report.h).
//
//   kms-load --cluster-dir ./kms-local [--key-id K] [--types ebool,euint64]
//            [--batches 1,8,64,512,2048] [--mode public|user|both] [--json out.json]
//
// The public key is accepted only when t + 1 operators pinned in client.toml (signer_address;
// the one kms-local wrote, also found in --cluster-dir) signed it (client/key_acceptance.h), and
// the answers are checked against the same pins; with --addresses alone, --trust-on-first-use
// takes the addresses the parties report instead (with a warning).
//
// Without --key-id it generates a key first (KeyGenPreproc + KeyGen on every party). The CPU
// column needs the servers' process ids: from <cluster-dir>/cluster.json (also found next to a
// --config client.toml that kms-local wrote), or --pids. Once a batch takes longer than
// --time-budget seconds, the larger batches of that type and mode are skipped (shown as such).
// Exit codes: 0 every request succeeded, 1 some request failed or a server stopped, 2 bad
// arguments or no usable cluster.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/client_config.h"
#include "client/cluster_client.h"
#include "client/local_cluster.h"
#include "client/request_id.h"
#include "client/typed_encryption.h"
#include "crypto/random.h"
#include "crypto/secp256k1_signer.h"
#include "load/batch_runner.h"
#include "load/load_report.h"
#include "load/process_cpu.h"
#include "lwe/fhe_type.h"
#include "lwe/parameters.h"
#include "tools/tls_flags.h"

namespace kms::load {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

struct Flags {
  std::string cluster_dir;
  std::string config;
  std::vector<std::string> addresses;
  std::vector<int> pids;
  std::string key_id;
  std::string keygen_params;
  std::vector<std::string> types = {"euint64"};
  std::vector<size_t> batches = {1, 8, 64, 512, 2048};
  std::string mode = "public";
  size_t distinct = 64;
  double time_budget_secs = 60;
  int timeout_secs = 600;
  std::string json;
  bool quiet = false;
  client::ClientTlsFiles tls;
  bool trust_on_first_use = false;
};

// The cluster as the benchmark sees it.
struct Target {
  std::vector<std::string> addresses;
  std::vector<int> pids;  // empty: no CPU figures
  std::optional<uint32_t> threshold;
  std::string fhe_parameter;                 // for key generation; empty: the servers'
  std::vector<client::PinnedOperator> pins;  // empty: not pinned
  client::ClientTlsFiles tls;                // client.toml's [tls] or the cluster's identity
};

// The pins of a client configuration, in address order; empty when it pins nothing.
std::vector<client::PinnedOperator> PinsOf(const client::ClientConfig& config) {
  std::vector<client::PinnedOperator> pins;
  if (!config.pinned()) return pins;
  for (const auto& p : config.parties) pins.push_back({p.party_id, *p.signer});
  return pins;
}

int Usage(const std::string& message) {
  std::cerr << "kms-load: " << message << "\n";
  return kExitUsage;
}

absl::StatusOr<Target> ResolveTarget(const Flags& flags) {
  const int given = !flags.cluster_dir.empty() + !flags.config.empty() + !flags.addresses.empty();
  if (given != 1) {
    return absl::InvalidArgumentError(
        "give exactly one of --cluster-dir, --config and --addresses");
  }
  Target target;
  std::string cluster_dir = flags.cluster_dir;
  if (!flags.config.empty()) {
    auto config = client::LoadClientConfig(flags.config);
    if (!config.ok()) return config.status();
    target.addresses = config->Addresses();
    target.threshold = config->threshold;
    target.fhe_parameter = config->fhe_parameter;
    target.pins = PinsOf(*config);
    target.tls = config->tls;
    // kms-local writes client.toml next to cluster.json: take the process ids from there.
    const auto dir = std::filesystem::path(flags.config).parent_path();
    if (flags.pids.empty() && std::filesystem::exists(dir / "cluster.json")) {
      cluster_dir = dir.empty() ? "." : dir.string();
    }
  } else if (!flags.addresses.empty()) {
    target.addresses = flags.addresses;
  }
  if (!cluster_dir.empty()) {
    auto cluster = client::LocalCluster::Open(cluster_dir);
    if (!cluster.ok()) return cluster.status();
    const client::LocalClusterState& state = cluster->state();
    if (state.tls && target.tls.empty()) target.tls = client::LocalClusterTlsFiles(cluster_dir);
    if (target.addresses.empty()) {
      for (const client::LocalParty& p : state.parties) {
        target.addresses.push_back(p.client_endpoint());
      }
      target.threshold = state.threshold;
      target.fhe_parameter = state.params;
      // The pins kms-local wrote for this cluster, when they name the same parties.
      const auto toml = std::filesystem::path(cluster_dir) / "client.toml";
      if (std::filesystem::exists(toml)) {
        auto config = client::LoadClientConfig(toml.string());
        if (!config.ok()) return config.status();
        bool same = config->parties.size() == state.parties.size();
        for (size_t i = 0; same && i < state.parties.size(); ++i) {
          same = config->parties[i].party_id == state.parties[i].id;
        }
        if (same) target.pins = PinsOf(*config);
      }
    }
    if (flags.pids.empty()) {
      for (const client::LocalParty& p : state.parties) {
        if (p.pid <= 0) {
          return absl::FailedPreconditionError(absl::StrCat("party ", p.id, " of the cluster in ",
                                                            cluster_dir,
                                                            " is not running (kms-local status)"));
        }
        target.pids.push_back(p.pid);
      }
    }
  }
  if (!flags.pids.empty()) target.pids = flags.pids;
  if (!target.pids.empty() && target.pids.size() != target.addresses.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--pids: ", target.pids.size(), " process ids for ", target.addresses.size(), " parties"));
  }
  return target;
}

// A random value of `type`: uniform over the type's width.
absl::StatusOr<lwe::TypedPlaintext> RandomValue(lwe::FheType type, crypto::AesCtrRng& rng) {
  const int bits = lwe::FheTypeBits(type);
  std::vector<uint8_t> bytes((bits + 7) / 8);
  rng.Fill(bytes);
  if (bits % 8 != 0) bytes.back() &= static_cast<uint8_t>((1u << (bits % 8)) - 1);
  return lwe::TypedPlaintext::FromLeBytes(type, bytes);
}

absl::StatusOr<Workload> MakeWorkload(const std::string& key_id, const std::string& type_name,
                                      const lwe::CompactPublicKey& key,
                                      const lwe::LweParameters& params, size_t distinct) {
  auto type = lwe::FheTypeFromName(type_name);
  if (!type.ok()) return type.status();
  Workload w;
  w.key_id = key_id;
  w.fhe_type = type_name;
  w.blocks_per_value = lwe::BlockCount(*type, params);
  crypto::AesCtrRng rng;
  for (size_t i = 0; i < distinct; ++i) {
    auto value = RandomValue(*type, rng);
    if (!value.ok()) return value.status();
    auto ct = client::EncryptValue(key, type_name, value->ToString(), rng);
    if (!ct.ok()) return ct.status();
    w.ciphertexts.push_back(*std::move(ct));
    w.values.push_back(*value);
  }
  return w;
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string item =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

int Run(int argc, char** argv) {
  CLI::App app{"kms-load: concurrent public/user decryption load against a KMS cluster"};
  Flags flags;
  std::string types_text = "euint64";
  std::string batches_text = "1,8,64,512,2048";
  app.add_option("--cluster-dir,-d", flags.cluster_dir,
                 "kms-local folder (addresses, threshold and process ids from cluster.json)");
  app.add_option("--config,-c", flags.config, "client.toml (kms-local writes one)");
  tools::AddTlsFlags(&app, &flags.tls);
  app.add_option("--addresses,-a", flags.addresses, "Client endpoints of all parties, in order");
  app.add_option("--pids", flags.pids, "kms-server process ids, in party order (for CPU time)");
  app.add_option("--key-id,-k", flags.key_id, "Key to decrypt under (default: generate one)");
  app.add_option("--keygen-params", flags.keygen_params, "Parameters of a generated key")
      ->check(CLI::IsMember({"test", "default"}));
  app.add_option("--types,-t", types_text, "Comma-separated types (ebool, euint16, ...)");
  app.add_option("--batches,-b", batches_text, "Comma-separated batch sizes (requests at once)");
  app.add_option("--mode,-m", flags.mode, "public, user or both")
      ->check(CLI::IsMember({"public", "user", "both"}));
  app.add_option("--distinct", flags.distinct, "Distinct ciphertexts per type (reused cyclically)")
      ->check(CLI::Range(1, 4096));
  app.add_option("--time-budget", flags.time_budget_secs,
                 "Skip larger batches once one takes longer than this many seconds")
      ->check(CLI::Range(1.0, 86400.0));
  app.add_option("--timeout", flags.timeout_secs, "Seconds one call may take")
      ->check(CLI::Range(1, 86400));
  app.add_option("--json", flags.json, "Also write the rows as JSON to this file (- : stdout)");
  app.add_flag("--quiet,-q", flags.quiet, "No progress lines on stderr");
  app.add_flag("--trust-on-first-use", flags.trust_on_first_use,
               "INSECURE: without pinned operators (client.toml signer_address), accept the "
               "public key signed by the addresses the parties report about themselves");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kExitUsage;
  }

  flags.types = SplitList(types_text);
  if (flags.types.empty()) return Usage("--types: the list is empty");
  for (const std::string& t : flags.types) {
    if (!lwe::FheTypeFromName(t).ok()) return Usage(absl::StrCat("--types: unknown type ", t));
  }
  flags.batches.clear();
  for (const std::string& b : SplitList(batches_text)) {
    size_t value = 0;
    try {
      size_t used = 0;
      value = std::stoul(b, &used);
      if (used != b.size()) throw std::invalid_argument(b);
    } catch (const std::exception&) {
      return Usage(absl::StrCat("--batches: \"", b, "\" is not a number"));
    }
    if (value == 0 || value > 65536) {
      return Usage(absl::StrCat("--batches: ", value, " is outside 1..65536"));
    }
    flags.batches.push_back(value);
  }
  if (flags.batches.empty()) return Usage("--batches: the list is empty");
  std::FILE* progress = flags.quiet ? nullptr : stderr;
  auto say = [&](const std::string& line) {
    if (progress != nullptr) std::fprintf(progress, "kms-load: %s\n", line.c_str());
  };

  auto target = ResolveTarget(flags);
  if (!target.ok()) return Usage(std::string(target.status().message()));

  client::ClientOptions options;
  options.request_timeout = std::chrono::seconds(flags.timeout_secs);
  auto tls = client::LoadClientTls(client::ChooseClientTlsFiles(flags.tls, target->tls));
  if (!tls.ok()) return Usage(std::string(tls.status().message()));
  options.tls = std::move(*tls);
  auto cluster = client::ClusterClient::Create(target->addresses, options);
  if (!cluster.ok()) return Usage(std::string(cluster.status().message()));
  (*cluster)->set_progress_stream(progress);
  if (target->threshold.has_value()) (*cluster)->set_threshold(*target->threshold);
  if (!target->pins.empty()) {
    if (absl::Status s = (*cluster)->PinOperators(target->pins); !s.ok()) {
      return Usage(std::string(s.message()));
    }
  } else if (flags.trust_on_first_use) {
    std::cerr << "kms-load: WARNING: --trust-on-first-use: the public key is accepted on the "
                 "signing addresses the parties report about themselves, not on pinned ones\n";
  }
  (*cluster)->set_trust_on_first_use(flags.trust_on_first_use);
  auto threshold = (*cluster)->Threshold();
  if (!threshold.ok()) return Usage(std::string(threshold.status().message()));

  // Who signs for whom: every answer must come from the key pinned (or reported) for the party.
  std::vector<PartyTarget> parties;
  for (size_t i = 0; i < (*cluster)->size(); ++i) {
    auto signer = (*cluster)->ExpectedSigner(i);
    const std::string& address = (*cluster)->party(i).address();
    if (!signer.ok()) return Usage(absl::StrCat(address, ": ", signer.status().message()));
    parties.push_back({address, signer->party_id, crypto::ChecksumAddress(signer->signer)});
  }

  // The key: given, or generated now.
  std::string key_id;
  if (!flags.key_id.empty()) {
    auto parsed = client::ParseId(flags.key_id, "--key-id");
    if (!parsed.ok()) return Usage(std::string(parsed.status().message()));
    key_id = *parsed;
  } else {
    client::KeyGenOptions keygen;
    keygen.fhe_parameter =
        flags.keygen_params.empty() ? target->fhe_parameter : flags.keygen_params;
    say(absl::StrCat("no --key-id: generating a key (preprocessing + DKG, parameters ",
                     keygen.fhe_parameter.empty() ? "of the servers" : keygen.fhe_parameter, ")"));
    auto outcome = (*cluster)->KeyGen(keygen);
    if (!outcome.ok()) {
      std::cerr << "kms-load: key generation failed: " << outcome.status().message() << "\n";
      return kExitFailed;
    }
    key_id = outcome->key_id;
    say(absl::StrCat("key_id ", key_id, " (preprocessing ", outcome->preprocessing_time.count(),
                     " ms, keygen ", outcome->keygen_time.count(), " ms)"));
  }
  auto public_key = (*cluster)->FetchPublicKey(key_id);
  if (!public_key.ok()) {
    std::cerr << "kms-load: " << public_key.status().message() << "\n";
    return kExitFailed;
  }
  auto key = client::ParsePublicKey(public_key->key.public_key());
  if (!key.ok()) {
    std::cerr << "kms-load: public key: " << key.status().message() << "\n";
    return kExitFailed;
  }
  auto params = lwe::ParametersByName(public_key->key.fhe_parameter());
  if (!params.ok()) {
    std::cerr << "kms-load: public key: " << params.status().message() << "\n";
    return kExitFailed;
  }

  auto runner = BatchRunner::Create(parties, *threshold, std::chrono::seconds(flags.timeout_secs),
                                    options.tls);
  if (!runner.ok()) return Usage(std::string(runner.status().message()));

  std::vector<std::string> modes;
  if (flags.mode == "public" || flags.mode == "both") modes.push_back("public");
  if (flags.mode == "user" || flags.mode == "both") modes.push_back("user");

  std::vector<LoadRow> rows;
  bool all_ok = true;
  bool server_stopped = false;
  for (const std::string& type : flags.types) {
    const auto encrypt_start = Clock::now();
    auto workload = MakeWorkload(key_id, type, *key, **params, flags.distinct);
    if (!workload.ok()) {
      std::cerr << "kms-load: " << type << ": " << workload.status().message() << "\n";
      return kExitFailed;
    }
    say(absl::StrCat(
        type, ": ", flags.distinct, " ciphertexts of ",
        workload->ciphertexts[0].ciphertext().size(), " bytes encrypted in ",
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - encrypt_start).count(),
        " ms"));
    for (const std::string& mode : modes) {
      // One unmeasured request first: connections, key caches and code paths warm.
      if (mode == "public") {
        (void)(*runner)->RunPublic(*workload, 1);
      } else {
        (void)(*runner)->RunUser(*workload, 1);
      }
      bool over_budget = false;
      for (size_t batch : flags.batches) {
        LoadRow row;
        row.mode = mode;
        row.fhe_type = type;
        row.blocks_per_value = workload->blocks_per_value;
        row.parties = parties.size();
        row.threshold = *threshold;
        row.fhe_parameter = public_key->key.fhe_parameter();
        row.batch = batch;
        if (over_budget || server_stopped) {
          row.skipped = true;
          rows.push_back(std::move(row));
          continue;
        }
        absl::StatusOr<std::vector<double>> cpu_before = std::vector<double>();
        if (!target->pids.empty()) cpu_before = SampleProcessCpu(target->pids);
        const double self_before = SelfCpuSeconds();
        row.result = mode == "public" ? (*runner)->RunPublic(*workload, batch)
                                      : (*runner)->RunUser(*workload, batch);
        row.client_cpu_seconds = SelfCpuSeconds() - self_before;
        if (!target->pids.empty()) {
          auto cpu_after = SampleProcessCpu(target->pids);
          if (!cpu_before.ok() || !cpu_after.ok()) {
            const absl::Status& s = !cpu_before.ok() ? cpu_before.status() : cpu_after.status();
            std::cerr << "kms-load: a server stopped: " << s.message() << "\n";
            server_stopped = true;
          } else {
            std::vector<double> delta(cpu_after->size());
            for (size_t i = 0; i < delta.size(); ++i) delta[i] = (*cpu_after)[i] - (*cpu_before)[i];
            row.server_cpu_seconds = std::move(delta);
          }
        }
        all_ok = all_ok && row.result.failed == 0;
        over_budget = row.result.wall_ms > flags.time_budget_secs * 1000;
        const auto cpu = row.CpuMicrosPerLwePerParty();
        say(absl::StrCat(
            mode, " ", type, " batch ", batch, ": ", row.result.succeeded, "/", row.result.requests,
            " ok, wall ", static_cast<int64_t>(row.result.wall_ms), " ms, median ",
            static_cast<int64_t>(row.MedianMs()), " ms, ",
            static_cast<int64_t>(row.LweBlocksPerSecond()), " LWE/s",
            cpu.has_value() ? absl::StrCat(", ", static_cast<int64_t>(*cpu), " µs CPU/LWE/party")
                            : std::string()));
        rows.push_back(std::move(row));
      }
    }
  }

  const std::string table = FormatTable(rows);
  if (flags.json == "-") {
    std::cerr << table;
    std::cout << RowsToJson(rows).dump(2) << "\n";
  } else {
    std::cout << table;
    if (!flags.json.empty()) {
      std::ofstream out(flags.json);
      out << RowsToJson(rows).dump(2) << "\n";
      if (!out) {
        std::cerr << "kms-load: cannot write " << flags.json << "\n";
        return kExitFailed;
      }
    }
  }
  return all_ok && !server_stopped ? 0 : kExitFailed;
}

}  // namespace
}  // namespace kms::load

int main(int argc, char** argv) { return kms::load::Run(argc, argv); }
