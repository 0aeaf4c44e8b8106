#include "client/local_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/absl_compat_internal.h"
#include "client/client_config.h"
#include "client/core_client.h"
#include "client/typed_encryption.h"
#include "common/status_macros.h"

namespace kms::client {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kClientPortBase = 50100;
constexpr int kPeerPortBase = 50001;
constexpr int kMetricsPortBase = 9646;
constexpr uint32_t kMaxParties = 15;

std::string Identity(uint32_t id) { return absl::StrCat("party", id, ".kms.local"); }

std::string StateFile(const std::string& dir) { return (fs::path(dir) / "cluster.json").string(); }

// The last `lines` lines of a log, for start-up failures.
std::string Tail(const std::string& path, size_t lines) {
  std::ifstream in(path);
  std::deque<std::string> last;
  std::string line;
  while (std::getline(in, line)) {
    last.push_back(line);
    if (last.size() > lines) last.pop_front();
  }
  std::string out;
  for (const std::string& l : last) absl::StrAppend(&out, "    ", l, "\n");
  return out;
}

// /proc/<pid>/cmdline with NULs as spaces; "" when the process is gone.
std::string CmdLine(int pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/cmdline"), std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (char& c : s) {
    if (c == '\0') c = ' ';
  }
  return s;
}

// Alive and not a zombie. Reaps our own exited children on the way.
bool ProcessAlive(int pid) {
  if (pid <= 0) return false;
  int status = 0;
  if (waitpid(pid, &status, WNOHANG) == pid) return false;
  if (kill(pid, 0) != 0) return false;
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const size_t close = content.rfind(')');
  if (close != std::string::npos && close + 2 < content.size() && content[close + 2] == 'Z') {
    return false;
  }
  return true;
}

// The process `pid` is the kms-server of this party (not a recycled pid).
bool IsPartyServer(const LocalParty& party) {
  if (!ProcessAlive(party.pid)) return false;
  const std::string cmd = CmdLine(party.pid);
  return cmd.find("kms-server") != std::string::npos && cmd.find(party.config) != std::string::npos;
}

absl::StatusOr<std::string> FindBinary(const std::string& name, const std::string& bin_dir) {
  std::vector<fs::path> candidates;
  if (!bin_dir.empty()) candidates.push_back(fs::path(bin_dir) / name);
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) candidates.push_back(self.parent_path() / name);
  if (const char* path = std::getenv("PATH")) {
    std::stringstream ss(path);
    std::string dir;
    while (std::getline(ss, dir, ':')) {
      if (!dir.empty()) candidates.push_back(fs::path(dir) / name);
    }
  }
  for (const fs::path& c : candidates) {
    if (access(c.c_str(), X_OK) == 0) return fs::absolute(c).string();
  }
  return absl::NotFoundError(absl::StrCat(
      name, " not found (looked in ", bin_dir.empty() ? "" : bin_dir + ", ",
      self.parent_path().string(), " and PATH); build it (ninja ", name, ") or pass --bin-dir"));
}

// Runs `argv` to completion with stdout/stderr to `log` (or inherited when empty).
absl::StatusOr<int> RunAndWait(const std::vector<std::string>& argv, const std::string& log) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  if (pid == 0) {
    if (!log.empty()) {
      const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
    }
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return absl::InternalError(absl::StrCat("waitpid: ", std::strerror(errno)));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

// GET /health on 127.0.0.1:port: (HTTP code, body). Code 0 when nothing answers.
std::pair<int, std::string> HttpGetHealth(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {0, ""};
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return {0, ""};
  }
  const std::string request = "GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) < 0) {
    close(fd);
    return {0, ""};
  }
  std::string response;
  char buf[4096];
  ssize_t got;
  while ((got = recv(fd, buf, sizeof(buf), 0)) > 0 && response.size() < (1 << 20)) {
    response.append(buf, static_cast<size_t>(got));
  }
  close(fd);
  int code = 0;
  if (response.rfind("HTTP/", 0) == 0) {
    const size_t space = response.find(' ');
    if (space != std::string::npos) code = std::atoi(response.c_str() + space + 1);
  }
  const size_t body = response.find("\r\n\r\n");
  return {code, body == std::string::npos ? "" : response.substr(body + 4)};
}

