// File: tools/kms_health_check.cc
//
// kms-health-check (service-spec §7): checks a party's configuration with the server's own loader
// and a running party through its client port, and prints a report (client/health_report.h).
//
//   kms-health-check config --file config.toml
//   kms-health-check live --endpoint localhost:50100
//   kms-health-check full --config config.toml --endpoint localhost:50100
//   kms-health-check sanitize --file config.toml     (a copy without secrets, for diagnostics)
//   options: --format text|json, --health-config health-check.toml
//
// Exit codes: 0 optimal or healthy (config: valid), 1 degraded (config: invalid), 2 unhealthy or
// unreachable, 3 the tool could not run (bad arguments, unreadable file).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/config_sanitizer.h"
#include "client/core_client.h"
#include "client/health_check_options.h"
#include "client/health_report.h"
#include "client/typed_encryption.h"
#include "service/config.h"
#include "tools/tls_flags.h"

namespace kms::tools {
namespace {

constexpr int kExitCouldNotRun = 3;

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// 3 unless the file exists and can be read (so an invalid file is told apart from a missing one).
std::optional<std::string> UnreadableReason(const std::string& path) {
  absl::StatusOr<std::string> bytes = client::ReadFileBytes(path);
  if (!bytes.ok()) return std::string(bytes.status().message());
  return std::nullopt;
}

client::ConfigSection CheckConfig(const std::string& path) {
  client::ConfigSection section;
  section.file = path;
  service::ProcessEnvironment env;
  service::ConfigLoadResult loaded = service::LoadConfigWithProblems(path, env);
  section.valid = loaded.ok();
  for (const service::ConfigProblem& p : loaded.problems) section.problems.push_back(p.ToString());
  if (!section.valid) return section;
  const service::ServerConfig& c = loaded.config;
  section.description = service::DescribeConfig(c);
  section.threshold_mode = !c.centralized();
  if (c.threshold.has_value()) {
    section.my_id = c.threshold->my_id;
    section.num_parties = static_cast<uint32_t>(c.threshold->num_parties());
    section.threshold = c.threshold->threshold;
    for (const service::PeerConfig& peer : c.threshold->peers) {
      section.peers.push_back(absl::StrCat(
          "party ", peer.party_id, ": ", peer.address, ":", peer.port, " (identity ",
          peer.mpc_identity, ")", peer.party_id == c.threshold->my_id ? " this party" : ""));
    }
  }
  return section;
}

client::LiveSection CheckLive(const std::string& endpoint,
                              const client::HealthCheckTimeouts& timeouts,
                              const std::optional<client::ClientTls>& tls) {
  client::LiveSection live;
  live.endpoint = endpoint;
  live.transport = !tls.has_value()        ? "plaintext (no TLS)"
                   : tls->cert_pem.empty() ? "TLS, no client certificate"
                                           : "TLS with a client certificate";
  client::ClientOptions options;
  options.tls = tls;
  options.connect_timeout = std::chrono::seconds(timeouts.connection_timeout_secs);
  options.request_timeout = std::chrono::seconds(timeouts.request_timeout_secs);
  absl::StatusOr<std::unique_ptr<client::CoreClient>> created =
      client::CoreClient::Create(endpoint, options);
  if (!created.ok()) {
    live.connect_error = std::string(created.status().message());
    return live;
  }
  client::CoreClient& c = **created;
  live.endpoint = c.address();
  auto start = std::chrono::steady_clock::now();
  absl::Status connected = c.Connect();
  live.connect_ms = MsSince(start);
  if (!connected.ok()) {
    live.connect_error = std::string(connected.message());
    return live;
  }
  live.reachable = true;
  start = std::chrono::steady_clock::now();
  absl::StatusOr<v1::HealthStatusResponse> health = c.GetHealthStatus();
  live.health_ms = MsSince(start);
  if (health.ok()) {
    live.health = *std::move(health);
  } else {
    live.health_error = std::string(health.status().message());
  }
  start = std::chrono::steady_clock::now();
  absl::StatusOr<v1::OperatorPublicKeyResponse> key = c.GetOperatorPublicKey();
  live.operator_key_ms = MsSince(start);
  if (key.ok()) {
    live.operator_key = *std::move(key);
  } else {
    live.operator_key_error = std::string(key.status().message());
  }
  return live;
}

int Run(int argc, char** argv) {
  CLI::App app{
      "kms-health-check: checks a KMS party's configuration and its running service.\n"
      "Exit codes: 0 optimal/healthy/valid, 1 degraded/invalid config, 2 unhealthy/unreachable, "
      "3 could not run."};
  app.fallthrough();
  app.require_subcommand(1);
  std::string format = "text";
  std::string health_config;
  app.add_option("--format", format, "Output format: text or json")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("--health-config", health_config,
                 "health-check.toml with connection_timeout_secs and request_timeout_secs");

  std::string config_file;
  std::string endpoint = "localhost:50100";
  CLI::App* config_cmd = app.add_subcommand("config", "Validate a server configuration file");
  config_cmd->add_option("--file,-f", config_file, "The kms-server config.toml")->required();
  CLI::App* live_cmd = app.add_subcommand("live", "Check a running party over its client port");
  live_cmd->add_option("--endpoint,-e", endpoint, "host:port of the client port")
      ->capture_default_str();
  CLI::App* full_cmd = app.add_subcommand("full", "config and live together");
  full_cmd->add_option("--config,-c,--file", config_file, "The kms-server config.toml")->required();
  full_cmd->add_option("--endpoint,-e", endpoint, "host:port of the client port")
      ->capture_default_str();
  client::ClientTlsFiles tls_files;
  AddTlsFlags(live_cmd, &tls_files);
  AddTlsFlags(full_cmd, &tls_files);
  std::string sanitize_file;
  CLI::App* sanitize_cmd = app.add_subcommand(
      "sanitize", "Print a copy of a configuration with secrets replaced by [REDACTED]");
  sanitize_cmd->add_option("--file,-f", sanitize_file, "The kms-server config.toml")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitCouldNotRun;
  }

