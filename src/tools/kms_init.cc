// File: tools/kms_init.cc
//
// kms-init (service-spec §1, the troubleshooting guide's "PRSS Re-initialization"): creates the
// PRSS of an epoch on every party of a threshold KMS.
//
//   kms-init --addresses http://h1:50100 http://h2:50100 http://h3:50100 http://h4:50100
//            [--epoch-id <64 hex>] [--force] [--timeout 600]
//
// Every party gets NewMpcEpoch with the same fresh random request id (so a forced re-run never
// reuses the session of an earlier one), then GetEpochResult is polled with progress output.
// Without --force, an epoch that already exists on every party is left alone (exit 0, "nothing
// changed"); one that exists on some parties only is reported and needs --force. A party that
// cannot be reached is named and nothing is started (exit 1): the PRSS needs all parties.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cluster_client.h"
#include "client/progress.h"
#include "client/request_id.h"
#include "tools/tls_flags.h"

namespace kms::tools {
namespace {

// The default epoch of the server: 0x00…01 (service/request_id.h DefaultEpochId).
constexpr char kDefaultEpochId[] =
    "0000000000000000000000000000000000000000000000000000000000000001";

int Run(int argc, char** argv) {
  CLI::App app{"kms-init: creates the PRSS of an epoch on every party of a threshold KMS"};
  std::vector<std::string> addresses;
  std::string epoch_text;
  bool force = false;
  int timeout_secs = 600;
  int connect_timeout_secs = 5;
  bool quiet = false;
  app.add_option("--addresses,-a", addresses,
                 "Client endpoints of all parties (http://host:50100 or host:50100)")
      ->required();
  app.add_option("--epoch-id", epoch_text, "Epoch id (64 hex); default: the default epoch");
  app.add_flag("--force", force, "Re-create the PRSS even where it exists");
  app.add_option("--timeout", timeout_secs, "Seconds to wait for all parties")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  app.add_option("--connect-timeout", connect_timeout_secs, "Seconds to wait for a connection")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  app.add_flag("--quiet,-q", quiet, "No progress output");
  client::ClientTlsFiles tls_files;
  AddTlsFlags(&app, &tls_files);
  CLI11_PARSE(app, argc, argv);

  std::string epoch_id = kDefaultEpochId;
  if (!epoch_text.empty()) {
    absl::StatusOr<std::string> parsed = client::ParseId(epoch_text, "--epoch-id");
    if (!parsed.ok()) {
      std::cerr << "kms-init: " << parsed.status().message() << "\n";
      return 2;
    }
    epoch_id = *parsed;
  }
  client::ClientOptions options;
  options.connect_timeout = std::chrono::seconds(connect_timeout_secs);
  options.request_timeout = std::chrono::seconds(30);
  absl::StatusOr<std::optional<client::ClientTls>> tls =
      client::LoadClientTls(client::ChooseClientTlsFiles(tls_files));
  if (!tls.ok()) {
    std::cerr << "kms-init: " << tls.status().message() << "\n";
    return 2;
  }
  options.tls = std::move(*tls);
  absl::StatusOr<std::unique_ptr<client::ClusterClient>> created =
      client::ClusterClient::Create(addresses, options);
  if (!created.ok()) {
    std::cerr << "kms-init: " << created.status().message() << "\n";
    return 2;
  }
  client::ClusterClient& cluster = **created;
  cluster.set_progress_stream(quiet ? nullptr : stderr);
  const size_t n = cluster.size();

  // 1. Every party must answer: the PRSS setup is a protocol among all of them.
  std::cout << "kms-init: contacting " << n << " parties" << std::endl;
  std::vector<std::string> unreachable;
  for (const auto& r : cluster.OperatorKeys()) {
    if (!r.value.ok()) unreachable.push_back(std::string(r.value.status().message()));
  }
  if (!unreachable.empty()) {
    std::cerr << "kms-init: " << unreachable.size() << " of " << n
              << " parties cannot be reached; nothing was started:\n";
    for (const std::string& u : unreachable) std::cerr << "  - " << u << "\n";
    return 1;
  }

  // 2. Where does the epoch exist already?
  auto health = cluster.ForEach<v1::HealthStatusResponse>(
      [](client::CoreClient& c, size_t) { return c.GetHealthStatus(); });
  std::vector<std::string> have, missing;
  for (const auto& r : health) {
    if (!r.value.ok()) {
      std::cerr << "kms-init: " << r.value.status().message() << "\n";
      return 1;
    }
    const auto& ids = r.value->my_epoch_ids();
    const bool exists = std::any_of(ids.begin(), ids.end(), [&](const std::string& id) {
      absl::StatusOr<std::string> norm = client::ParseId(id, "epoch id");
      return norm.ok() && *norm == epoch_id;
    });
    (exists ? have : missing).push_back(cluster.PartyName(r.index));
  }
  if (!force && missing.empty()) {
    std::cout << "kms-init: the PRSS of epoch " << epoch_id << " already exists on all " << n
              << " parties; nothing changed (use --force to re-create it)" << std::endl;
    return 0;
  }
  if (!force && !have.empty()) {
    std::cerr << "kms-init: the PRSS of epoch " << epoch_id << " exists on "
              << absl::StrJoin(have, ", ") << " but not on " << absl::StrJoin(missing, ", ")
              << "; re-run with --force to re-create it on all parties\n";
    return 1;
  }

  // 3. Create it everywhere.
  std::cout << "kms-init: " << (force ? "re-creating" : "creating") << " the PRSS of epoch "
            << epoch_id << " on " << n << " parties" << std::endl;
  const auto start = std::chrono::steady_clock::now();
  auto results = cluster.NewEpoch(epoch_id, force, std::chrono::seconds(timeout_secs));
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  size_t failed = 0;
  for (const auto& r : results) {
    if (r.value.ok()) {
      std::cout << "  " << cluster.PartyName(r.index) << ": "
                << (r.value->created() ? "created" : "already present")
                << " (n = " << r.value->num_parties() << ", t = " << r.value->threshold() << ") in "
                << client::FormatDuration(r.elapsed);
      if (r.value->corrupt_parties_size() > 0) {
        std::cout << ", parties caught cheating or missing: "
                  << absl::StrJoin(r.value->corrupt_parties(), ", ");
      }
      std::cout << "\n";
    } else {
      ++failed;
      std::cout << "  " << cluster.PartyName(r.index) << ": FAILED: " << r.value.status().message()
                << "\n";
    }
  }
  if (failed > 0) {
    std::cerr << "kms-init: PRSS setup failed on " << failed << " of " << n << " parties after "
              << client::FormatDuration(elapsed) << "\n";
    return 1;
  }
  std::cout << "kms-init: PRSS of epoch " << epoch_id << " ready on all " << n << " parties in "
            << client::FormatDuration(elapsed) << std::endl;
  return 0;
}

}  // namespace
}  // namespace kms::tools

int main(int argc, char** argv) { return kms::tools::Run(argc, argv); }