// The "status" field of a /health body (the HealthStatusResponse as JSON), if any.
std::string StatusFromHealthBody(const std::string& body) {
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return "";
  for (const char* key : {"status", "overall_status"}) {
    if (j.contains(key) && j[key].is_string()) {
      std::string s = j[key].get<std::string>();
      const std::string prefix = "HEALTH_STATUS_";
      if (s.rfind(prefix, 0) == 0) s = s.substr(prefix.size());
      return s;
    }
  }
  return "";
}

absl::StatusOr<std::string> ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::UnavailableError(absl::StrCat("cannot read ", path.string()));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::Status WriteText(const fs::path& path, const std::string& text) {
  return WriteFileBytes(path.string(), text);
}

}  // namespace

std::string LocalParty::client_endpoint() const { return absl::StrCat("127.0.0.1:", client_port); }

uint32_t DefaultThreshold(uint32_t n) { return n == 0 ? 0 : (n - 1) / 3; }

absl::StatusOr<LocalParty> PartyPorts(uint32_t id, int port_offset) {
  LocalParty p;
  p.id = id;
  const int client = kClientPortBase + 100 * static_cast<int>(id - 1) + port_offset;
  const int peer = kPeerPortBase + static_cast<int>(id - 1) + port_offset;
  const int metrics = kMetricsPortBase + static_cast<int>(id - 1) + port_offset;
  for (int port : {client, peer, metrics}) {
    if (port < 1 || port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("party ", id, ": port ", port, " outside 1..65535 (check --port-offset)"));
    }
  }
  p.client_port = static_cast<uint16_t>(client);
  p.peer_port = static_cast<uint16_t>(peer);
  p.metrics_port = static_cast<uint16_t>(metrics);
  return p;
}

std::string PartyConfigToml(const LocalClusterOptions& options, uint32_t n, uint32_t t,
                            uint32_t id) {
  const LocalParty me = *PartyPorts(id, options.port_offset);
  std::string out = absl::StrCat(
      "# kms-local: party ", id, " of ", n, " (generated; paths are relative to this file)\n",
      "[service]\nlisten_address = \"127.0.0.1\"\nlisten_port = ", me.client_port, "\n",
      options.params == "test"
          ? "# the \"test\" parameter set is insecure (n = 512): the server refuses it without\n"
            "allow_insecure_parameters = true\n"
          : "",
      options.plaintext ? ""
                        : absl::StrCat("\n[service.tls]\ncert = \"../certs/client_port_p", id,
                                       ".pem\"\nkey = \"../certs/client_port_key_p", id,
                                       ".pem\"\n\n# the tools' identity (kms-gen-keys --caller)\n"
                                       "[[service.callers]]\nname = \"",
                                       kLocalOperator, "\"\ncert = \"../certs/", kLocalOperator,
                                       ".pem\"\nroles = [\"admin\", \"decrypt\", \"read\"]\n"),
      "\n", "[public_vault.storage.file]\npath = \"../keys\"\nprefix = \"PUB-p", id, "\"\n\n",
      "[private_vault.storage.file]\npath = \"../keys\"\nprefix = \"PRIV-p", id, "\"\n\n",
      "[threshold]\nlisten_address = \"127.0.0.1\"\nlisten_port = ", me.peer_port, "\nmy_id = ", id,
      "\nthreshold = ", t, "\nfhe_parameter = \"", options.params, "\"\n",
      "insecure = ", options.insecure ? "true" : "false", "\n",
      "round_timeout_secs = ", options.round_timeout_secs, "\n",
      "decryption_timeout_secs = ", options.decryption_timeout_secs, "\n\n",
      "[threshold.tls]\ncert = \"../certs/cert_p", id, ".pem\"\nkey = \"../certs/key_p", id,
      ".pem\"\n");
  for (uint32_t j = 1; j <= n; ++j) {
    const LocalParty peer = *PartyPorts(j, options.port_offset);
    absl::StrAppend(&out, "\n[[threshold.peers]]\nparty_id = ", j,
                    "\naddress = \"127.0.0.1\"\nport = ", peer.peer_port, "\nmpc_identity = \"",
                    Identity(j), "\"\ntls_cert = \"../certs/cert_p", j, ".pem\"\n");
  }
  absl::StrAppend(&out, "\n[telemetry]\nmetrics_bind_address = \"127.0.0.1:", me.metrics_port,
                  "\"\nlog_format = \"text\"\n");
  return out;
}

