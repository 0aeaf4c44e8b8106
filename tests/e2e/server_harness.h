// Test harness for end-to-end tests with real kms-server processes on loopback: temporary
// folders, free ports, configuration files for a centralized server and an n-party threshold
// cluster, child processes (started with fork/exec, killed by pid, never by name; they also die
// with the test process through PR_SET_PDEATHSIG), a tiny HTTP client for the metrics port, gRPC
// stubs, and a storage snapshot to prove that refused requests changed nothing.
#ifndef KMS_TESTS_E2E_SERVER_HARNESS_H_
#define KMS_TESTS_E2E_SERVER_HARNESS_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "crypto/hash.h"
#include "proto/kms_service.grpc.pb.h"

#ifndef KMS_SERVER_BIN
#error "KMS_SERVER_BIN must name the kms-server binary"
#endif
#ifndef KMS_GEN_KEYS_BIN
#error "KMS_GEN_KEYS_BIN must name the kms-gen-keys binary"
#endif

namespace kms::e2e {

using Clock = std::chrono::steady_clock;

inline std::string ServerBinary() { return KMS_SERVER_BIN; }
inline std::string GenKeysBinary() { return KMS_GEN_KEYS_BIN; }

// A fresh folder under $TMPDIR, removed with everything in it at destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/kms-e2e-XXXXXX";
    char* made = ::mkdtemp(tmpl.data());
    path_ = made != nullptr ? made : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A TCP port nobody listens on right now (the kernel's choice for port 0). Ports already handed
// out by this process are never returned twice.
inline int FreePort() {
  static std::set<int> given;
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof(a);
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
      port = ntohs(a.sin_port);
    }
    ::close(fd);
    if (port != 0 && given.insert(port).second) return port;
  }
  return 0;
}

inline void WriteFile(const std::string& path, const std::string& data) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs a program to completion; returns its exit status (-1 if it did not exit normally) and
// its combined stdout and stderr.
inline int RunProgram(const std::vector<std::string>& argv, std::string* output) {
  int pipefd[2];
  if (::pipe(pipefd) != 0) return -1;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::dup2(pipefd[1], 1);
    ::dup2(pipefd[1], 2);
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(pipefd[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (output != nullptr) *output = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// One kms-server child process; its stderr and stdout go to `log_path`.
class ServerProcess {
 public:
  // `binary` empty: kms-server (a test may run another build of the server's main).
  ServerProcess(std::string config_path, std::string log_path, std::string binary = "")
      : config_(std::move(config_path)), log_(std::move(log_path)), binary_(std::move(binary)) {}
  ~ServerProcess() { Kill(); }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool Start() {
    started_ = Clock::now();
    exit_status_.reset();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::close(fd);
      }
      const std::string bin = binary_.empty() ? ServerBinary() : binary_;
      ::execl(bin.c_str(), bin.c_str(), "--config-file", config_.c_str(), nullptr);
      ::_exit(127);
    }
    return pid_ > 0;
  }

  pid_t pid() const { return pid_; }
  Clock::time_point started() const { return started_; }

  void Signal(int sig) {
    if (pid_ > 0 && !exit_status_.has_value()) ::kill(pid_, sig);
  }

  // The exit status once the process ended within `timeout`; nullopt if it still runs. A death by
  // signal gives 128 + the signal number.
  std::optional<int> Wait(std::chrono::milliseconds timeout) {
    if (exit_status_.has_value() || pid_ <= 0) return exit_status_;
    const auto deadline = Clock::now() + timeout;
    while (true) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return exit_status_;
      }
      if (Clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  bool Running() { return pid_ > 0 && !Wait(std::chrono::milliseconds(0)).has_value(); }

  void Kill() {
    if (pid_ > 0 && !exit_status_.has_value()) {
      ::kill(pid_, SIGKILL);
      Wait(std::chrono::seconds(10));
    }
  }

  std::string Log() const { return ReadFile(log_); }
  const std::string& config_path() const { return config_; }

 private:
  std::string config_;
  std::string log_;
  std::string binary_;
  pid_t pid_ = -1;
  Clock::time_point started_;
  std::optional<int> exit_status_;
};

struct HttpResult {
  int status = 0;  // 0: no answer
  std::string body;
};

// GET http://127.0.0.1:<port><path>, HTTP/1.0, with a 5 s timeout.
inline HttpResult HttpGet(int port, const std::string& path) {
  HttpResult result;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return result;
  }
  const std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (::write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return result;
  }
  std::string resp;
  char buf[8192];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0) resp.append(buf, static_cast<size_t>(n));
  ::close(fd);
  const size_t sp = resp.find(' ');
  const size_t header_end = resp.find("\r\n\r\n");
  if (sp == std::string::npos || header_end == std::string::npos) return result;
  result.status = std::atoi(resp.c_str() + sp + 1);
  result.body = resp.substr(header_end + 4);
  return result;
}

