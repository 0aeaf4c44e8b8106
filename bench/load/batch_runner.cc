#include "load/batch_runner.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/core_client.h"
#include "client/endpoint.h"
#include "client/request_id.h"
#include "client/response_verification.h"
#include "client/user_decryption.h"
#include "crypto/hybrid_encryption.h"
#include "lwe/fhe_type.h"

namespace kms::load {
namespace {

using Clock = std::chrono::steady_clock;

double MsBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

// Error messages carry request ids and handles; without them, the same failure of 2048 requests
// is one line with a count instead of 2048 lines.
std::string WithoutIds(std::string_view message) {
  std::string out;
  size_t i = 0;
  while (i < message.size()) {
    size_t j = i;
    while (j < message.size() && std::isxdigit(static_cast<unsigned char>(message[j]))) ++j;
    if (j - i >= 16) {
      out += "<id>";
      i = j;
    } else if (j > i) {
      out.append(message.substr(i, j - i));
      i = j;
    } else {
      out.push_back(message[i]);
      ++i;
    }
  }
  constexpr size_t kMaxLength = 300;
  if (out.size() > kMaxLength) out = out.substr(0, kMaxLength) + "…";
  return out;
}

std::string GrpcCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return absl::StrCat("code ", static_cast<int>(code));
  }
}

// The plaintexts of an answer as a map key: type and little-endian bytes of each.
std::string PlaintextKey(const kms::v1::PublicDecryptionResponse& response) {
  std::string key;
  for (const auto& p : response.plaintexts()) {
    absl::StrAppend(&key, p.fhe_type(), ":", p.value_le(), ";");
  }
  return key;
}

// Counts the calls of a batch still outstanding; Wait returns once every callback has run.
class CallLatch {
 public:
  explicit CallLatch(size_t calls) : remaining_(calls) {}
  void Done() {
    std::lock_guard<std::mutex> lock(mu_);
    if (--remaining_ == 0) cv_.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return remaining_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  size_t remaining_;
};

// The outcome of a batch, filled from the callback threads.
class Sink {
 public:
  explicit Sink(size_t requests) { result_.requests = requests; }

  // The batch starts: latencies count from here.
  void Start(Clock::time_point batch_start) {
    std::lock_guard<std::mutex> lock(mu_);
    batch_start_ = batch_start;
  }

  void Succeeded(Clock::time_point request_start) {
    const Clock::time_point now = Clock::now();
    std::lock_guard<std::mutex> lock(mu_);
    ++result_.succeeded;
    result_.latencies_ms.push_back(MsBetween(batch_start_, now));
    result_.service_latencies_ms.push_back(MsBetween(request_start, now));
    last_done_ = std::max(last_done_, now);
  }
  void Failed(const std::string& reason, bool wrong_value) {
    const Clock::time_point now = Clock::now();
    std::lock_guard<std::mutex> lock(mu_);
    ++result_.failed;
    result_.wrong_values += wrong_value;
    ++result_.errors[absl::StrCat("request: ", WithoutIds(reason))];
    last_done_ = std::max(last_done_, now);
  }
  void PartyError(const PartyTarget& party, const std::string& reason) {
    std::lock_guard<std::mutex> lock(mu_);
    ++result_.errors[absl::StrCat("party ", party.party_id, ": ", WithoutIds(reason))];
  }
  void Note(const std::string& line) {
    std::lock_guard<std::mutex> lock(mu_);
    ++result_.errors[WithoutIds(line)];
  }
  BatchResult Finish(Clock::time_point sent, Clock::time_point drained) {
    std::lock_guard<std::mutex> lock(mu_);
    const Clock::time_point start = batch_start_;
    result_.send_ms = MsBetween(start, sent);
    result_.wall_ms = MsBetween(start, std::max(last_done_, start));
    result_.drain_ms = MsBetween(start, drained);
    return std::move(result_);
  }