std::string StateToJson(const LocalClusterState& state) {
  nlohmann::json j;
  j["dir"] = state.dir;
  j["num_parties"] = state.parties.size();
  j["threshold"] = state.threshold;
  j["params"] = state.params;
  j["insecure"] = state.insecure;
  j["port_offset"] = state.port_offset;
  j["bin_dir"] = state.bin_dir;
  j["tls"] = state.tls;
  nlohmann::json parties = nlohmann::json::array();
  for (const LocalParty& p : state.parties) {
    parties.push_back({{"id", p.id},
                       {"pid", p.pid},
                       {"client_port", p.client_port},
                       {"peer_port", p.peer_port},
                       {"metrics_port", p.metrics_port},
                       {"config", p.config},
                       {"log", p.log}});
  }
  j["parties"] = parties;
  return j.dump(2) + "\n";
}

absl::StatusOr<LocalClusterState> StateFromJson(std::string_view json) {
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return absl::InvalidArgumentError("cluster.json: not a JSON object");
  LocalClusterState s;
  try {
    s.dir = j.at("dir").get<std::string>();
    s.threshold = j.at("threshold").get<uint32_t>();
    s.params = j.at("params").get<std::string>();
    s.insecure = j.value("insecure", false);
    s.port_offset = j.value("port_offset", 0);
    s.bin_dir = j.value("bin_dir", std::string());
    s.tls = j.value("tls", false);
    const nlohmann::json& parties = j.at("parties");
    if (!parties.is_array() || parties.empty() || parties.size() > kMaxParties) {
      return absl::InvalidArgumentError("cluster.json: parties: expected 1..15 entries");
    }
    for (size_t i = 0; i < parties.size(); ++i) {
      LocalParty p;
      const nlohmann::json& e = parties[i];
      p.id = e.at("id").get<uint32_t>();
      if (p.id != i + 1) {
        return absl::InvalidArgumentError(
            absl::StrCat("cluster.json: parties[", i, "].id: expected ", i + 1));
      }
      p.pid = e.at("pid").get<int>();
      p.client_port = e.at("client_port").get<uint16_t>();
      p.peer_port = e.at("peer_port").get<uint16_t>();
      p.metrics_port = e.at("metrics_port").get<uint16_t>();
      p.config = e.at("config").get<std::string>();
      p.log = e.at("log").get<std::string>();
      s.parties.push_back(std::move(p));
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("cluster.json: ", e.what()));
  }
  return s;
}

absl::Status CheckPortFree(uint16_t port, std::string_view what) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  // Without SO_REUSEADDR a port in TIME_WAIT would look taken; the servers set it too.
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  const int err = errno;
  close(fd);
  if (!ok) {
    return absl::FailedPreconditionError(
        absl::StrCat("port ", port, " (", Av(what), ") is already in use",
                     err == EADDRINUSE ? "" : absl::StrCat(": ", std::strerror(err)),
                     "; stop what uses it (ss -tlnp | grep ", port, ") or pass --port-offset"));
  }
  return absl::OkStatus();
}

// A killed server's main thread turns zombie (ProcessAlive: false) before its other threads,
// which share its file table, have closed its sockets; a start right after would find the ports
// taken. Waits up to `wait` until the ports can be bound again.
void WaitPortsReleased(const LocalParty& p, std::chrono::seconds wait) {
  const auto deadline = Clock::now() + wait;
  auto released = [&p] {
    return CheckPortFree(p.client_port, "client port").ok() &&
           CheckPortFree(p.peer_port, "peer port").ok() &&
           CheckPortFree(p.metrics_port, "metrics port").ok();
  };
  while (!released() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

absl::StatusOr<LocalCluster> LocalCluster::Open(const std::string& dir) {
  const std::string file = StateFile(dir);
  absl::StatusOr<std::string> text = ReadFileBytes(file);
  if (!text.ok()) {
    if (text.status().code() == absl::StatusCode::kNotFound) {
      return absl::NotFoundError(absl::StrCat("no kms-local cluster in ", dir,
                                              " (no cluster.json); start one with kms-local up"));
    }
    return text.status();
  }
  KMS_ASSIGN_OR_RETURN(LocalClusterState state, StateFromJson(*text));
  return LocalCluster(std::move(state));
}

absl::Status LocalCluster::Save() const {
  const fs::path file = StateFile(state_.dir);
  const fs::path tmp = absl::StrCat(file.string(), ".tmp.", getpid());
  KMS_RETURN_IF_ERROR(WriteText(tmp, StateToJson(state_)));
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec)
    return absl::UnavailableError(absl::StrCat("cannot write ", file.string(), ": ", ec.message()));
  return absl::OkStatus();
}

absl::Status LocalCluster::SavePid(const LocalParty& party) const {
  const std::string lock_path = (fs::path(state_.dir) / "cluster.lock").string();
  const int lock = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open ", lock_path, ": ", std::strerror(errno)));
  }
  flock(lock, LOCK_EX);
  absl::Status result = [&]() -> absl::Status {
    KMS_ASSIGN_OR_RETURN(std::string text, ReadFileBytes(StateFile(state_.dir)));
    KMS_ASSIGN_OR_RETURN(LocalClusterState current, StateFromJson(text));
    if (party.id < 1 || party.id > current.parties.size()) {
      return absl::FailedPreconditionError("cluster.json changed under kms-local");
    }
    current.parties[party.id - 1].pid = party.pid;
    return LocalCluster(std::move(current)).Save();
  }();
  flock(lock, LOCK_UN);
  close(lock);
  return result;
}

