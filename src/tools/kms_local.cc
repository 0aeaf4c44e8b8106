// File: tools/kms_local.cc
//
// kms-local: an n-party threshold KMS on this machine (client/local_cluster.h).
//
//   kms-local up [--parties 4] [--threshold t] [--dir ./kms-local] [--params test|default]
//                [--insecure] [--round-timeout S] [--decryption-timeout S] [--port-offset K]
//                [--bin-dir B] [--no-init] [--fresh]
//   kms-local status [--dir D] [--format text|json]
//   kms-local stop PARTY [--kill] [--dir D]
//   kms-local start PARTY [--dir D]
//   kms-local down [--kill] [--dir D]
//
// Exit codes: 0 done (status: every party running), 1 failed (status: some party stopped),
// 2 bad arguments.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/str_format.h"
#include "client/local_cluster.h"

namespace kms::tools {
namespace {

int Fail(const absl::Status& status) {
  std::cerr << "kms-local: " << status.message() << "\n";
  return 1;
}

int RunStatus(const client::LocalCluster& cluster, const std::string& format) {
  const std::vector<client::LocalPartyStatus> status = cluster.Status();
  bool all_running = true;
  if (format == "json") {
    nlohmann::json j;
    j["dir"] = cluster.state().dir;
    j["threshold"] = cluster.state().threshold;
    j["params"] = cluster.state().params;
    j["parties"] = nlohmann::json::array();
    for (const auto& s : status) {
      all_running = all_running && s.running;
      j["parties"].push_back({{"id", s.party.id},
                              {"running", s.running},
                              {"pid", s.party.pid},
                              {"client_port", s.party.client_port},
                              {"peer_port", s.party.peer_port},
                              {"metrics_port", s.party.metrics_port},
                              {"health_http_code", s.http_code},
                              {"health_status", s.health_status},
                              {"log", s.party.log}});
    }
    std::cout << j.dump(2) << "\n";
    return all_running ? 0 : 1;
  }
  std::cout << "kms-local: " << status.size() << " parties (t = " << cluster.state().threshold
            << ", parameters " << cluster.state().params << ") in " << cluster.state().dir << "\n";
  std::cout << absl::StrFormat("%-6s %-8s %-9s %-16s %-16s %-15s %s\n", "party", "pid", "state",
                               "client", "peer", "metrics", "/health");
  for (const auto& s : status) {
    all_running = all_running && s.running;
    const std::string health =
        s.http_code == 0
            ? "-"
            : absl::StrFormat("%d %s", s.http_code, s.health_status.empty() ? "" : s.health_status);
    std::cout << absl::StrFormat("%-6d %-8s %-9s %-16s %-16s %-15s %s\n", s.party.id,
                                 s.running ? std::to_string(s.party.pid) : "-",
                                 s.running ? "running" : "stopped",
                                 absl::StrFormat("127.0.0.1:%d", s.party.client_port),
                                 absl::StrFormat("127.0.0.1:%d", s.party.peer_port),
                                 absl::StrFormat("127.0.0.1:%d", s.party.metrics_port), health);
  }
  return all_running ? 0 : 1;
}

int Run(int argc, char** argv) {
  CLI::App app{"kms-local: an n-party threshold KMS on this machine"};
  app.fallthrough();
  app.require_subcommand(1);
  std::string dir = "./kms-local";
  app.add_option("--dir,-d", dir, "Cluster folder")->capture_default_str();

  client::LocalClusterOptions options;
  uint32_t threshold = 0;
  int round_timeout = 20;
  int decryption_timeout = 60;
  int start_timeout = 120;
  bool no_init = false;
  CLI::App* up = app.add_subcommand("up", "Create (or restart) and start a cluster");
  up->add_option("--parties,-n", options.parties, "Number of parties")
      ->check(CLI::Range(1, 15))
      ->capture_default_str();
  CLI::Option* t_opt = up->add_option("--threshold,-t", threshold, "t (default floor((n-1)/3))");
  up->add_option("--params", options.params, "FHE parameters: test or default")
      ->check(CLI::IsMember({"test", "default"}))
      ->capture_default_str();
  up->add_flag("--insecure", options.insecure, "Allow insecure (dealer) key generation");
  up->add_option("--round-timeout", round_timeout, "Seconds per protocol round")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  up->add_option("--decryption-timeout", decryption_timeout, "Seconds a decryption may take")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  up->add_option("--start-timeout", start_timeout, "Seconds to wait for each server")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  up->add_option("--port-offset", options.port_offset, "Added to every port")
      ->check(CLI::Range(-9000, 10000));
  up->add_option("--bin-dir", options.bin_dir, "Folder of kms-server, kms-gen-keys, kms-init");
  up->add_flag("--no-init", no_init, "Do not run kms-init");
  up->add_flag("--fresh", options.fresh, "Replace a stopped cluster in the folder");
  up->add_flag("--plaintext", options.plaintext,
               "No TLS on the client ports: every caller holds every role (development)");

  std::string format = "text";
  CLI::App* status = app.add_subcommand("status", "Per party: pid, ports, /health");
  status->add_option("--format", format, "text or json")->check(CLI::IsMember({"text", "json"}));

  uint32_t party = 0;
  bool kill = false;
  int wait_secs = 30;
  CLI::App* stop = app.add_subcommand("stop", "Stop one party (SIGTERM, or SIGKILL with --kill)");
  stop->add_option("party", party, "Party id")->required();
  stop->add_flag("--kill", kill, "SIGKILL instead of SIGTERM");
  stop->add_option("--wait", wait_secs, "Seconds to wait before SIGKILL")->capture_default_str();
  CLI::App* start = app.add_subcommand("start", "Start one stopped party");
  start->add_option("party", party, "Party id")->required();
  start->add_option("--wait", wait_secs, "Seconds to wait until it serves")->capture_default_str();
  CLI::App* down = app.add_subcommand("down", "Stop every party");
  down->add_flag("--kill", kill, "SIGKILL instead of SIGTERM");
  down->add_option("--wait", wait_secs, "Seconds to wait before SIGKILL")->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }

  if (up->parsed()) {
    options.dir = dir;
    if (t_opt->count() > 0) options.threshold = threshold;
    options.round_timeout_secs = static_cast<uint32_t>(round_timeout);
    options.decryption_timeout_secs = static_cast<uint32_t>(decryption_timeout);
    options.start_timeout = std::chrono::seconds(start_timeout);
    options.run_init = !no_init;
    absl::StatusOr<client::LocalCluster> cluster = client::LocalCluster::Up(options, std::cout);
    if (!cluster.ok()) return Fail(cluster.status());
    return 0;
  }
  absl::StatusOr<client::LocalCluster> cluster = client::LocalCluster::Open(dir);
  if (!cluster.ok()) return Fail(cluster.status());
  const auto wait = std::chrono::seconds(wait_secs);
  if (status->parsed()) return RunStatus(*cluster, format);
  absl::Status result;
  if (stop->parsed()) result = cluster->Stop(party, kill, wait, std::cout);
  if (start->parsed()) result = cluster->Start(party, wait, std::cout);
  if (down->parsed()) result = cluster->Down(kill, wait, std::cout);
  return result.ok() ? 0 : Fail(result);
}

}  // namespace
}  // namespace kms::tools

int main(int argc, char** argv) { return kms::tools::Run(argc, argv); }
