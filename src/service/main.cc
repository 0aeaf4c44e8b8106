// File: service/main.cc
//
// kms-server --config-file F: one KMS party (threshold mode) or the whole KMS (centralized mode);
// see service/kms_server.h for the boot sequence and docs/server.md for operation.
//
// Signals: SIGTERM and SIGINT are blocked in every thread and taken by the main thread with
// sigwait. The first one starts a graceful shutdown (health NOT_SERVING, no new requests, running
// work finishes or is abandoned within kShutdownBound) and the process exits 0; a second one
// exits at once with status 1.
//
// Exit codes: 0 clean shutdown; 1 start-up refused (bad configuration, storage verification,
// missing signing key, port in use) or a second signal.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "absl/strings/str_cat.h"
#include "service/config.h"
#include "service/kms_server.h"
#include "service/logging.h"

namespace {

constexpr std::chrono::seconds kShutdownBound{10};

const char* SignalName(int sig) { return sig == SIGTERM ? "SIGTERM" : "SIGINT"; }

}  // namespace

int main(int argc, char** argv) {
  using namespace kms::service;
  CLI::App app{"kms-server: a party of the threshold KMS (or the centralized KMS)"};
  std::string config_file;
  app.add_option("--config-file,-c", config_file, "TOML configuration file")->required();
  app.set_version_flag("--version", std::string(KmsVersion()));
  CLI11_PARSE(app, argc, argv);

  // Block the shutdown signals before any thread exists, so every thread inherits the mask and
  // only sigwait below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A peer closing a connection must not kill the process.
  signal(SIGPIPE, SIG_IGN);

  ProcessEnvironment env;
  absl::StatusOr<ServerConfig> config = LoadConfig(config_file, env);
  if (!config.ok()) {
    LogError("config", std::string(config.status().message()));
    return 1;
  }
  InitLogging(config->telemetry.log_format, config->telemetry.log_level);
  LogInfo("server", absl::StrCat("kms-server ", KmsVersion(), " starting with ", config_file, " (",
                                 config->centralized() ? "centralized" : "threshold", " mode)"));

  absl::StatusOr<std::unique_ptr<KmsServer>> server = KmsServer::Start(*config, config_file);
  if (!server.ok()) {
    LogError("boot", absl::StrCat("refusing to start: ", server.status().message()));
    return 1;
  }

  int sig = 0;
  sigwait(&signals, &sig);
  LogInfo("server", absl::StrCat("received ", SignalName(sig),
                                 ": shutting down (a second signal "
                                 "exits at once)"));
  std::atomic<bool> done{false};
  std::atomic<bool> drained{true};
  std::thread shutdown([&] {
    drained = (*server)->Shutdown(kShutdownBound);
    done = true;
  });
  const timespec poll{0, 100 * 1000 * 1000};
  while (!done) {
    siginfo_t info;
    if (sigtimedwait(&signals, &info, &poll) > 0) {
      LogWarn("server",
              absl::StrCat("second signal (", SignalName(info.si_signo), "): exiting at once"));
      std::_Exit(1);
    }
  }
  shutdown.join();
  if (!drained) {
    // Work that did not end within the bound is abandoned; every stored object is written
    // atomically, so storage holds either the old or the new version of each.
    std::fflush(nullptr);
    std::_Exit(0);
  }
  server->reset();
  return 0;
}