absl::Status LocalCluster::Spawn(LocalParty& party) {
  if (IsPartyServer(party)) {
    return absl::AlreadyExistsError(
        absl::StrCat("party ", party.id, " already runs (pid ", party.pid, ")"));
  }
  for (auto [port, what] : {std::pair<uint16_t, std::string>{party.client_port, "client port"},
                            {party.peer_port, "peer port"},
                            {party.metrics_port, "metrics port"}}) {
    KMS_RETURN_IF_ERROR(CheckPortFree(port, absl::StrCat("party ", party.id, " ", what)));
  }
  KMS_ASSIGN_OR_RETURN(std::string server, FindBinary("kms-server", state_.bin_dir));
  std::vector<std::string> argv = {server, "--config-file", party.config};
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  const std::string log = party.log;
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  if (pid == 0) {
    // Own session: the server outlives kms-local and ignores the terminal's Ctrl-C.
    setsid();
    const int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, 0);
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    for (int i = 3; i < 1024; ++i) close(i);
    execv(args[0], args.data());
    _exit(127);
  }
  party.pid = pid;
  return SavePid(party);
}

ClientTlsFiles LocalClusterTlsFiles(const std::string& dir) {
  const fs::path certs = fs::path(dir) / "certs";
  return ClientTlsFiles{(certs / "client-ports.pem").string(),
                        (certs / absl::StrCat(kLocalOperator, ".pem")).string(),
                        (certs / absl::StrCat(kLocalOperator, ".key")).string()};
}