 private:
  std::mutex mu_;
  Clock::time_point batch_start_ = Clock::now();
  BatchResult result_;
  Clock::time_point last_done_{};
};

std::string DescribeRpcError(const grpc::Status& status) {
  return absl::StrCat(GrpcCodeName(status.error_code()), ": ", status.error_message());
}

// ---------------------------------------------------------------------------------------------
// Public decryption: one request, n calls, done at t + 1 verified agreeing answers.

struct PublicRequest {
  kms::v1::PublicDecryptionRequest request;
  const lwe::TypedPlaintext* expected = nullptr;
  Clock::time_point start;
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<kms::v1::PublicDecryptionResponse> responses;

  std::mutex mu;
  bool done = false;
  size_t returned = 0;
  std::map<std::string, size_t> agreeing;  // plaintext key -> verified answers
  std::string last_problem;
};

void OnPublicAnswer(PublicRequest& r, size_t i, const PartyTarget& party, const grpc::Status& rpc,
                    uint32_t t, size_t n, Sink& sink) {
  std::optional<std::string> problem;
  std::string key;
  {
    std::lock_guard<std::mutex> lock(r.mu);
    if (r.done) {
      // Past the quorum: a client would not wait for or check this answer.
      ++r.returned;
      if (!rpc.ok()) sink.PartyError(party, DescribeRpcError(rpc));
      return;
    }
  }
  const kms::v1::PublicDecryptionResponse& response = r.responses[i];
  if (!rpc.ok()) {
    problem = DescribeRpcError(rpc);
  } else {
    absl::Status verified =
        client::VerifyPublicDecryption(r.request, response, party.signer_address);
    if (!verified.ok()) {
      problem = std::string(verified.message());
    } else {
      key = PlaintextKey(response);
    }
  }
  if (problem.has_value()) sink.PartyError(party, *problem);

  std::lock_guard<std::mutex> lock(r.mu);
  ++r.returned;
  if (r.done) return;
  if (problem.has_value()) {
    r.last_problem = absl::StrCat("party ", party.party_id, ": ", *problem);
  } else if (++r.agreeing[key] >= t + 1) {
    r.done = true;
    absl::StatusOr<lwe::TypedPlaintext> value =
        response.plaintexts_size() == 1
            ? client::PlaintextFromProto(response.plaintexts(0))
            : absl::InvalidArgumentError(
                  absl::StrCat("plaintexts: expected 1, got ", response.plaintexts_size()));
    if (!value.ok()) {
      sink.Failed(std::string(value.status().message()), /*wrong_value=*/true);
    } else if (*value != *r.expected) {
      sink.Failed("t + 1 parties agree on a plaintext that is not the encrypted value",
                  /*wrong_value=*/true);
    } else {
      sink.Succeeded(r.start);
    }
    return;
  }
  if (r.returned == n) {
    r.done = true;
    sink.Failed(absl::StrCat("no t + 1 = ", t + 1,
                             " agreeing signed answers; last problem: ", r.last_problem),
                /*wrong_value=*/false);
  }
}

// ---------------------------------------------------------------------------------------------
// User decryption: one request, n calls, reconstructed once every party has answered or failed.

struct UserRequest {
  kms::v1::UserDecryptionRequest request;
  client::UserDecryptionRequestInfo info;
  const lwe::TypedPlaintext* expected = nullptr;
  Clock::time_point start;
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<kms::v1::UserDecryptionResponse> responses;
  std::vector<bool> answered;

  std::mutex mu;
  size_t returned = 0;
};

}  // namespace

BatchRunner::BatchRunner(std::vector<Party> parties, uint32_t threshold,
                         std::chrono::milliseconds timeout)
    : parties_(std::move(parties)), threshold_(threshold), timeout_(timeout) {}

BatchRunner::~BatchRunner() = default;