inline std::shared_ptr<grpc::Channel> Channel(int port, int max_message = 64 << 20) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(max_message);
  args.SetMaxSendMessageSize(max_message);
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials(), args);
}

inline std::unique_ptr<kms::v1::CoreService::Stub> Stub(int port, int max_message = 64 << 20) {
  return kms::v1::CoreService::NewStub(Channel(port, max_message));
}

// A ClientContext with a deadline.
inline std::unique_ptr<grpc::ClientContext> Context(
    std::chrono::milliseconds timeout = std::chrono::seconds(120)) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
  return ctx;
}

// grpc.health.v1.Health/Check for `service` through the generic stub (no generated health
// client is needed): 1 SERVING, 2 NOT_SERVING, 3 SERVICE_UNKNOWN, -1 when the call failed.
inline int GrpcHealthCheck(int port, const std::string& service) {
  grpc::GenericStub stub(Channel(port));
  // HealthCheckRequest{service = 1 (string)}.
  std::string request;
  if (!service.empty()) {
    request.push_back(0x0a);
    request.push_back(static_cast<char>(service.size()));
    request += service;
  }
  grpc::Slice slice(request);
  grpc::ByteBuffer send(&slice, 1);
  grpc::ByteBuffer recv;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::StubOptions options;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", options, &send, &recv, [&](grpc::Status s) {
    std::lock_guard<std::mutex> lock(mu);
    status = s;
    done = true;
    cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  if (!status.ok()) return -1;
  std::vector<grpc::Slice> slices;
  if (!recv.Dump(&slices).ok()) return -1;
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  // HealthCheckResponse{status = 1 (enum)}; absent means 0 (UNKNOWN).
  if (bytes.size() >= 2 && bytes[0] == 0x08) return static_cast<unsigned char>(bytes[1]);
  return 0;
}

// grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo with one list_services request,
// through the generic streaming stub; returns the raw ServerReflectionResponse bytes (empty on
// failure). The service names appear in them as plain strings.
inline std::string ReflectionListServices(int port) {
  grpc::GenericStub stub(Channel(port));
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  auto call =
      stub.PrepareCall(&ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  void* tag = nullptr;
  bool ok = false;
  auto step = [&](intptr_t expected) {
    return cq.Next(&tag, &ok) && ok && reinterpret_cast<intptr_t>(tag) == expected;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  if (!step(1)) return "";
  // ServerReflectionRequest{list_services (field 7, string) = ""}.
  const std::string request("\x3a\x00", 2);
  grpc::Slice slice(request);
  grpc::ByteBuffer send(&slice, 1);
  call->Write(send, reinterpret_cast<void*>(2));
  if (!step(2)) return "";
  grpc::ByteBuffer recv;
  call->Read(&recv, reinterpret_cast<void*>(3));
  if (!step(3)) return "";
  call->WritesDone(reinterpret_cast<void*>(4));
  step(4);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  step(5);
  std::vector<grpc::Slice> slices;
  if (!recv.Dump(&slices).ok()) return "";
  std::string bytes;
  for (const auto& sl : slices) bytes.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return bytes;
}

// Waits until GetHealthStatus answers on `port`; returns the time it took, or nullopt.
inline std::optional<Clock::duration> WaitServing(int port, ServerProcess* process,
                                                  std::chrono::seconds timeout) {
  const auto start = process != nullptr ? process->started() : Clock::now();
  const auto deadline = Clock::now() + timeout;
  auto stub = Stub(port);
  while (Clock::now() < deadline) {
    if (process != nullptr && !process->Running()) return std::nullopt;
    if (GrpcHealthCheck(port, "") == 1) return Clock::now() - start;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return std::nullopt;
}

// Every regular file below `root` with its content digest: equal snapshots mean nothing stored
// changed.
inline std::map<std::string, crypto::Digest> SnapshotFiles(const std::string& root) {
  std::map<std::string, crypto::Digest> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file()) continue;
    const std::string data = ReadFile(it->path().string());
    out[it->path().string()] = crypto::HashElement("STOR_OBJ", AsBytes(data));
  }
  return out;
}

// Ports of one server.
struct ServerPorts {
  int client = 0;
  int peer = 0;  // threshold only
  int metrics = 0;
};

// The configuration of a centralized server storing under <dir>/keys.
inline std::string CentralizedConfig(const std::string& dir, const ServerPorts& ports,
                                     const std::string& extra = "") {
  return absl::StrCat("[service]\nlisten_address = \"127.0.0.1\"\nlisten_port = ", ports.client,
                      "\nfhe_parameter = \"test\"\nallow_insecure_parameters = true\n"
                      "result_wait_secs = 30\n"
                      "grpc_max_message_size = 4194304\n\n"
                      "[public_vault.storage.file]\npath = \"",
                      dir, "/keys\"\n[private_vault.storage.file]\npath = \"", dir,
                      "/keys\"\n\n[telemetry]\nmetrics_bind_address = \"127.0.0.1:", ports.metrics,
                      "\"\n\n", extra);
}

// The configuration of party `me` (1-based) of a threshold cluster whose parties store under
// <dir>/keys (prefixes PUB-p<i>, PRIV-p<i>) and keep TLS files under <dir>/certs.
inline std::string ThresholdConfig(const std::string& dir, const std::vector<ServerPorts>& ports,
                                   int me, int t, const std::string& fhe_parameter,
                                   const std::string& extra_threshold = "", bool insecure = true) {
  std::string out = absl::StrCat(
      "[service]\nlisten_address = \"127.0.0.1\"\nlisten_port = ", ports[me - 1].client,
      "\nresult_wait_secs = 60\ngrpc_max_message_size = 16777216\n",
      fhe_parameter == "test" ? "allow_insecure_parameters = true\n" : "",
      "\n"
      "[public_vault.storage.file]\npath = \"",
      dir, "/keys\"\n[private_vault.storage.file]\npath = \"", dir, "/keys\"\n\n",
      "[threshold]\nlisten_address = \"127.0.0.1\"\nlisten_port = ", ports[me - 1].peer,
      "\nmy_id = ", me, "\nthreshold = ", t, "\nfhe_parameter = \"", fhe_parameter,
      "\"\ninsecure = ", insecure ? "true" : "false",
      "\nround_timeout_secs = 15\ndecryption_timeout_secs = 8\n"
      "preprocessing_sessions = 2\n",
      extra_threshold, "\n[threshold.tls]\ncert = \"", dir, "/certs/cert_p", me, ".pem\"\nkey = \"",
      dir, "/certs/key_p", me, ".pem\"\n\n");
  for (size_t i = 0; i < ports.size(); ++i) {
    absl::StrAppend(&out, "[[threshold.peers]]\nparty_id = ", i + 1,
                    "\naddress = \"127.0.0.1\"\nport = ", ports[i].peer, "\nmpc_identity = \"party",
                    i + 1, ".kms.local\"\ntls_cert = \"", dir, "/certs/cert_p", i + 1,
                    ".pem\"\n\n");
  }
  absl::StrAppend(&out, "[telemetry]\nmetrics_bind_address = \"127.0.0.1:", ports[me - 1].metrics,
                  "\"\n");
  return out;
}

}  // namespace kms::e2e

#endif  // KMS_TESTS_E2E_SERVER_HARNESS_H_