absl::Status LocalCluster::WaitServing(const LocalParty& party, std::chrono::seconds wait) const {
  const Clock::time_point deadline = Clock::now() + wait;
  ClientOptions options;
  if (state_.tls) {
    KMS_ASSIGN_OR_RETURN(options.tls, LoadClientTls(LocalClusterTlsFiles(state_.dir)));
  }
  options.connect_timeout = std::chrono::milliseconds(1000);
  options.request_timeout = std::chrono::milliseconds(5000);
  KMS_ASSIGN_OR_RETURN(std::unique_ptr<CoreClient> client,
                       CoreClient::Create(party.client_endpoint(), options));
  absl::Status last = absl::UnknownError("not tried");
  while (Clock::now() < deadline) {
    if (!ProcessAlive(party.pid)) {
      return absl::FailedPreconditionError(absl::StrCat("party ", party.id, " (pid ", party.pid,
                                                        ") exited during start-up; last lines of ",
                                                        party.log, ":\n", Tail(party.log, 15)));
    }
    absl::StatusOr<v1::HealthStatusResponse> health = client->GetHealthStatus();
    if (health.ok()) return absl::OkStatus();
    last = health.status();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return absl::DeadlineExceededError(absl::StrCat("party ", party.id, " does not serve on ",
                                                  party.client_endpoint(), " after ", wait.count(),
                                                  " s (", last.message(), "); see ", party.log));
}

absl::StatusOr<LocalCluster> LocalCluster::Up(const LocalClusterOptions& options,
                                              std::ostream& out) {
  const uint32_t n = options.parties;
  if (n < 1 || n > kMaxParties) {
    return absl::InvalidArgumentError(
        absl::StrCat("--parties: expected 1..", kMaxParties, ", got ", n));
  }
  const uint32_t t = options.threshold.value_or(DefaultThreshold(n));
  if (n < 3 * t + 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--threshold: ", n, " parties tolerate at most t = ", DefaultThreshold(n),
                     " (n >= 3t + 1), got ", t));
  }
  if (options.params != "test" && options.params != "default") {
    return absl::InvalidArgumentError("--params: expected test or default");
  }
  std::error_code ec;
  const fs::path dir = fs::absolute(options.dir, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("--dir: ", ec.message()));

  // An existing cluster in the folder: never touched while it runs.
  if (fs::exists(dir / "cluster.json")) {
    absl::StatusOr<LocalCluster> existing = Open(dir.string());
    if (existing.ok()) {
      for (const LocalParty& p : existing->state().parties) {
        if (IsPartyServer(p)) {
          return absl::FailedPreconditionError(absl::StrCat(
              "a kms-local cluster is running in ", dir.string(), " (party ", p.id, ", pid ", p.pid,
              "); stop it first with kms-local down --dir ", options.dir));
        }
      }
      if (!options.fresh &&
          (existing->state().parties.size() != n || existing->state().params != options.params ||
           existing->state().threshold != t)) {
        return absl::FailedPreconditionError(absl::StrCat(
            dir.string(), " holds a stopped cluster of ", existing->state().parties.size(),
            " parties (t = ", existing->state().threshold, ", parameters ",
            existing->state().params, "); use --fresh to replace it or another --dir"));
      }
    }
  }
  if (options.fresh && fs::exists(dir)) {
    out << "kms-local: removing the previous cluster in " << dir.string() << std::endl;
    fs::remove_all(dir, ec);
    if (ec)
      return absl::UnavailableError(
          absl::StrCat("cannot remove ", dir.string(), ": ", ec.message()));
  }

  if (options.params == "test") {
    out << "kms-local: test parameters are insecure (n = 512, for tests and demos): the "
           "configurations set service.allow_insecure_parameters = true"
        << std::endl;
  }
  LocalClusterState state;
  state.dir = dir.string();
  state.threshold = t;
  state.params = options.params;
  state.insecure = options.insecure;
  state.tls = !options.plaintext;
  state.port_offset = options.port_offset;
  state.bin_dir = options.bin_dir;
  for (uint32_t id = 1; id <= n; ++id) {
    KMS_ASSIGN_OR_RETURN(LocalParty p, PartyPorts(id, options.port_offset));
    p.config = (dir / "config" / absl::StrCat("party", id, ".toml")).string();
    p.log = (dir / "logs" / absl::StrCat("party", id, ".log")).string();
    state.parties.push_back(std::move(p));
  }
  // Every port must be free before anything starts.
  for (const LocalParty& p : state.parties) {
    KMS_RETURN_IF_ERROR(CheckPortFree(p.client_port, absl::StrCat("party ", p.id, " client port")));
    KMS_RETURN_IF_ERROR(CheckPortFree(p.peer_port, absl::StrCat("party ", p.id, " peer port")));
    KMS_RETURN_IF_ERROR(
        CheckPortFree(p.metrics_port, absl::StrCat("party ", p.id, " metrics port")));
  }
  KMS_ASSIGN_OR_RETURN(std::string gen_keys, FindBinary("kms-gen-keys", options.bin_dir));
  KMS_ASSIGN_OR_RETURN(std::string init, FindBinary("kms-init", options.bin_dir));
  KMS_RETURN_IF_ERROR(FindBinary("kms-server", options.bin_dir).status());

  for (const char* sub : {"config", "keys", "certs", "logs"}) {
    fs::create_directories(dir / sub, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("cannot create ", (dir / sub).string(), ": ", ec.message()));
    }
  }
  out << "kms-local: " << n << " parties, t = " << t << ", parameters " << options.params << ", in "
      << dir.string() << std::endl;

  // Configurations, then each party's keys and certificate (kms-gen-keys accepts the peers'
  // certificate paths before the files exist).
  const auto keys_start = Clock::now();
  for (const LocalParty& p : state.parties) {
    KMS_RETURN_IF_ERROR(WriteText(p.config, PartyConfigToml(options, n, t, p.id)));
    const fs::path cert = dir / "certs" / absl::StrCat("cert_p", p.id, ".pem");
    const fs::path port_cert = dir / "certs" / absl::StrCat("client_port_p", p.id, ".pem");
    if (fs::exists(cert) && (options.plaintext || fs::exists(port_cert)) &&
        fs::exists(dir / "keys" / absl::StrCat("PRIV-p", p.id) / "SigningKey")) {
      continue;  // a restarted cluster keeps its keys
    }
    const std::string log = (dir / "logs" / absl::StrCat("gen-keys-p", p.id, ".log")).string();
    std::vector<std::string> argv = {gen_keys, "--config-file", p.config};
    if (!options.plaintext) {
      argv.push_back("--client-port-names");
      argv.push_back("localhost,127.0.0.1");
    }
    KMS_ASSIGN_OR_RETURN(int rc, RunAndWait(argv, log));
    if (rc != 0) {
      return absl::FailedPreconditionError(absl::StrCat("kms-gen-keys failed for party ", p.id,
                                                        " (exit ", rc, "):\n", Tail(log, 10)));
    }
  }
  if (!options.plaintext) {
    const ClientTlsFiles files = LocalClusterTlsFiles(dir.string());
    if (!fs::exists(files.cert) || !fs::exists(files.key)) {
      const std::string log = (dir / "logs" / "gen-keys-operator.log").string();
      KMS_ASSIGN_OR_RETURN(int rc, RunAndWait({gen_keys, "--caller", kLocalOperator, "--out-dir",
                                               (dir / "certs").string(), "--force"},
                                              log));
      if (rc != 0) {
        return absl::FailedPreconditionError(
            absl::StrCat("kms-gen-keys --caller failed (exit ", rc, "):\n", Tail(log, 10)));
      }
    }
    std::string bundle;
    for (const LocalParty& p : state.parties) {
      KMS_ASSIGN_OR_RETURN(std::string pem,
                           ReadText(dir / "certs" / absl::StrCat("client_port_p", p.id, ".pem")));
      bundle += pem;
    }
    KMS_RETURN_IF_ERROR(WriteText(files.ca, bundle));
    KMS_RETURN_IF_ERROR(
        WriteText(dir / "tls.env",
                  absl::StrCat("# kms-local: TLS to this cluster's client ports (source it)\n",
                               "export KMS_TLS_CA=", files.ca, "\nexport KMS_TLS_CERT=", files.cert,
                               "\nexport KMS_TLS_KEY=", files.key, "\n")));
  }
  out << "kms-local: keys and certificates ready ("
      << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - keys_start).count()
      << " ms)" << std::endl;

  LocalCluster cluster(std::move(state));
  KMS_RETURN_IF_ERROR(cluster.Save());
  const auto start = Clock::now();
  for (LocalParty& p : cluster.state_.parties) {
    absl::Status spawned = cluster.Spawn(p);
    if (!spawned.ok()) {
      cluster.Down(/*kill=*/true, std::chrono::seconds(5), out).IgnoreError();
      return spawned;
    }
  }
  out << "kms-local: started " << n << " kms-server processes, waiting until they serve"
      << std::endl;
  for (const LocalParty& p : cluster.state_.parties) {
    absl::Status serving = cluster.WaitServing(p, options.start_timeout);
    if (!serving.ok()) {
      cluster.Down(/*kill=*/false, std::chrono::seconds(10), out).IgnoreError();
      return serving;
    }
  }
  out << "kms-local: all " << n << " parties serve ("
      << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count()
      << " ms)" << std::endl;

  ClientConfig client_config;
  client_config.threshold = t;
  client_config.fhe_parameter = options.params;
  if (cluster.state_.tls) client_config.tls = LocalClusterTlsFiles(cluster.state_.dir);
  for (const LocalParty& p : cluster.state_.parties) {
    // Pinned from the vault this tool created, so a key is trusted only when signed by the
    // operators made here, whatever the running processes answer.
    absl::StatusOr<crypto::EthAddress> signer =
        ReadPublishedSigner((dir / "keys" / absl::StrCat("PUB-p", p.id)).string());
    if (!signer.ok()) {
      return absl::Status(signer.status().code(),
                          absl::StrCat("party ", p.id, ": operator address for client.toml: ",
                                       signer.status().message()));
    }
    client_config.parties.push_back({p.id, absl::StrCat("http://", p.client_endpoint()), *signer});
  }
  KMS_RETURN_IF_ERROR(WriteText(dir / "client.toml", ClientConfigToToml(client_config)));

  if (options.run_init) {
    std::vector<std::string> argv = {init};
    if (cluster.state_.tls) {
      const ClientTlsFiles files = LocalClusterTlsFiles(cluster.state_.dir);
      argv.insert(argv.end(),
                  {"--tls-ca", files.ca, "--tls-cert", files.cert, "--tls-key", files.key});
    }
    argv.push_back("--addresses");
    for (const LocalParty& p : cluster.state_.parties) {
      argv.push_back(absl::StrCat("http://", p.client_endpoint()));
    }
    out << "kms-local: running kms-init" << std::endl;
    out.flush();
    KMS_ASSIGN_OR_RETURN(int rc, RunAndWait(argv, ""));
    if (rc != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("kms-init failed (exit ", rc, "); the servers keep running: see ",
                       dir.string(), "/logs, then run kms-init again or kms-local down"));
    }
  }
  out << cluster.Describe();
  return cluster;
}