absl::StatusOr<std::unique_ptr<BatchRunner>> BatchRunner::Create(
    std::vector<PartyTarget> targets, uint32_t threshold, std::chrono::milliseconds timeout,
    const std::optional<client::ClientTls>& tls) {
  if (targets.empty()) return absl::InvalidArgumentError("parties: the list is empty");
  if (targets.size() < 3 * static_cast<size_t>(threshold) + 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("threshold: ", targets.size(), " parties cannot tolerate t = ", threshold));
  }
  std::vector<Party> parties;
  for (PartyTarget& target : targets) {
    auto endpoint = client::ParseEndpoint(target.address);
    if (!endpoint.ok()) return endpoint.status();
    auto signer = crypto::ParseEthAddress(target.signer_address);
    if (!signer.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("party ", target.party_id, " signer address: ", signer.status().message()));
    }
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(512 << 20);
    args.SetMaxSendMessageSize(512 << 20);
    // A separate connection per party even when two parties share an address form.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    auto channel = grpc::CreateCustomChannel(endpoint->ToString(),
                                             client::ClientChannelCredentials(tls), args);
    Party party;
    party.target = std::move(target);
    party.signer = *signer;
    party.stub = kms::v1::CoreService::NewStub(channel);
    parties.push_back(std::move(party));
  }
  return std::unique_ptr<BatchRunner>(new BatchRunner(std::move(parties), threshold, timeout));
}

BatchResult BatchRunner::RunPublic(const Workload& workload, size_t batch) {
  const size_t n = parties_.size();
  std::vector<std::unique_ptr<PublicRequest>> requests;
  requests.reserve(batch);
  for (size_t r = 0; r < batch; ++r) {
    auto req = std::make_unique<PublicRequest>();
    const size_t pick = r % workload.ciphertexts.size();
    req->request.set_request_id(client::RandomRequestId());
    req->request.set_key_id(workload.key_id);
    *req->request.add_ciphertexts() = workload.ciphertexts[pick];
    *req->request.mutable_domain() = client::DefaultClientDomain();
    req->expected = &workload.values[pick];
    req->responses.resize(n);
    for (size_t i = 0; i < n; ++i) req->contexts.push_back(std::make_unique<grpc::ClientContext>());
    requests.push_back(std::move(req));
  }

  Sink sink(batch);
  CallLatch latch(batch * n);
  sink.Start(Clock::now());
  for (auto& req : requests) {
    PublicRequest* r = req.get();
    r->start = Clock::now();
    for (size_t i = 0; i < n; ++i) {
      r->contexts[i]->set_deadline(std::chrono::system_clock::now() + timeout_);
      const PartyTarget* target = &parties_[i].target;
      const uint32_t t = threshold_;
      parties_[i].stub->async()->PublicDecryptSync(
          r->contexts[i].get(), &r->request, &r->responses[i],
          [r, i, target, t, n, &sink, &latch](grpc::Status status) {
            OnPublicAnswer(*r, i, *target, status, t, n, sink);
            latch.Done();
          });
    }
  }
  const Clock::time_point sent = Clock::now();
  latch.Wait();
  return sink.Finish(sent, Clock::now());
}

