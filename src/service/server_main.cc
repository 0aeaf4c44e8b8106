// File: service/server_main.cc
//
// The whole of kms-server's main (service/main.cc calls it): command line, configuration, boot,
// signals. Exposed so that a test server (tests/e2e) can run the real boot path with
// KmsServer::StartOptions. See server_main.h.
#include "service/server_main.h"

#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "service/config.h"
#include "service/kms_server.h"
#include "service/logging.h"

namespace {

constexpr std::chrono::seconds kShutdownBound{10};

const char* SignalName(int sig) { return sig == SIGTERM ? "SIGTERM" : "SIGINT"; }

}  // namespace

namespace kms::service {

int RunKmsServer(int argc, char** argv, const KmsServer::StartOptions& options) {
  CLI::App app{"kms-server: a party of the threshold KMS (or the centralized KMS)"};
  std::string config_file;
  app.add_option("--config-file,-c", config_file, "TOML configuration file")->required();
  app.set_version_flag("--version", std::string(KmsVersion()));
  CLI11_PARSE(app, argc, argv);

  // Debian's Abseil is built with absl::Mutex's lock-order (deadlock) detection on; gRPC takes
  // such mutexes on every call and message, and the detector's graph cost ~4 % of a party's CPU
  // under decryption load (docs/performance.md). It only reports, so it is off in the server.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

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

  absl::StatusOr<std::unique_ptr<KmsServer>> server =
      KmsServer::Start(*config, config_file, options);
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

}  // namespace kms::service