absl::StatusOr<crypto::EthAddress> ReadPublishedSigner(const std::string& public_vault_dir) {
  const fs::path folder = fs::path(public_vault_dir) / "VerfKey";
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    if (entry.is_regular_file() && entry.path().filename().string()[0] != '.') {
      files.push_back(entry.path());
    }
  }
  if (ec) {
    return absl::NotFoundError(
        absl::StrCat(folder.string(), ": ", ec.message(), " (run kms-gen-keys for this party)"));
  }
  if (files.size() != 1) {
    return absl::DataLossError(
        absl::StrCat(folder.string(), ": expected one verification key, found ", files.size()));
  }
  KMS_ASSIGN_OR_RETURN(std::string bytes, ReadFileBytes(files[0].string()));
  if (bytes.size() != crypto::VerificationKey::kCompressedSize) {
    return absl::DataLossError(
        absl::StrCat(files[0].string(), ": expected a ", crypto::VerificationKey::kCompressedSize,
                     "-byte verification key, got ", bytes.size(), " bytes"));
  }
  absl::StatusOr<crypto::VerificationKey> key = crypto::VerificationKey::Parse(AsBytes(bytes));
  if (!key.ok()) {
    return absl::DataLossError(absl::StrCat(files[0].string(), ": ", key.status().message()));
  }
  const crypto::EthAddress address = key->EthereumAddress();
  // The id of every published object is the lower-case hex address of its key.
  const std::string id = ToHex(address);
  if (files[0].filename().string() != id) {
    return absl::DataLossError(absl::StrCat(files[0].string(), ": holds the key of address ",
                                            crypto::ChecksumAddress(address),
                                            ", not of the address its name says"));
  }
  const fs::path text_file = fs::path(public_vault_dir) / "VerfAddress" / id;
  if (fs::exists(text_file)) {
    KMS_ASSIGN_OR_RETURN(std::string text, ReadFileBytes(text_file.string()));
    absl::StatusOr<crypto::EthAddress> published = crypto::ParseEthAddress(text);
    if (!published.ok() || *published != address) {
      return absl::DataLossError(
          absl::StrCat(text_file.string(), ": not the address of ", files[0].string()));
    }
  }
  return address;
}