BatchResult BatchRunner::RunUser(const Workload& workload, size_t batch) {
  const size_t n = parties_.size();
  const crypto::X25519Kem kem;
  const crypto::KemKeyPair user = kem.GenerateKeyPair();
  const crypto::SigningKey identity = crypto::SigningKey::Generate();
  std::map<uint32_t, crypto::EthAddress> signers;
  for (const Party& p : parties_) signers[p.target.party_id] = p.signer;

  Sink sink(batch);
  std::vector<std::unique_ptr<UserRequest>> requests;
  requests.reserve(batch);
  for (size_t r = 0; r < batch; ++r) {
    auto req = std::make_unique<UserRequest>();
    const size_t pick = r % workload.ciphertexts.size();
    const kms::v1::TypedCiphertext& ct = workload.ciphertexts[pick];
    req->request.set_request_id(client::RandomRequestId());
    req->request.set_key_id(workload.key_id);
    *req->request.add_ciphertexts() = ct;
    req->request.set_enc_key(std::string(user.public_key.begin(), user.public_key.end()));
    req->request.set_client_address(identity.verification_key().EthereumAddressChecksummed());
    *req->request.mutable_domain() = client::DefaultClientDomain();
    req->expected = &workload.values[pick];

    // What the reconstruction checks the answers against (as client/user_decrypt_flow does).
    client::UserDecryptionRequestInfo& info = req->info;
    auto request_id = client::IdToDigest(req->request.request_id(), "request_id");
    auto key_id = client::IdToDigest(workload.key_id, "key_id");
    auto type = lwe::FheTypeFromName(ct.fhe_type());
    auto domain = client::DomainFromProto(req->request.domain());
    if (!request_id.ok() || !key_id.ok() || !type.ok() || !domain.ok() ||
        ct.external_handle().size() != crypto::Digest().size()) {
      sink.Failed("malformed workload (key id, type or handle)", /*wrong_value=*/false);
      continue;
    }
    info.request_id = *request_id;
    info.key_id = *key_id;
    crypto::Digest handle{};
    std::copy(ct.external_handle().begin(), ct.external_handle().end(), handle.begin());
    info.handles.push_back(handle);
    info.types.push_back(*type);
    info.enc_key = user.public_key;
    info.client_address = identity.verification_key().EthereumAddress();
    info.domain = *domain;

    req->responses.resize(n);
    req->answered.assign(n, false);
    for (size_t i = 0; i < n; ++i) req->contexts.push_back(std::make_unique<grpc::ClientContext>());
    requests.push_back(std::move(req));
  }

  CallLatch latch(requests.size() * n);
  sink.Start(Clock::now());
  for (auto& req : requests) {
    UserRequest* r = req.get();
    r->start = Clock::now();
    for (size_t i = 0; i < n; ++i) {
      r->contexts[i]->set_deadline(std::chrono::system_clock::now() + timeout_);
      const PartyTarget* target = &parties_[i].target;
      parties_[i].stub->async()->UserDecryptSync(
          r->contexts[i].get(), &r->request, &r->responses[i],
          [r, i, target, n, &sink, &latch, &signers, &user](grpc::Status status) {
            bool last = false;
            if (!status.ok()) {
              sink.PartyError(*target, DescribeRpcError(status));
            } else if (r->responses[i].party_id() != target->party_id) {
              sink.PartyError(*target,
                              absl::StrCat("answer claims party ", r->responses[i].party_id()));
            }
            {
              std::lock_guard<std::mutex> lock(r->mu);
              r->answered[i] = status.ok() && r->responses[i].party_id() == target->party_id;
              last = ++r->returned == n;
            }
            if (last) {
              // Every call has returned, so nothing writes the responses any more.
              std::vector<kms::v1::UserDecryptionResponse> ok;
              for (size_t j = 0; j < n; ++j) {
                if (r->answered[j]) ok.push_back(std::move(r->responses[j]));
              }
              std::vector<client::RejectedResponse> rejected;
              auto values = client::ReconstructUserDecryption(ok, user.private_key, signers,
                                                              r->info, &rejected);
              for (const client::RejectedResponse& bad : rejected) {
                sink.Note(absl::StrCat("party ", bad.party_id, ": rejected: ", bad.reason));
              }
              if (!values.ok()) {
                sink.Failed(std::string(values.status().message()), /*wrong_value=*/false);
              } else if (values->size() != 1 || (*values)[0] != *r->expected) {
                sink.Failed("reconstructed plaintext is not the encrypted value",
                            /*wrong_value=*/true);
              } else {
                sink.Succeeded(r->start);
              }
            }
            latch.Done();
          });
    }
  }
  const Clock::time_point sent = Clock::now();
  latch.Wait();
  return sink.Finish(sent, Clock::now());
}

}  // namespace kms::load
