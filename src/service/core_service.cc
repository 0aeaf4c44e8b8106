#include "service/core_service.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "mpc/dkg.h"
#include "service/health.h"
#include "service/logging.h"
#include "service/request_validation.h"

namespace kms::service {
namespace {

using Clock = std::chrono::steady_clock;

double MillisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string Str(ByteSpan b) { return std::string(b.begin(), b.end()); }

// The request id of a request, as text for logs, even when malformed (truncated, printable).
std::string LogId(const std::string& text) {
  std::string out;
  for (char c : text.substr(0, 80)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  return out;
}

bool IsServerFault(absl::StatusCode code) {
  return code == absl::StatusCode::kInternal || code == absl::StatusCode::kDataLoss ||
         code == absl::StatusCode::kAborted || code == absl::StatusCode::kUnknown;
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
  switch (status.code()) {
    case absl::StatusCode::kCancelled:
      code = grpc::StatusCode::CANCELLED;
      break;
    case absl::StatusCode::kInvalidArgument:
      code = grpc::StatusCode::INVALID_ARGUMENT;
      break;
    case absl::StatusCode::kDeadlineExceeded:
      code = grpc::StatusCode::DEADLINE_EXCEEDED;
      break;
    case absl::StatusCode::kNotFound:
      code = grpc::StatusCode::NOT_FOUND;
      break;
    case absl::StatusCode::kAlreadyExists:
      code = grpc::StatusCode::ALREADY_EXISTS;
      break;
    case absl::StatusCode::kPermissionDenied:
      code = grpc::StatusCode::PERMISSION_DENIED;
      break;
    case absl::StatusCode::kResourceExhausted:
      code = grpc::StatusCode::RESOURCE_EXHAUSTED;
      break;
    case absl::StatusCode::kFailedPrecondition:
      code = grpc::StatusCode::FAILED_PRECONDITION;
      break;
    case absl::StatusCode::kAborted:
      code = grpc::StatusCode::ABORTED;
      break;
    case absl::StatusCode::kOutOfRange:
      code = grpc::StatusCode::OUT_OF_RANGE;
      break;
    case absl::StatusCode::kUnimplemented:
      code = grpc::StatusCode::UNIMPLEMENTED;
      break;
    case absl::StatusCode::kInternal:
      code = grpc::StatusCode::INTERNAL;
      break;
    case absl::StatusCode::kUnavailable:
      code = grpc::StatusCode::UNAVAILABLE;
      break;
    case absl::StatusCode::kDataLoss:
      // A corrupt stored object is the server's problem, not the caller's.
      code = grpc::StatusCode::INTERNAL;
      break;
    case absl::StatusCode::kUnauthenticated:
      code = grpc::StatusCode::UNAUTHENTICATED;
      break;
    default:
      code = grpc::StatusCode::UNKNOWN;
  }
  return grpc::Status(code, std::string(status.message()));
}

CoreServiceImpl::CoreServiceImpl(Engine& engine, storage::VaultSet& vaults,
                                 const crypto::SigningKey& signing_key, Metrics& metrics,
                                 RateLimiter& limiter, WorkerPool& pool, const ClientPortAuth& auth,
                                 Options options)
    : engine_(engine),
      vaults_(vaults),
      signer_(signing_key, engine.party_id(), engine.degree(), engine.num_parties()),
      metrics_(metrics),
      limiter_(limiter),
      pool_(pool),
      auth_(auth),
      options_(std::move(options)),
      admission_(options_.admission) {}

void CoreServiceImpl::Shutdown() {
  epochs_.Shutdown();
  preprocs_.Shutdown();
  keygens_.Shutdown();
  public_decryptions_.Shutdown();
  user_decryptions_.Shutdown();
}

template <typename Body>
grpc::Status CoreServiceImpl::Handle(const grpc::ServerContext* context, const char* operation,
                                     const std::string& request_id, Body&& body) {
  const Clock::time_point start = Clock::now();
  absl::StatusOr<std::string> caller = auth_.Authorize(*context, operation);
  if (!caller.ok()) metrics_.RecordClientRefusal(operation, caller.status().code());
  absl::Status status = caller.ok() ? body() : caller.status();
  metrics_.RecordOperation(operation, MillisSince(start), status);
  if (!status.ok() && status.code() != absl::StatusCode::kUnavailable) {
    const std::string line = absl::StrCat(
        operation, " refused: ", absl::StatusCodeToString(status.code()), ": ", status.message());
    if (IsServerFault(status.code())) {
      LogError("grpc", line, LogId(request_id));
    } else {
      LogWarn("grpc", line, LogId(request_id));
    }
  }
  return ToGrpcStatus(status);
}

template <typename T, typename Work>
absl::Status CoreServiceImpl::Launch(const char* operation, const std::string& id,
                                     RequestTable<T>& table, RateLimiter::Lease lease, Work work) {
  auto shared_lease = std::make_shared<RateLimiter::Lease>(std::move(lease));
  absl::Status submitted = pool_.Submit([this, operation, id, &table, shared_lease,
                                         work = std::move(work)]() mutable {
    const Clock::time_point start = Clock::now();
    absl::StatusOr<T> result = work();
    const double ms = MillisSince(start);
    metrics_.RecordOperation(operation, ms, result.status());
    if (result.ok()) {
      LogInfo("work", absl::StrCat(operation, " done in ", static_cast<int64_t>(ms), " ms"), id);
    } else if (IsServerFault(result.status().code())) {
      LogError("work", absl::StrCat(operation, " failed: ", result.status().ToString()), id);
    } else {
      LogWarn("work", absl::StrCat(operation, " failed: ", result.status().ToString()), id);
    }
    shared_lease->Release();
    table.Finish(id, std::move(result));
  });
  if (!submitted.ok()) table.Abandon(id);
  return submitted;
}

absl::Status CoreServiceImpl::CheckParametersAllowed(const ParameterSet& params) const {
  if (!params.insecure() || options_.allow_insecure_parameters) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "fhe_parameter: \"", std::string(params.name()),
      "\" is an insecure parameter set (tests and demos only); this server accepts it only with "
      "service.allow_insecure_parameters = true in its configuration"));
}

absl::StatusOr<RateLimiter::Lease> CoreServiceImpl::Charge(const char* operation, uint64_t units,
                                                           uint64_t cost_per_unit,
                                                           std::string_view unit) {
  KMS_ASSIGN_OR_RETURN(RateLimiter::Lease lease,
                       limiter_.Charge(operation, units, cost_per_unit, unit));
  metrics_.RecordCharge(operation, units, lease.tokens());
  return lease;
}

namespace {

// LWE blocks of a decryption request: what its work is proportional to.
uint64_t BlockCount(std::span<const ParsedCiphertext> cts, const ParameterSet& key_params) {
  uint64_t blocks = 0;
  for (const ParsedCiphertext& c : cts) {
    if (const auto* ct = std::get_if<lwe::TypedCiphertext>(&c.value)) {
      blocks += ct->list.bodies.size();
    } else {
      blocks += TfheLweBlockCount(c.type, key_params.tfhe->keyset.keys.compute.message_modulus);
    }
  }
  return blocks;
}

// The checks of a request's ciphertexts against the key that need the key itself.
absl::Status CheckCiphertextsForKey(const Engine& engine, const Id32& key_id,
                                    std::span<const ParsedCiphertext> cts,
                                    const ParameterSet& key_params) {
  if (key_params.tfhe == nullptr) return absl::OkStatus();  // ParseCiphertexts checked them
  std::vector<const TfheCiphertext*> tfhe;
  tfhe.reserve(cts.size());
  for (const ParsedCiphertext& c : cts) tfhe.push_back(&std::get<TfheCiphertext>(c.value));
  return engine.CheckTfheCiphertexts(key_id, tfhe);
}

}  // namespace

template <typename T>
absl::Status CoreServiceImpl::ReserveDecryptionId(const std::string& id, RequestTable<T>& table) {
  std::lock_guard<std::mutex> lock(mu_);
  if (public_decryptions_.Contains(id) || user_decryptions_.Contains(id)) {
    return absl::AlreadyExistsError(
        absl::StrCat("decryption request ", id, " already exists; choose a new request id"));
  }
  return table.Start(id);
}

// ---------------------------------------------------------------------------------------------
// Status

grpc::Status CoreServiceImpl::GetHealthStatus(grpc::ServerContext* context,
                                              const kms::v1::HealthStatusRequest*,
                                              kms::v1::HealthStatusResponse* response) {
  return Handle(context, "GetHealthStatus", "", [&]() -> absl::Status {
    *response = BuildHealthStatus(engine_, vaults_, &metrics_, options_.version, auth_.Describe(),
                                  admission_.Describe());
    return absl::OkStatus();
  });
}

grpc::Status CoreServiceImpl::GetKeyMaterialAvailability(
    grpc::ServerContext* context, const kms::v1::Empty*,
    kms::v1::KeyMaterialAvailabilityResponse* r) {
  return Handle(context, "GetKeyMaterialAvailability", "", [&]() -> absl::Status {
    const KeyMaterial material = ListKeyMaterial(engine_, vaults_);
    for (const auto& id : material.fhe_key_ids) r->add_fhe_key_ids(id);
    for (const auto& id : material.preprocessing_ids) r->add_preprocessing_ids(id);
    for (const auto& id : material.epoch_ids) r->add_epoch_ids(id);
    for (const auto& id : material.insecure_fhe_key_ids) r->add_insecure_fhe_key_ids(id);
    r->set_storage_info(DescribeStorage(vaults_));
    return absl::OkStatus();
  });
}

grpc::Status CoreServiceImpl::GetOperatorPublicKey(grpc::ServerContext* context,
                                                   const kms::v1::Empty*,
                                                   kms::v1::OperatorPublicKeyResponse* r) {
  return Handle(context, "GetOperatorPublicKey", "", [&]() -> absl::Status {
    const crypto::VerificationKey& vk = signer_.key().verification_key();
    r->set_public_key(Str(vk.SerializeCompressed()));
    r->set_address(vk.EthereumAddressChecksummed());
    r->set_party_id(engine_.party_id());
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------------------------------------
// Epochs

absl::Status CoreServiceImpl::StartEpoch(const kms::v1::NewMpcEpochRequest& req) {
  KMS_ASSIGN_OR_RETURN(Id32 epoch_id, ParseIdOr("epoch_id", req.epoch_id(), DefaultEpochId()));
  if (req.force() && req.request_id().empty()) {
    return absl::InvalidArgumentError(
        "request_id: required with force (a forced re-initialization needs a fresh session id; "
        "kms-init picks a random one)");
  }
  KMS_ASSIGN_OR_RETURN(Id32 run_id, ParseIdOr("request_id", req.request_id(), epoch_id));
  if (!engine_.threshold()) {
    return absl::FailedPreconditionError(
        "centralized mode has no MPC epochs (NewMpcEpoch is for threshold mode)");
  }
  const std::string run = IdToHex(run_id);
  const std::string epoch = IdToHex(epoch_id);
  if (req.request_id().empty() && epochs_.Contains(run)) {
    // The same plain request again (no run id): idempotent, GetEpochResult answers as before,
    // while the epoch exists or its run goes on.
    if (epochs_.Running(run) || engine_.CheckEpoch(epoch_id).ok()) return absl::OkStatus();
    // Destroyed since: the old answer would be wrong, and the run id is never run again.
    return absl::AlreadyExistsError(absl::StrCat(
        "request_id: missing, so the run id is the epoch id ", epoch,
        ", which this party already used; the epoch no longer exists (DestroyMpcEpoch): send "
        "NewMpcEpoch with a fresh request_id (kms-init picks a random one)"));
  }
  KMS_RETURN_IF_ERROR(epochs_.Start(run));
  auto lease = Charge("new_epoch", 1, options_.costs.new_epoch, "request");
  if (!lease.ok()) {
    epochs_.Abandon(run);
    return lease.status();
  }
  // Last check before the launch: the run id is recorded for good (or refused) here.
  if (absl::Status reserved = engine_.ReserveEpochRun(epoch_id, req.force(), run_id);
      !reserved.ok()) {
    epochs_.Abandon(run);
    return reserved;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    epoch_runs_[epoch] = run;
  }
  const bool force = req.force();
  return Launch("new_epoch", run, epochs_, std::move(*lease),
                [this, epoch_id, run_id, force]() -> absl::StatusOr<kms::v1::EpochResult> {
                  KMS_ASSIGN_OR_RETURN(EpochInfo info, engine_.NewEpoch(epoch_id, force, run_id));
                  kms::v1::EpochResult out;
                  out.set_epoch_id(IdToHex(epoch_id));
                  out.set_created(info.created);
                  out.set_num_parties(info.num_parties);
                  out.set_threshold(info.threshold);
                  for (uint32_t p : info.corrupt_parties) out.add_corrupt_parties(p);
                  return out;
                });
}

grpc::Status CoreServiceImpl::NewMpcEpoch(grpc::ServerContext* context,
                                          const kms::v1::NewMpcEpochRequest* req, kms::v1::Empty*) {
  return Handle(context, "NewMpcEpoch", req->request_id(), [&] { return StartEpoch(*req); });
}

absl::StatusOr<kms::v1::EpochResult> CoreServiceImpl::EpochResultFor(const std::string& id_text) {
  KMS_ASSIGN_OR_RETURN(Id32 id, ParseId("request_id", id_text));
  const std::string hex = IdToHex(id);
  std::string run = hex;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = epoch_runs_.find(hex);
    if (!epochs_.Contains(hex) && it != epoch_runs_.end()) run = it->second;
  }
  if (epochs_.Contains(run)) return epochs_.Wait(run, options_.result_wait);
  // Not started by this process: an epoch loaded from storage answers with what it is.
  for (const std::string& epoch : engine_.EpochIds()) {
    if (epoch == hex) {
      kms::v1::EpochResult out;
      out.set_epoch_id(hex);
      out.set_created(false);
      out.set_num_parties(engine_.num_parties());
      out.set_threshold(engine_.degree());
      return out;
    }
  }
  return absl::NotFoundError(absl::StrCat("no epoch request or epoch with id ", hex));
}

grpc::Status CoreServiceImpl::GetEpochResult(grpc::ServerContext* context,
                                             const kms::v1::RequestId* req,
                                             kms::v1::EpochResult* response) {
  return Handle(context, "GetEpochResult", req->request_id(), [&]() -> absl::Status {
    KMS_ASSIGN_OR_RETURN(*response, EpochResultFor(req->request_id()));
    return absl::OkStatus();
  });
}

grpc::Status CoreServiceImpl::DestroyMpcEpoch(grpc::ServerContext* context,
                                              const kms::v1::DestroyMpcEpochRequest* req,
                                              kms::v1::Empty*) {
  return Handle(context, "DestroyMpcEpoch", req->epoch_id(), [&]() -> absl::Status {
    KMS_ASSIGN_OR_RETURN(Id32 epoch_id, ParseIdOr("epoch_id", req->epoch_id(), DefaultEpochId()));
    KMS_RETURN_IF_ERROR(engine_.DestroyEpoch(epoch_id));
    LogWarn("epoch", absl::StrCat("PRSS setup of epoch ", IdToHex(epoch_id), " destroyed"));
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------------------------------------
// Key generation

absl::Status CoreServiceImpl::StartPreproc(const kms::v1::KeyGenPreprocRequest& req) {
  KMS_ASSIGN_OR_RETURN(Id32 request_id, ParseId("request_id", req.request_id()));
  KMS_ASSIGN_OR_RETURN(
      const ParameterSet params,
      ParseFheParameter("fhe_parameter", req.fhe_parameter(), engine_.default_parameters()));
  KMS_RETURN_IF_ERROR(CheckParametersAllowed(params));
  KMS_ASSIGN_OR_RETURN(const mpc::DkgMaterialCounts material, KeyGenMaterial(params));
  KMS_ASSIGN_OR_RETURN(Id32 epoch_id, ParseIdOr("epoch_id", req.epoch_id(), DefaultEpochId()));
  KMS_RETURN_IF_ERROR(engine_.CheckPreprocessing(epoch_id));
  const std::string id = IdToHex(request_id);
  // Restart: a run that failed part-way resumes when the same request is sent again (the engine
  // refuses an id that cannot resume).
  KMS_RETURN_IF_ERROR(preprocs_.Restart(id));
  auto lease = Charge("preproc", PreprocessingUnits(material.bits + material.triples),
                      options_.costs.preproc, "preprocessing units of 10,000 bits");
  if (!lease.ok()) {
    preprocs_.Abandon(id);
    return lease.status();
  }
  if (absl::Status reserved = engine_.ReservePreprocessing(request_id); !reserved.ok()) {
    preprocs_.Abandon(id);
    return reserved;
  }
  LogInfo("keygen",
          absl::StrCat("preprocessing started (parameters ", std::string(params.name()), ")"), id);
  return Launch(
      "preproc", id, preprocs_, std::move(*lease),
      [this, request_id, params, epoch_id]() -> absl::StatusOr<kms::v1::KeyGenPreprocResult> {
        KMS_ASSIGN_OR_RETURN(PreprocessingInfo info,
                             engine_.Preprocess(request_id, params, epoch_id));
        kms::v1::KeyGenPreprocResult out;
        out.set_preprocessing_id(IdToHex(request_id));
        out.set_bits(info.bits);
        out.set_randoms(info.randoms);
        return out;
      });
}

grpc::Status CoreServiceImpl::KeyGenPreproc(grpc::ServerContext* context,
                                            const kms::v1::KeyGenPreprocRequest* req,
                                            kms::v1::Empty*) {
  return Handle(context, "KeyGenPreproc", req->request_id(), [&] { return StartPreproc(*req); });
}

grpc::Status CoreServiceImpl::GetKeyGenPreprocResult(grpc::ServerContext* context,
                                                     const kms::v1::RequestId* req,
                                                     kms::v1::KeyGenPreprocResult* response) {
  return Handle(context, "GetKeyGenPreprocResult", req->request_id(), [&]() -> absl::Status {
    KMS_ASSIGN_OR_RETURN(Id32 id, ParseId("request_id", req->request_id()));
    absl::StatusOr<kms::v1::KeyGenPreprocResult> result =
        preprocs_.Wait(IdToHex(id), options_.result_wait);
    if (absl::IsUnavailable(result.status())) {
      if (std::optional<PreprocessingProgress> p = engine_.RunningPreprocessing(id)) {
        return absl::UnavailableError(
            absl::StrCat(result.status().message(), " (", DescribeProgress(*p), ")"));
      }
    }
    KMS_ASSIGN_OR_RETURN(*response, std::move(result));
    return absl::OkStatus();
  });
}

absl::Status CoreServiceImpl::StartKeyGen(const kms::v1::KeyGenRequest& req, bool insecure) {
  KeyGenSpec spec;
  spec.insecure = insecure;
  KMS_ASSIGN_OR_RETURN(spec.request_id, ParseId("request_id", req.request_id()));
  // Threshold KeyGen consumes preprocessed material; InsecureKeyGen (a dealer) and the
  // centralized mode need none and accept the field only when well-formed.
  if ((!insecure && engine_.threshold()) || !req.preprocessing_id().empty()) {
    KMS_ASSIGN_OR_RETURN(spec.preprocessing_id,
                         ParseId("preprocessing_id", req.preprocessing_id()));
  }
  KMS_ASSIGN_OR_RETURN(spec.params, ParseFheParameter("fhe_parameter", req.fhe_parameter(),
                                                      engine_.default_parameters()));
  KMS_RETURN_IF_ERROR(CheckParametersAllowed(spec.params));
  KMS_ASSIGN_OR_RETURN(spec.epoch_id, ParseIdOr("epoch_id", req.epoch_id(), DefaultEpochId()));
  KMS_ASSIGN_OR_RETURN(crypto::Eip712Domain domain, ParseDomain(req.has_domain(), req.domain()));
  KMS_RETURN_IF_ERROR(engine_.CheckKeyGen(spec));
  const std::string id = IdToHex(spec.request_id);
  KMS_RETURN_IF_ERROR(keygens_.Start(id));
  auto lease = Charge(insecure ? "insecure_keygen" : "keygen", 1, options_.costs.keygen, "request");
  if (!lease.ok()) {
    keygens_.Abandon(id);
    return lease.status();
  }
  if (absl::Status reserved = engine_.ReserveKeyGen(spec.request_id); !reserved.ok()) {
    keygens_.Abandon(id);
    return reserved;
  }
  if (insecure) LogWarn("keygen", "insecure dealer key generation requested", id);
  return Launch(insecure ? "insecure_keygen" : "keygen", id, keygens_, std::move(*lease),
                [this, spec, domain]() -> absl::StatusOr<kms::v1::KeyGenResult> {
                  KMS_ASSIGN_OR_RETURN(PublicKeyInfo key, engine_.GenerateKey(spec));
                  return signer_.KeyGen(spec.request_id, key, domain);
                });
}

grpc::Status CoreServiceImpl::KeyGen(grpc::ServerContext* context,
                                     const kms::v1::KeyGenRequest* req, kms::v1::Empty*) {
  return Handle(context, "KeyGen", req->request_id(), [&] { return StartKeyGen(*req, false); });
}

grpc::Status CoreServiceImpl::InsecureKeyGen(grpc::ServerContext* context,
                                             const kms::v1::KeyGenRequest* req, kms::v1::Empty*) {
  return Handle(context, "InsecureKeyGen", req->request_id(),
                [&] { return StartKeyGen(*req, true); });
}

absl::StatusOr<kms::v1::KeyGenResult> CoreServiceImpl::KeyGenResult(const std::string& id_text) {
  KMS_ASSIGN_OR_RETURN(Id32 id, ParseId("request_id", id_text));
  const std::string hex = IdToHex(id);
  if (keygens_.Contains(hex)) return keygens_.Wait(hex, options_.result_wait);
  // A key made before a restart: its result is rebuilt from storage and signed again (over the
  // default domain; the request's domain is not stored).
  absl::StatusOr<PublicKeyInfo> stored = engine_.GetPublicKey(id);
  if (!stored.ok()) {
    return absl::NotFoundError(absl::StrCat("no key generation request or key with id ", hex));
  }
  return signer_.KeyGen(id, *stored, DefaultDomain());
}

grpc::Status CoreServiceImpl::GetKeyGenResult(grpc::ServerContext* context,
                                              const kms::v1::RequestId* req,
                                              kms::v1::KeyGenResult* response) {
  return Handle(context, "GetKeyGenResult", req->request_id(), [&]() -> absl::Status {
    KMS_ASSIGN_OR_RETURN(*response, KeyGenResult(req->request_id()));
    return absl::OkStatus();
  });
}

grpc::Status CoreServiceImpl::AbortKeyGen(grpc::ServerContext* context,
                                          const kms::v1::RequestId* req, kms::v1::Empty*) {
  return Handle(context, "AbortKeyGen", req->request_id(), [&]() -> absl::Status {
    KMS_ASSIGN_OR_RETURN(Id32 id, ParseId("request_id", req->request_id()));
    const std::string hex = IdToHex(id);
    if (keygens_.Running(hex)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "key generation ", hex,
          " is running; a running DKG cannot be interrupted (it finishes or times out)"));
    }
    const bool running = preprocs_.Running(hex);
    KMS_RETURN_IF_ERROR(engine_.DropPreprocessing(id));
    LogInfo("keygen",
            running ? "preprocessing aborted: it stops after its current chunks and drops its "
                      "material"
                    : "preprocessed material dropped",
            hex);
    return absl::OkStatus();
  });
}

grpc::Status CoreServiceImpl::GetPublicKey(grpc::ServerContext* context,
                                           const kms::v1::PublicKeyRequest* req,
                                           kms::v1::PublicKeyResponse* response) {
  return Handle(context, "GetPublicKey", req->key_id(), [&]() -> absl::Status {
    KMS_ASSIGN_OR_RETURN(Id32 id, ParseId("key_id", req->key_id()));
    KMS_ASSIGN_OR_RETURN(PublicKeyInfo key, engine_.GetPublicKey(id));
    response->set_key_id(IdToHex(id));
    response->set_public_key(Str(key.public_key));
    response->set_public_key_digest(Str(key.digest));
    response->set_fhe_parameter(std::string(key.params.name()));
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------------------------------------
// Decryption

absl::Status CoreServiceImpl::StartPublicDecrypt(const kms::v1::PublicDecryptionRequest& req,
                                                 std::string* id) {
  KMS_ASSIGN_OR_RETURN(Id32 request_id, ParseId("request_id", req.request_id()));
  KMS_ASSIGN_OR_RETURN(Id32 key_id, ParseId("key_id", req.key_id()));
  KMS_ASSIGN_OR_RETURN(Id32 epoch_id, ParseIdOr("epoch_id", req.epoch_id(), DefaultEpochId()));
  KMS_ASSIGN_OR_RETURN(crypto::Eip712Domain domain, ParseDomain(req.has_domain(), req.domain()));
  KMS_RETURN_IF_ERROR(engine_.CheckEpoch(epoch_id));
  KMS_ASSIGN_OR_RETURN(const ParameterSet key_params, engine_.KeyParameters(key_id));
  KMS_ASSIGN_OR_RETURN(std::vector<ParsedCiphertext> cts,
                       ParseCiphertexts(req.ciphertexts(), key_params));
  KMS_RETURN_IF_ERROR(CheckCiphertextsForKey(engine_, key_id, cts, key_params));
  // Before the id is reserved or a token taken: a refused ciphertext leaves no trace.
  KMS_RETURN_IF_ERROR(admission_.Admit(key_id, req.ciphertexts(), req.extra_data()));
  *id = IdToHex(request_id);
  KMS_RETURN_IF_ERROR(ReserveDecryptionId(*id, public_decryptions_));
  auto lease =
      Charge("pub_decrypt", BlockCount(cts, key_params), options_.costs.pub_decrypt, "LWE blocks");
  if (!lease.ok()) {
    public_decryptions_.Abandon(*id);
    return lease.status();
  }
  LogDebug("decrypt", absl::StrCat("public decryption of ", cts.size(), " ciphertexts started"),
           *id);
  auto job = std::make_shared<std::vector<ParsedCiphertext>>(std::move(cts));
  const Bytes extra(req.extra_data().begin(), req.extra_data().end());
  return Launch(
      "public_decrypt", *id, public_decryptions_, std::move(*lease),
      [this, request_id, key_id, epoch_id, job, extra, domain,
       tfhe = key_params.tfhe != nullptr]() -> absl::StatusOr<kms::v1::PublicDecryptionResponse> {
        absl::StatusOr<std::vector<lwe::TypedPlaintext>> pts =
            tfhe ? engine_.PublicDecryptTfhe(request_id, key_id, epoch_id,
                                             TakeCiphertexts<TfheCiphertext>(*job))
                 : engine_.PublicDecrypt(request_id, key_id, epoch_id,
                                         TakeCiphertexts<lwe::TypedCiphertext>(*job));
        if (!pts.ok()) return pts.status();
        return signer_.PublicDecryption(request_id, key_id, *job, *pts, extra, domain);
      });
}

grpc::Status CoreServiceImpl::PublicDecrypt(grpc::ServerContext* context,
                                            const kms::v1::PublicDecryptionRequest* req,
                                            kms::v1::Empty*) {
  std::string id;
  return Handle(context, "PublicDecrypt", req->request_id(),
                [&] { return StartPublicDecrypt(*req, &id); });
}

grpc::Status CoreServiceImpl::GetPublicDecryptionResult(grpc::ServerContext* context,
                                                        const kms::v1::RequestId* req,
                                                        kms::v1::PublicDecryptionResponse* r) {
  return Handle(context, "GetPublicDecryptionResult", req->request_id(), [&]() -> absl::Status {
    KMS_ASSIGN_OR_RETURN(Id32 id, ParseId("request_id", req->request_id()));
    KMS_ASSIGN_OR_RETURN(*r, public_decryptions_.Wait(IdToHex(id), options_.result_wait));
    return absl::OkStatus();
  });
}

grpc::Status CoreServiceImpl::PublicDecryptSync(grpc::ServerContext* context,
                                                const kms::v1::PublicDecryptionRequest* req,
                                                kms::v1::PublicDecryptionResponse* r) {
  return Handle(context, "PublicDecryptSync", req->request_id(), [&]() -> absl::Status {
    std::string id;
    KMS_RETURN_IF_ERROR(StartPublicDecrypt(*req, &id));
    KMS_ASSIGN_OR_RETURN(*r, public_decryptions_.Wait(id, options_.sync_wait));
    return absl::OkStatus();
  });
}

absl::Status CoreServiceImpl::StartUserDecrypt(const kms::v1::UserDecryptionRequest& req,
                                               std::string* id) {
  UserDecryptionContext ctx;
  KMS_ASSIGN_OR_RETURN(ctx.request_id, ParseId("request_id", req.request_id()));
  KMS_ASSIGN_OR_RETURN(ctx.key_id, ParseId("key_id", req.key_id()));
  KMS_ASSIGN_OR_RETURN(Id32 epoch_id, ParseIdOr("epoch_id", req.epoch_id(), DefaultEpochId()));
  KMS_RETURN_IF_ERROR(ValidateEncKey("enc_key", req.enc_key()));
  KMS_ASSIGN_OR_RETURN(ctx.client_address,
                       ParseClientAddress("client_address", req.client_address()));
  KMS_ASSIGN_OR_RETURN(ctx.domain, ParseDomain(req.has_domain(), req.domain()));
  ctx.enc_key.assign(req.enc_key().begin(), req.enc_key().end());
  ctx.extra_data.assign(req.extra_data().begin(), req.extra_data().end());
  KMS_RETURN_IF_ERROR(engine_.CheckEpoch(epoch_id));
  KMS_ASSIGN_OR_RETURN(const ParameterSet key_params, engine_.KeyParameters(ctx.key_id));
  KMS_ASSIGN_OR_RETURN(std::vector<ParsedCiphertext> cts,
                       ParseCiphertexts(req.ciphertexts(), key_params));
  KMS_RETURN_IF_ERROR(CheckCiphertextsForKey(engine_, ctx.key_id, cts, key_params));
  KMS_RETURN_IF_ERROR(admission_.Admit(ctx.key_id, req.ciphertexts(), req.extra_data()));
  ctx.fhe_parameter = std::string(key_params.name());
  *id = IdToHex(ctx.request_id);
  KMS_RETURN_IF_ERROR(ReserveDecryptionId(*id, user_decryptions_));
  auto lease = Charge("user_decrypt", BlockCount(cts, key_params), options_.costs.user_decrypt,
                      "LWE blocks");
  if (!lease.ok()) {
    user_decryptions_.Abandon(*id);
    return lease.status();
  }
  LogDebug("decrypt", absl::StrCat("user decryption of ", cts.size(), " ciphertexts started"), *id);
  auto job = std::make_shared<std::vector<ParsedCiphertext>>(std::move(cts));
  return Launch(
      "user_decrypt", *id, user_decryptions_, std::move(*lease),
      [this, ctx, epoch_id, job,
       tfhe = key_params.tfhe != nullptr]() -> absl::StatusOr<kms::v1::UserDecryptionResponse> {
        absl::StatusOr<UserDecryptionOutput> shares =
            tfhe ? engine_.UserDecryptTfhe(ctx.request_id, ctx.key_id, epoch_id,
                                           TakeCiphertexts<TfheCiphertext>(*job))
                 : engine_.UserDecrypt(ctx.request_id, ctx.key_id, epoch_id,
                                       TakeCiphertexts<lwe::TypedCiphertext>(*job));
        if (!shares.ok()) return shares.status();
        return signer_.UserDecryption(ctx, *job, *shares);
      });
}

grpc::Status CoreServiceImpl::UserDecrypt(grpc::ServerContext* context,
                                          const kms::v1::UserDecryptionRequest* req,
                                          kms::v1::Empty*) {
  std::string id;
  return Handle(context, "UserDecrypt", req->request_id(),
                [&] { return StartUserDecrypt(*req, &id); });
}

grpc::Status CoreServiceImpl::GetUserDecryptionResult(grpc::ServerContext* context,
                                                      const kms::v1::RequestId* req,
                                                      kms::v1::UserDecryptionResponse* r) {
  return Handle(context, "GetUserDecryptionResult", req->request_id(), [&]() -> absl::Status {
    KMS_ASSIGN_OR_RETURN(Id32 id, ParseId("request_id", req->request_id()));
    KMS_ASSIGN_OR_RETURN(*r, user_decryptions_.Wait(IdToHex(id), options_.result_wait));
    return absl::OkStatus();
  });
}

grpc::Status CoreServiceImpl::UserDecryptSync(grpc::ServerContext* context,
                                              const kms::v1::UserDecryptionRequest* req,
                                              kms::v1::UserDecryptionResponse* r) {
  return Handle(context, "UserDecryptSync", req->request_id(), [&]() -> absl::Status {
    std::string id;
    KMS_RETURN_IF_ERROR(StartUserDecrypt(*req, &id));
    KMS_ASSIGN_OR_RETURN(*r, user_decryptions_.Wait(id, options_.sync_wait));
    return absl::OkStatus();
  });
}

}  // namespace kms::service