  if (sanitize_cmd->parsed()) {
    absl::StatusOr<std::string> text = client::ReadFileBytes(sanitize_file);
    if (!text.ok()) {
      std::cerr << "kms-health-check: " << text.status().message() << "\n";
      return kExitCouldNotRun;
    }
    absl::StatusOr<std::string> sanitized = client::SanitizeConfigToml(*text);
    if (!sanitized.ok()) {
      std::cerr << "kms-health-check: " << sanitize_file << ": " << sanitized.status().message()
                << "\n";
      return 1;
    }
    std::cout << *sanitized;
    return 0;
  }

  auto getenv_lookup = [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
  absl::StatusOr<client::HealthCheckTimeouts> timeouts = client::LoadHealthCheckTimeouts(
      health_config.empty() ? std::nullopt : std::optional<std::string>(health_config),
      getenv_lookup);
  if (!timeouts.ok()) {
    std::cerr << "kms-health-check: " << timeouts.status().message() << "\n";
    return kExitCouldNotRun;
  }

  client::HealthReport report;
  if (config_cmd->parsed() || full_cmd->parsed()) {
    if (std::optional<std::string> why = UnreadableReason(config_file)) {
      std::cerr << "kms-health-check: cannot read the configuration: " << *why << "\n";
      return kExitCouldNotRun;
    }
    report.config = CheckConfig(config_file);
  }
  if (live_cmd->parsed() || full_cmd->parsed()) {
    absl::StatusOr<std::optional<client::ClientTls>> tls =
        client::LoadClientTls(client::ChooseClientTlsFiles(tls_files));
    if (!tls.ok()) {
      std::cerr << "kms-health-check: " << tls.status().message() << "\n";
      return kExitCouldNotRun;
    }
    report.live = CheckLive(endpoint, *timeouts, *tls);
  }
  if (format == "json") {
    std::cout << client::FormatJson(report) << "\n";
  } else {
    std::cout << client::FormatText(report);
  }
  std::cout.flush();
  return client::ExitCode(report);
}

}  // namespace
}  // namespace kms::tools

int main(int argc, char** argv) { return kms::tools::Run(argc, argv); }