std::vector<LocalPartyStatus> LocalCluster::Status() const {
  std::vector<LocalPartyStatus> out;
  for (const LocalParty& p : state_.parties) {
    LocalPartyStatus s;
    s.party = p;
    s.running = IsPartyServer(p);
    if (!s.running) s.party.pid = 0;
    auto [code, body] = HttpGetHealth(p.metrics_port);
    s.http_code = code;
    s.health_status = StatusFromHealthBody(body);
    out.push_back(std::move(s));
  }
  return out;
}

absl::Status LocalCluster::Stop(uint32_t id, bool hard, std::chrono::seconds wait,
                                std::ostream& out) {
  if (id < 1 || id > state_.parties.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no party ", id, " (the cluster has parties 1..", state_.parties.size(), ")"));
  }
  LocalParty& p = state_.parties[id - 1];
  if (!IsPartyServer(p)) {
    out << "kms-local: party " << id << " is not running" << std::endl;
    p.pid = 0;
    return SavePid(p);
  }
  out << "kms-local: " << (hard ? "killing (SIGKILL)" : "stopping (SIGTERM)") << " party " << id
      << " (pid " << p.pid << ")" << std::endl;
  kill(p.pid, hard ? SIGKILL : SIGTERM);
  const Clock::time_point deadline = Clock::now() + wait;
  while (ProcessAlive(p.pid) && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (ProcessAlive(p.pid)) {
    if (hard) return absl::DeadlineExceededError(absl::StrCat("party ", id, " did not exit"));
    out << "kms-local: party " << id << " still running after " << wait.count()
        << " s; sending SIGKILL" << std::endl;
    kill(p.pid, SIGKILL);
    while (ProcessAlive(p.pid)) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  WaitPortsReleased(p, std::chrono::seconds(10));
  p.pid = 0;
  return SavePid(p);
}

absl::Status LocalCluster::Start(uint32_t id, std::chrono::seconds wait, std::ostream& out) {
  if (id < 1 || id > state_.parties.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no party ", id, " (the cluster has parties 1..", state_.parties.size(), ")"));
  }
  LocalParty& p = state_.parties[id - 1];
  if (IsPartyServer(p)) {
    out << "kms-local: party " << id << " already runs (pid " << p.pid << ")" << std::endl;
    return absl::OkStatus();
  }
  KMS_RETURN_IF_ERROR(Spawn(p));
  out << "kms-local: started party " << id << " (pid " << p.pid << "), waiting until it serves"
      << std::endl;
  KMS_RETURN_IF_ERROR(WaitServing(p, wait));
  out << "kms-local: party " << id << " serves on " << p.client_endpoint() << std::endl;
  return absl::OkStatus();
}

absl::Status LocalCluster::Down(bool hard, std::chrono::seconds wait, std::ostream& out) {
  // One signal to every party first, so they drain in parallel (a second SIGTERM would make a
  // server exit at once), then wait for each.
  std::vector<LocalParty*> running;
  for (LocalParty& p : state_.parties) {
    if (IsPartyServer(p)) {
      out << "kms-local: " << (hard ? "killing (SIGKILL)" : "stopping (SIGTERM)") << " party "
          << p.id << " (pid " << p.pid << ")" << std::endl;
      ::kill(p.pid, hard ? SIGKILL : SIGTERM);
      running.push_back(&p);
    } else {
      p.pid = 0;
    }
  }
  const Clock::time_point deadline = Clock::now() + wait;
  for (LocalParty* p : running) {
    while (ProcessAlive(p->pid) && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (ProcessAlive(p->pid)) {
      out << "kms-local: party " << p->id << " still running after " << wait.count()
          << " s; sending SIGKILL" << std::endl;
      ::kill(p->pid, SIGKILL);
      while (ProcessAlive(p->pid)) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    WaitPortsReleased(*p, std::chrono::seconds(10));
    p->pid = 0;
  }
  out << "kms-local: all parties stopped" << std::endl;
  return Save();
}

std::string LocalCluster::Describe() const {
  std::string out =
      absl::StrCat("kms-local: ", state_.parties.size(), " parties (t = ", state_.threshold,
                   ", parameters ", state_.params, ") in ", state_.dir, "\n");
  std::vector<std::string> addresses;
  for (const LocalParty& p : state_.parties) {
    absl::StrAppend(&out, "  party ", p.id, ": client 127.0.0.1:", p.client_port,
                    "  peer 127.0.0.1:", p.peer_port, "  metrics http://127.0.0.1:", p.metrics_port,
                    "  pid ", p.pid, "  log ", p.log, "\n");
    addresses.push_back(absl::StrCat("http://", p.client_endpoint()));
  }
  absl::StrAppend(&out, "client config: ", state_.dir,
                  "/client.toml  (operators' signing addresses pinned; kms-client --config ",
                  state_.dir, "/client.toml keygen)\n");
  if (state_.tls) {
    absl::StrAppend(&out, "client ports: mutual TLS; for the tools: source ", state_.dir,
                    "/tls.env\n");
  } else {
    absl::StrAppend(&out, "client ports: PLAINTEXT, unauthenticated (--plaintext)\n");
  }
  absl::StrAppend(&out, "kms-init --addresses ", absl::StrJoin(addresses, " "), "\n");
  return out;
}

}  // namespace kms::client
