#include "service/threshold_engine.h"

#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "crypto/secure_zero.h"
#include "crypto/session_id.h"
#include "lwe/formats.h"
#include "mpc/broadcast.h"
#include "mpc/decryption.h"
#include "mpc/tfhe_insecure_dealer.h"
#include "net/round_channel.h"
#include "service/authorization.h"
#include "service/key_material.h"
#include "service/logging.h"
#include "service/session_content.h"
#include "service/tfhe_key_record.h"
#include "service/tfhe_keyset_store.h"

namespace kms::service {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kComponent[] = "threshold";

absl::Status KeyGenUsedError(const std::string& id) {
  return absl::AlreadyExistsError(absl::StrCat(
      "key generation ", id,
      " was started before (recorded in SessionLedger; a key-generation id is never reused, even "
      "after a failure or a restart); choose a new request id"));
}

absl::Status PreprocessingUsedError(const std::string& id) {
  return absl::AlreadyExistsError(absl::StrCat(
      "preprocessing ", id,
      " was started before (recorded in SessionLedger; a preprocessing id is never reused, even "
      "after a failure or a restart); choose a new request id"));
}

absl::Status NotReserved(const char* what, const std::string& id) {
  return absl::FailedPreconditionError(
      absl::StrCat(what, " ", id, " was not recorded in the SessionLedger before it started"));
}

std::string Endpoint(const std::string& host, int port) {
  return host.find(':') != std::string::npos ? absl::StrCat("[", host, "]:", port)
                                             : absl::StrCat(host, ":", port);
}

}  // namespace

ThresholdEngine::ThresholdEngine(const ServerConfig& config, storage::VaultSet& vaults,
                                 const lwe::LweParameters& params)
    : vaults_(vaults),
      my_id_(config.threshold->my_id),
      n_(static_cast<uint32_t>(config.threshold->num_parties())),
      t_(config.threshold->threshold),
      default_params_(params),
      insecure_allowed_(config.threshold->insecure),
      round_timeout_(config.threshold->round_timeout_secs),
      decryption_timeout_(config.threshold->decryption_timeout_secs),
      preprocessing_sessions_(std::max<uint32_t>(1, config.threshold->preprocessing_sessions)),
      preprocessing_chunk_(std::max<uint32_t>(1, config.threshold->preprocessing_chunk)),
      ledger_(*vaults.private_vault),
      preproc_store_(*vaults.private_vault) {
  for (const PeerConfig& p : config.threshold->peers) {
    endpoints_[p.party_id] = Endpoint(p.address, p.port);
  }
  listen_endpoint_ = Endpoint(config.threshold->listen_address, config.threshold->listen_port);
}

ThresholdEngine::~ThresholdEngine() { Shutdown(); }

absl::StatusOr<std::unique_ptr<ThresholdEngine>> ThresholdEngine::Start(
    const ServerConfig& config, storage::VaultSet& vaults, const lwe::LweParameters* params) {
  if (!config.threshold.has_value()) {
    return absl::InvalidArgumentError("threshold engine without a [threshold] section");
  }
  const ThresholdConfig& th = *config.threshold;
  const lwe::LweParameters& chosen = params != nullptr ? *params
                                     : config.fhe_parameter() == FheParameter::kTest
                                         ? lwe::TestParameters()
                                         : lwe::DefaultParameters();
  std::unique_ptr<ThresholdEngine> engine(new ThresholdEngine(config, vaults, chosen));
  KMS_RETURN_IF_ERROR(engine->LoadStoredState());

  net::GrpcNetworkConfig net_config;
  net_config.my_role = static_cast<net::Role>(th.my_id);
  net_config.listen_address = th.listen_address;
  net_config.listen_port = th.listen_port;
  for (const PeerConfig& p : th.peers) {
    net::PeerInfo info;
    info.role = static_cast<net::Role>(p.party_id);
    info.host = p.address;
    info.port = p.port;
    info.identity = p.mpc_identity.empty() ? p.address : p.mpc_identity;
    KMS_ASSIGN_OR_RETURN(
        info.certificate_pem,
        ReadConfiguredPem(config, p.tls_cert,
                          absl::StrCat("threshold.peers (party ", p.party_id, ").tls_cert")));
    net_config.peers.push_back(std::move(info));
  }
  KMS_ASSIGN_OR_RETURN(net_config.my_certificate_pem,
                       ReadConfiguredPem(config, th.tls.cert, "threshold.tls.cert"));
  {
    KMS_ASSIGN_OR_RETURN(std::string key_pem,
                         ReadConfiguredPem(config, th.tls.key, "threshold.tls.key"));
    net_config.my_private_key_pem = crypto::SecretBytes(AsBytes(key_pem));
    crypto::SecureZero(key_pem.data(), key_pem.size());
  }
  absl::StatusOr<std::unique_ptr<net::GrpcNetwork>> net =
      net::GrpcNetwork::Start(std::move(net_config));
  if (!net.ok()) {
    if (absl::StrContains(net.status().message(), "already in use")) {
      return absl::UnavailableError(
          absl::StrCat("Address already in use: ", engine->listen_endpoint_,
                       " (threshold.listen_port, the peer network)"));
    }
    return absl::Status(
        net.status().code(),
        absl::StrCat("peer network on ", engine->listen_endpoint_, ": ", net.status().message()));
  }
  engine->net_ = std::move(*net);
  LogInfo(kComponent,
          absl::StrCat("peer network listening on ", engine->listen_endpoint_, " (party ",
                       engine->my_id_, " of ", engine->n_, ", t = ", engine->t_, ")"));
  return engine;
}

absl::Status ThresholdEngine::LoadStoredState() {
  // ---- key shares ----
  KMS_ASSIGN_OR_RETURN(std::vector<std::string> key_ids,
                       vaults_.private_vault->List(storage::kFheKeyInfo));
  for (const std::string& id : key_ids) {
    absl::StatusOr<Bytes> raw = vaults_.private_vault->Get(storage::kFheKeyInfo, id);
    if (!raw.ok()) {
      return absl::Status(raw.status().code(),
                          absl::StrCat("FheKeyInfo/", id, ": ", raw.status().message()));
    }
    if (IsTfheKeyRecord(*raw)) {
      absl::Status loaded = LoadTfheKey(id, *raw);
      crypto::SecureZero(*raw);
      KMS_RETURN_IF_ERROR(loaded);
      continue;
    }
    absl::StatusOr<mpc::KeyShare> share = mpc::ParseKeyShare(*raw);
    crypto::SecureZero(*raw);
    if (!share.ok()) {
      return absl::DataLossError(absl::StrCat("FheKeyInfo/", id, " in ",
                                              vaults_.private_vault->Describe(), ": ",
                                              share.status().message()));
    }
    KMS_ASSIGN_OR_RETURN(
        Bytes pk_bytes, ReadVerifiedPublicKey(*vaults_.public_vault, id, share->public_key_digest));
    absl::StatusOr<Id32> key_id = ParseId("FheKeyInfo id", id);
    if (!key_id.ok()) return absl::DataLossError(key_id.status().message());
    const lwe::LweParameters* params = share->params;
    // Insecure: made by the dealer, or with an insecure parameter set ("test").
    const bool insecure = share->insecure_dealer || (params != nullptr && params->insecure);
    const crypto::Digest digest = share->public_key_digest;
    auto key = std::make_shared<StoredKey>(
        StoredKey{std::move(*share), std::nullopt,
                  PublicKeyInfo{*key_id, std::move(pk_bytes), digest, {}, {}, params, insecure}});
    std::lock_guard<std::mutex> lock(mu_);
    keys_.emplace(id, std::move(key));
  }
  // ---- PRSS setups ----
  KMS_ASSIGN_OR_RETURN(std::vector<std::string> epoch_ids,
                       vaults_.private_vault->List(storage::kPrssSetup));
  for (const std::string& id : epoch_ids) {
    absl::StatusOr<Bytes> raw = vaults_.private_vault->Get(storage::kPrssSetup, id);
    if (!raw.ok()) {
      return absl::Status(raw.status().code(),
                          absl::StrCat("PrssSetup/", id, ": ", raw.status().message()));
    }
    std::string bytes(raw->begin(), raw->end());
    crypto::SecureZero(*raw);
    absl::StatusOr<mpc::PrssSetup> setup = mpc::PrssSetup::Parse(bytes);
    crypto::SecureZero(bytes.data(), bytes.size());
    if (!setup.ok()) {
      return absl::DataLossError(absl::StrCat("PrssSetup/", id, " in ",
                                              vaults_.private_vault->Describe(), ": ",
                                              setup.status().message()));
    }
    if (setup->n() != static_cast<int>(n_) || setup->t() != static_cast<int>(t_) ||
        setup->my_role() != static_cast<int>(my_id_)) {
      return absl::DataLossError(
          absl::StrCat("PrssSetup/", id, " is for party ", setup->my_role(), " of ", setup->n(),
                       " (t = ", setup->t(), "); this party is ", my_id_, " of ", n_, " (t = ", t_,
                       "): the vault belongs to another party or configuration"));
    }
    if (!ParseId("PrssSetup id", id).ok()) {
      return absl::DataLossError(absl::StrCat("PrssSetup/", id, ": id is not a 64-hex epoch id"));
    }
    std::lock_guard<std::mutex> lock(mu_);
    prss_.emplace(id, std::make_shared<const mpc::PrssSetup>(std::move(*setup)));
  }
  // ---- ids that started sessions ----
  KMS_RETURN_IF_ERROR(ledger_.Load());
  // ---- preprocessed material ----
  KMS_ASSIGN_OR_RETURN(std::vector<PreprocessingRecord> runs, preproc_store_.LoadAll());
  size_t interrupted = 0;
  for (const PreprocessingRecord& run : runs) {
    absl::StatusOr<ParameterSet> params = ParameterSetByName(run.fhe_parameter);
    if (!params.ok()) {
      return absl::DataLossError(
          absl::StrCat("PreprocManifest/", IdToHex(run.id), ": ", params.status().message()));
    }
    if (!run.complete) ++interrupted;
    std::lock_guard<std::mutex> lock(mu_);
    preprocessing_[IdToHex(run.id)] = PreprocEntry{
        *params, run.complete ? PreprocState::kComplete : PreprocState::kInterrupted, nullptr};
  }
  LogInfo(kComponent,
          absl::StrCat("loaded ", key_ids.size(), " key share(s), ", epoch_ids.size(),
                       " PRSS setup(s), ", runs.size(), " preprocessing(s) (", interrupted,
                       " interrupted) and ", ledger_.size(), " used session id(s)"));
  return absl::OkStatus();
}

template <typename T, typename Body>
absl::StatusOr<T> ThresholdEngine::RunSession(net::SessionId sid, net::NetworkMode mode,
                                              std::chrono::seconds session_timeout, Body&& body) {
  if (net_ == nullptr) return absl::UnavailableError("peer network is not running");
  std::vector<net::Role> roles;
  for (uint32_t r = 1; r <= n_; ++r) roles.push_back(static_cast<net::Role>(r));
  net::RoundChannel channel(*net_, sid, roles, mode, round_timeout_, session_timeout);
  mpc::Session session(channel, static_cast<int>(t_));
  absl::StatusOr<T> result = body(session);
  // Parties excluded on broadcast evidence (a rejected VSS dealer, a wrong d_i, a ⊥ broadcast):
  // the reasons name roles and protocol steps, never values.
  for (const std::string& line : session.corruption_log())
    LogWarn(kComponent, absl::StrCat("session ", crypto::SessionIdToString(sid), ": ", line));
  // A protocol that ran out of time or shares has failed for good: reported as ABORTED, so that
  // GetXResult never confuses it with UNAVAILABLE "still running".
  if (!result.ok() &&
      (absl::IsUnavailable(result.status()) || absl::IsDeadlineExceeded(result.status()))) {
    return absl::AbortedError(
        absl::StrCat("protocol failed: ", result.status().message(),
                     " (not enough parties took part in time: more than t are down, unreachable or "
                     "misbehaving)"));
  }
  return result;
}

absl::Status ThresholdEngine::Ready() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (prss_.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("no PRSS setup exists for epoch ",
                                                      IdToHex(DefaultEpochId()), "; run kms-init"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const mpc::PrssSetup>> ThresholdEngine::FindPrss(
    const Id32& epoch_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = prss_.find(IdToHex(epoch_id));
  if (it == prss_.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("no PRSS setup exists for epoch ", IdToHex(epoch_id), "; run kms-init"));
  }
  return it->second;
}

absl::StatusOr<std::shared_ptr<const ThresholdEngine::StoredKey>> ThresholdEngine::FindKey(
    const Id32& key_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = keys_.find(IdToHex(key_id));
  if (it == keys_.end()) {
    return absl::NotFoundError(absl::StrCat("key ", IdToHex(key_id), " not found"));
  }
  return it->second;
}

absl::Status ThresholdEngine::CheckEpoch(const Id32& epoch_id) const {
  return FindPrss(epoch_id).status();
}

absl::Status ThresholdEngine::LoadTfheKey(const std::string& id, ByteSpan raw) {
  KMS_ASSIGN_OR_RETURN(LoadedTfheKey loaded,
                       LoadTfheKeyRecord(*vaults_.private_vault, *vaults_.public_vault,
                                         storage::kFheKeyInfo, id, raw, /*want_share=*/true));
  auto key = std::make_shared<StoredKey>(
      StoredKey{std::nullopt, std::move(loaded.record.share), std::move(loaded.info)});
  std::lock_guard<std::mutex> lock(mu_);
  keys_.emplace(id, std::move(key));
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const ThresholdEngine::StoredKey>> ThresholdEngine::FindPhase1Key(
    const Id32& key_id) const {
  KMS_ASSIGN_OR_RETURN(auto key, FindKey(key_id));
  if (!key->share) return RefuseCiphertextFamily(IdToHex(key_id), key->info.params);
  return key;
}

absl::StatusOr<std::shared_ptr<const ThresholdEngine::StoredKey>> ThresholdEngine::FindTfheKey(
    const Id32& key_id) const {
  KMS_ASSIGN_OR_RETURN(auto key, FindKey(key_id));
  if (!key->tfhe_share) return RefuseCiphertextFamily(IdToHex(key_id), key->info.params);
  return key;
}

absl::StatusOr<ParameterSet> ThresholdEngine::KeyParameters(const Id32& key_id) const {
  KMS_ASSIGN_OR_RETURN(auto key, FindKey(key_id));
  return key->info.params;
}

absl::Status ThresholdEngine::CheckKeyGen(const KeyGenSpec& spec) const {
  if (spec.insecure && !insecure_allowed_) {
    return absl::FailedPreconditionError(
        "InsecureKeyGen is disabled: it needs threshold.insecure = true in the configuration "
        "(a dealer sees the whole key; never in production)");
  }
  KMS_RETURN_IF_ERROR(CheckEpoch(spec.epoch_id));
  const std::string id = IdToHex(spec.request_id);
  std::lock_guard<std::mutex> lock(mu_);
  if (keys_.count(id) > 0 || keys_in_progress_.count(id) > 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("key ", id, " already exists; choose a new request id"));
  }
  if (ledger_.Contains(storage::LedgerKind::kKeyGen, spec.request_id)) {
    return KeyGenUsedError(id);
  }
  if (spec.insecure) return absl::OkStatus();
  if (spec.request_id == spec.preprocessing_id) {
    // Not needed to keep the sessions apart any more (session ids carry the operation), but each
    // request still needs its own id: the key id would otherwise name a preprocessing too.
    return absl::InvalidArgumentError(
        "request_id: must differ from preprocessing_id (each request needs its own id)");
  }
  const std::string pre = IdToHex(spec.preprocessing_id);
  auto it = preprocessing_.find(pre);
  if (it == preprocessing_.end()) {
    return absl::NotFoundError(
        absl::StrCat("preprocessing ", pre, " not found (run KeyGenPreproc first)"));
  }
  if (it->second.state == PreprocState::kRunning) {
    return absl::FailedPreconditionError(absl::StrCat("preprocessing ", pre, " is still running"));
  }
  if (it->second.state == PreprocState::kInterrupted) {
    return absl::FailedPreconditionError(
        absl::StrCat("preprocessing ", pre,
                     " was interrupted; send KeyGenPreproc with the same request id to every party "
                     "to resume it"));
  }
  if (it->second.params != spec.params) {
    return absl::InvalidArgumentError(
        absl::StrCat("preprocessing_id: ", pre, " was made for parameter set ",
                     std::string(it->second.params.name()), ", the request asks for ",
                     std::string(spec.params.name())));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Epochs

absl::Status ThresholdEngine::ReserveEpochRun(const Id32& epoch_id, bool force,
                                              const Id32& run_id) {
  const std::string epoch = IdToHex(epoch_id);
  {
    std::lock_guard<std::mutex> lock(mu_);
    // NewEpoch will answer "not created" without running anything (checked again there).
    if (prss_.count(epoch) > 0 && !force) return absl::OkStatus();
  }
  absl::Status recorded = ledger_.Record(storage::LedgerKind::kPrssInit, run_id);
  if (!absl::IsAlreadyExists(recorded)) return recorded;
  const std::string run = IdToHex(run_id);
  if (run_id == epoch_id) {
    return absl::AlreadyExistsError(absl::StrCat(
        "request_id: missing, so the run id is the epoch id ", epoch,
        ", which already ran a PRSS initialization (recorded in SessionLedger; a run id never runs "
        "a second one, so the PRSS masks of two runs never repeat); send NewMpcEpoch with a fresh "
        "request_id (kms-init picks a random one)"));
  }
  return absl::AlreadyExistsError(absl::StrCat(
      "request_id: run id ", run,
      " already ran a PRSS initialization (recorded in SessionLedger; a run id never runs a second "
      "one); choose a fresh request_id (kms-init picks a random one)"));
}

absl::Status ThresholdEngine::ReservePreprocessing(const Id32& request_id) {
  {
    // An interrupted run resumes under its own id (it was recorded when it first started).
    std::lock_guard<std::mutex> lock(mu_);
    auto it = preprocessing_.find(IdToHex(request_id));
    if (it != preprocessing_.end() && it->second.state == PreprocState::kInterrupted) {
      return absl::OkStatus();
    }
  }
  absl::Status recorded = ledger_.Record(storage::LedgerKind::kPreprocessing, request_id);
  if (absl::IsAlreadyExists(recorded)) return PreprocessingUsedError(IdToHex(request_id));
  return recorded;
}

absl::Status ThresholdEngine::ReserveKeyGen(const Id32& key_id) {
  absl::Status recorded = ledger_.Record(storage::LedgerKind::kKeyGen, key_id);
  if (absl::IsAlreadyExists(recorded)) return KeyGenUsedError(IdToHex(key_id));
  return recorded;
}

absl::StatusOr<EpochInfo> ThresholdEngine::NewEpoch(const Id32& epoch_id, bool force,
                                                    const Id32& run_id) {
  const std::string epoch = IdToHex(epoch_id);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (prss_.count(epoch) > 0 && !force) {
      return EpochInfo{false, n_, t_, {}};
    }
    if (!ledger_.Contains(storage::LedgerKind::kPrssInit, run_id)) {
      // ReserveEpochRun found the epoch and recorded nothing; it has been destroyed since.
      return absl::FailedPreconditionError(absl::StrCat(
          "epoch ", epoch, " was destroyed after this request was accepted, and its run id ",
          IdToHex(run_id),
          " is not recorded in the SessionLedger; send NewMpcEpoch again with a fresh request_id"));
    }
    if (!epochs_in_progress_.insert(epoch).second) {
      return absl::AbortedError(
          absl::StrCat("an initialization of epoch ", epoch, " is already running"));
    }
  }
  struct Done {
    ThresholdEngine* self;
    std::string epoch;
    ~Done() {
      std::lock_guard<std::mutex> lock(self->mu_);
      self->epochs_in_progress_.erase(epoch);
    }
  } done{this, epoch};

  const net::SessionId sid = crypto::DeriveSessionId(PrssInitDomain(run_id, epoch_id, n_, t_), 0);
  LogInfo(kComponent,
          absl::StrCat("PRSS initialization of epoch ", epoch, " (session ",
                       crypto::SessionIdToString(sid), ")"),
          IdToHex(run_id));
  std::vector<uint32_t> corrupt;
  KMS_ASSIGN_OR_RETURN(
      mpc::PrssSetup setup,
      (RunSession<mpc::PrssSetup>(sid, net::NetworkMode::kSync, round_timeout_ * 1000,
                                  [&](mpc::Session& session) -> absl::StatusOr<mpc::PrssSetup> {
                                    absl::StatusOr<mpc::PrssSetup> s = mpc::PrssInit(session);
                                    for (net::Role r : session.corrupt())
                                      corrupt.push_back(static_cast<uint32_t>(r));
                                    return s;
                                  })));
  std::string bytes = setup.Serialize();
  absl::Status stored = vaults_.private_vault->Put(storage::kPrssSetup, epoch, AsBytes(bytes));
  crypto::SecureZero(bytes.data(), bytes.size());
  KMS_RETURN_IF_ERROR(stored);
  {
    std::lock_guard<std::mutex> lock(mu_);
    prss_[epoch] = std::make_shared<const mpc::PrssSetup>(std::move(setup));
  }
  if (!corrupt.empty()) {
    LogWarn(kComponent,
            absl::StrCat("PRSS initialization of epoch ", epoch, " caught ", corrupt.size(),
                         " party(ies) missing or cheating"),
            IdToHex(run_id));
  }
  return EpochInfo{true, n_, t_, corrupt};
}

absl::Status ThresholdEngine::DestroyEpoch(const Id32& epoch_id) {
  const std::string epoch = IdToHex(epoch_id);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (prss_.count(epoch) == 0) {
      return absl::NotFoundError(absl::StrCat("no PRSS setup for epoch ", epoch));
    }
  }
  KMS_RETURN_IF_ERROR(vaults_.private_vault->Delete(storage::kPrssSetup, epoch));
  std::lock_guard<std::mutex> lock(mu_);
  prss_.erase(epoch);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Key generation

absl::StatusOr<PreprocessingInfo> ThresholdEngine::Preprocess(const Id32& request_id,
                                                              const ParameterSet& params,
                                                              const Id32& epoch_id) {
  KMS_ASSIGN_OR_RETURN(auto prss, FindPrss(epoch_id));
  const std::string id = IdToHex(request_id);
  if (!ledger_.Contains(storage::LedgerKind::kPreprocessing, request_id)) {
    return NotReserved("preprocessing", id);
  }
  auto progress = std::make_shared<PreprocProgress>();
  bool resume = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = preprocessing_.find(id);
    if (it != preprocessing_.end() && it->second.state != PreprocState::kInterrupted) {
      return absl::AlreadyExistsError(absl::StrCat("preprocessing ", id, " already exists"));
    }
    if (it != preprocessing_.end()) {
      if (it->second.params != params) {
        return absl::InvalidArgumentError(
            absl::StrCat("fhe_parameter: the interrupted preprocessing ", id, " was made for ",
                         std::string(it->second.params.name()), ", the request asks for ",
                         std::string(params.name())));
      }
      resume = true;
    }
    preprocessing_[id] = PreprocEntry{params, PreprocState::kRunning, progress};
  }
  struct Failed {  // an unfinished run stays stored, to be resumed or aborted
    ThresholdEngine* self;
    std::string id;
    bool armed = true;
    ~Failed() {
      if (!armed) return;
      std::lock_guard<std::mutex> lock(self->mu_);
      auto it = self->preprocessing_.find(id);
      if (it != self->preprocessing_.end()) it->second.state = PreprocState::kInterrupted;
    }
  } failed{this, id};

  PreprocessingRecord record;
  if (resume) {
    KMS_ASSIGN_OR_RETURN(record, preproc_store_.Get(request_id));
    if (record.epoch_id != epoch_id) {
      return absl::InvalidArgumentError(absl::StrCat("epoch_id: the interrupted preprocessing ", id,
                                                     " ran in epoch ", IdToHex(record.epoch_id),
                                                     ", the request names ", IdToHex(epoch_id)));
    }
    KMS_ASSIGN_OR_RETURN(record, AgreeOnResume(record, params));
  } else {
    // The layout is part of the session ids: a party configured with another number of lanes
    // never shares a session or a PRSS output with this run.
    record.id = request_id;
    record.fhe_parameter = std::string(params.name());
    record.epoch_id = epoch_id;
    absl::StatusOr<mpc::DkgMaterialCounts> counts = KeyGenMaterial(params);
    absl::Status begun = counts.status();
    if (begun.ok()) {
      record.layout =
          MakePreprocessingLayout(*counts, preprocessing_sessions_, preprocessing_chunk_);
      begun = preproc_store_.Begin(record);
    }
    if (!begun.ok()) {
      failed.armed = false;  // nothing stored: nothing to resume
      std::lock_guard<std::mutex> lock(mu_);
      preprocessing_.erase(id);
      return begun;
    }
    record.chunks_stored.assign(record.layout.lanes.size(), 0);
  }
  progress->total = record.items_total();
  progress->done = record.items_done();
  progress->done_at_start = progress->done.load();
  progress->start = Clock::now();
  LogInfo("keygen",
          absl::StrCat(resume ? "resuming" : "starting", " preprocessing: ", progress->done.load(),
                       " of ", progress->total, " items stored, ", record.layout.lanes.size(),
                       " lane(s), attempt ", record.layout.attempt),
          id);

  const crypto::SessionDomain domain =
      PreprocessingDomain(request_id, params, epoch_id, record.layout);
  const size_t k = record.layout.lanes.size();
  std::vector<absl::Status> results(k);
  std::vector<std::thread> threads;
  for (size_t lane = 0; lane < k; ++lane) {
    threads.emplace_back([&, lane] {
      const std::vector<PreprocessingChunkSpec> chunks = record.layout.Chunks(lane);
      for (uint64_t j = record.chunks_stored[lane]; j < chunks.size(); ++j) {
        if (progress->cancel.load()) {
          results[lane] = absl::CancelledError("preprocessing aborted by AbortKeyGen");
          return;
        }
        const net::SessionId sid =
            crypto::DeriveSessionId(domain, PreprocessingSessionIndex(lane, j));
        absl::StatusOr<mpc::MaterialChunk> chunk = RunSession<mpc::MaterialChunk>(
            sid, net::NetworkMode::kSync, round_timeout_ * 1000,
            [&](mpc::Session& session) -> absl::StatusOr<mpc::MaterialChunk> {
              mpc::PrssState<mpc::Share> state(*prss, session.id());
              return mpc::PreprocessChunk(session, state, chunks[j].kind, chunks[j].count);
            });
        if (chunk.ok()) {
          results[lane] = preproc_store_.PutChunk(request_id, lane, j, *chunk);
        } else {
          results[lane] = absl::Status(
              chunk.status().code(), absl::StrCat("lane ", lane + 1, " of ", k, ", chunk ", j, ": ",
                                                  chunk.status().message()));
        }
        if (!results[lane].ok()) return;
        progress->done += chunks[j].count;
        ReportProgress(id, *progress);
      }
    });
  }
  for (auto& th : threads) th.join();
  if (progress->cancel.load()) {
    // Whatever the lanes ended with: an aborted run leaves nothing behind.
    failed.armed = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      preprocessing_.erase(id);
    }
    KMS_RETURN_IF_ERROR(preproc_store_.Remove(request_id));
    LogInfo("keygen", "preprocessing aborted; its material is deleted", id);
    return absl::CancelledError("preprocessing aborted by AbortKeyGen");
  }
  for (size_t lane = 0; lane < k; ++lane) {
    if (!results[lane].ok()) {
      LogWarn("keygen",
              absl::StrCat("preprocessing stopped with ", progress->done.load(), " of ",
                           progress->total, " items stored: ", results[lane].message(),
                           " (send KeyGenPreproc with the same request id to every party to "
                           "resume, or AbortKeyGen to drop it)"),
              id);
      return results[lane];
    }
  }
  KMS_RETURN_IF_ERROR(preproc_store_.Complete(request_id));
  failed.armed = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    preprocessing_[id].state = PreprocState::kComplete;
    preprocessing_[id].progress.reset();
  }
  const mpc::DkgMaterialCounts totals = record.layout.totals();
  return PreprocessingInfo{totals.bits, totals.randoms};
}

absl::StatusOr<PreprocessingRecord> ThresholdEngine::AgreeOnResume(PreprocessingRecord record,
                                                                   const ParameterSet& params) {
  const std::string id = IdToHex(record.id);
  const uint32_t attempt = record.layout.attempt + 1;
  PreprocessingLayout next = record.layout;
  next.attempt = attempt;
  // Every party broadcasts how many chunks of each lane it holds; each lane resumes at the
  // smallest count, so every party makes the chunks from there on again, in sessions of the
  // new attempt (their ids were never used), and all hold the same shares in the end.
  std::string mine;
  for (uint64_t c : record.chunks_stored) mine += absl::StrCat(c, ",");
  const net::SessionId sid = crypto::DeriveSessionId(
      PreprocessingDomain(record.id, params, record.epoch_id, next), kPreprocessingResumeIndex);
  KMS_ASSIGN_OR_RETURN(
      auto heard,
      (RunSession<std::map<net::Role, std::optional<std::string>>>(
          sid, net::NetworkMode::kSync, round_timeout_ * 1000,
          [&](mpc::Session& session) { return mpc::BroadcastFromAll(session, mine); })));
  std::vector<uint64_t> resume_at = record.chunks_stored;
  size_t answered = 0;
  for (const auto& [role, message] : heard) {
    if (!message.has_value()) continue;
    std::vector<uint64_t> counts;
    for (absl::string_view part : absl::StrSplit(*message, ',', absl::SkipEmpty())) {
      uint64_t v = 0;
      if (!absl::SimpleAtoi(part, &v)) break;
      counts.push_back(v);
    }
    if (counts.size() != resume_at.size()) continue;  // malformed: that party is ignored
    ++answered;
    for (size_t lane = 0; lane < counts.size(); ++lane) {
      resume_at[lane] = std::min(resume_at[lane], counts[lane]);
    }
  }
  if (answered < n_ - t_) {
    return absl::AbortedError(absl::StrCat(
        "resuming preprocessing ", id, ": ", answered, " of ", n_,
        " parties answered, at least n - t = ", n_ - t_,
        " must resume together (send KeyGenPreproc with the same request id to every party)"));
  }
  KMS_RETURN_IF_ERROR(preproc_store_.Resume(record.id, attempt, resume_at));
  record.layout.attempt = attempt;
  record.chunks_stored = resume_at;
  return record;
}

void ThresholdEngine::ReportProgress(const std::string& id, PreprocProgress& progress) {
  std::lock_guard<std::mutex> lock(progress.log_mu);
  const Clock::time_point now = Clock::now();
  const bool last = progress.done.load() == progress.total;
  if (!last && now - progress.last_log < kPreprocessingLogInterval) return;
  progress.last_log = now;
  LogInfo("keygen", absl::StrCat("preprocessing: ", DescribeProgress(progress.Snapshot())), id);
}

PreprocessingProgress ThresholdEngine::PreprocProgress::Snapshot() const {
  PreprocessingProgress out;
  out.done = done.load();
  out.total = total;
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (seconds > 0 && out.done > done_at_start) {
    out.items_per_second = static_cast<double>(out.done - done_at_start) / seconds;
    out.seconds_left = static_cast<double>(out.total - out.done) / out.items_per_second;
  }
  return out;
}

std::optional<PreprocessingProgress> ThresholdEngine::RunningPreprocessing(const Id32& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = preprocessing_.find(IdToHex(id));
  if (it == preprocessing_.end() || it->second.progress == nullptr) return std::nullopt;
  return it->second.progress->Snapshot();
}

PreprocessingProgress ThresholdEngine::PreprocessingTotals() const {
  std::lock_guard<std::mutex> lock(mu_);
  PreprocessingProgress sum;
  for (const auto& [id, entry] : preprocessing_) {
    if (entry.progress == nullptr) continue;
    const PreprocessingProgress p = entry.progress->Snapshot();
    sum.done += p.done;
    sum.total += p.total;
    sum.items_per_second += p.items_per_second;
  }
  return sum;
}

absl::Status ThresholdEngine::DropPreprocessing(const Id32& id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = preprocessing_.find(IdToHex(id));
    if (it == preprocessing_.end()) {
      return absl::NotFoundError(absl::StrCat("no preprocessing with id ", IdToHex(id)));
    }
    if (it->second.state == PreprocState::kRunning) {
      // The lanes stop after their current chunk and remove the material themselves.
      it->second.progress->cancel = true;
      return absl::OkStatus();
    }
    preprocessing_.erase(it);
  }
  return preproc_store_.Remove(id);
}

absl::StatusOr<PublicKeyInfo> ThresholdEngine::GenerateKey(const KeyGenSpec& spec) {
  const std::string id = IdToHex(spec.request_id);
  if (!ledger_.Contains(storage::LedgerKind::kKeyGen, spec.request_id)) {
    return NotReserved("key generation", id);
  }
  std::unique_ptr<mpc::DkgMaterialSource> source;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (keys_.count(id) > 0 || !keys_in_progress_.insert(id).second) {
      return absl::AlreadyExistsError(absl::StrCat("key ", id, " already exists"));
    }
    if (!spec.insecure) {
      // Preprocessed material is used once: a failed DKG may have opened values derived from
      // it, so it is consumed whatever the outcome.
      auto it = preprocessing_.find(IdToHex(spec.preprocessing_id));
      if (it == preprocessing_.end() || it->second.state != PreprocState::kComplete ||
          it->second.params != spec.params) {
        keys_in_progress_.erase(id);
        return absl::FailedPreconditionError(
            absl::StrCat("preprocessing ", IdToHex(spec.preprocessing_id),
                         " is no longer available for this key generation"));
      }
      preprocessing_.erase(it);
    }
  }
  struct Done {
    ThresholdEngine* self;
    std::string id;
    std::optional<Id32> material_id;
    ~Done() {
      if (material_id) (void)self->preproc_store_.Remove(*material_id);  // listed again at boot
      std::lock_guard<std::mutex> lock(self->mu_);
      self->keys_in_progress_.erase(id);
    }
  } done{this, id, std::nullopt};
  mpc::Preprocessed material;
  if (!spec.insecure) {
    done.material_id = spec.preprocessing_id;
    KMS_ASSIGN_OR_RETURN(source, preproc_store_.Open(spec.preprocessing_id));
    if (spec.params.tfhe != nullptr) return GenerateTfheKeyset(spec, *source);
    KMS_ASSIGN_OR_RETURN(material.bits, source->NextBits(mpc::DkgBitsNeeded(*spec.params.lwe)));
    KMS_ASSIGN_OR_RETURN(material.randoms,
                         source->NextRandoms(mpc::DkgRandomsNeeded(*spec.params.lwe)));
  }

  if (spec.params.tfhe != nullptr) return DealTfheKeyset(spec);  // insecure: no material
  const lwe::LweParameters& params = *spec.params.lwe;
  absl::StatusOr<mpc::KeyShare> share;
  if (spec.insecure) {
    LogWarn("keygen", "insecure dealer key generation: party 1 sees the whole key", id);
    share = RunSession<mpc::KeyShare>(
        crypto::DeriveSessionId(KeyGenDomain(spec), 0), net::NetworkMode::kSync,
        round_timeout_ * 1000,
        [&](mpc::Session& session) { return mpc::InsecureDealerKeyGen(session, params); });
  } else {
    LogInfo("keygen", absl::StrCat("distributed key generation (parameters ", params.name, ")"),
            id);
    share = RunSession<mpc::KeyShare>(
        crypto::DeriveSessionId(KeyGenDomain(spec), 0), net::NetworkMode::kAsync,
        round_timeout_ * kKeyGenSessionRounds,
        [&](mpc::Session& session) { return mpc::DistributedKeyGen(session, params, material); });
  }
  KMS_RETURN_IF_ERROR(share.status());
  KMS_ASSIGN_OR_RETURN(Bytes pk_bytes, lwe::SerializeCompactPublicKey(share->public_key));
  const crypto::Digest digest = PublicKeyBytesDigest(pk_bytes);
  if (digest != share->public_key_digest) {
    return absl::InternalError("key generation: public key digest does not match its encoding");
  }
  KMS_ASSIGN_OR_RETURN(crypto::SecretBytes record, mpc::SerializeKeyShare(*share));
  // Public first; FheKeyInfo is the commit point the boot check starts from.
  KMS_RETURN_IF_ERROR(vaults_.public_vault->Put(storage::kPublicKey, id, pk_bytes));
  KMS_RETURN_IF_ERROR(vaults_.private_vault->Put(storage::kFheKeyInfo, id, record.span()));
  PublicKeyInfo info{spec.request_id,
                     std::move(pk_bytes),
                     digest,
                     {},
                     {},
                     &params,
                     share->insecure_dealer || params.insecure};
  {
    std::lock_guard<std::mutex> lock(mu_);
    keys_[id] = std::make_shared<const StoredKey>(StoredKey{std::move(*share), std::nullopt, info});
  }
  return info;
}

absl::StatusOr<PublicKeyInfo> ThresholdEngine::GenerateTfheKeyset(
    const KeyGenSpec& spec, mpc::DkgMaterialSource& material) {
  const std::string id = IdToHex(spec.request_id);
  const tfhe::NamedKeysetParameters& params = *spec.params.tfhe;
  LogInfo("keygen", absl::StrCat("tfhe-rs keyset DKG (parameters ", params.name, ")"), id);
  absl::StatusOr<mpc::TfheDkgOutput> out = RunSession<mpc::TfheDkgOutput>(
      crypto::DeriveSessionId(KeyGenDomain(spec), 0), net::NetworkMode::kAsync,
      round_timeout_ * kTfheKeyGenSessionRounds, [&](mpc::Session& session) {
        return mpc::TfheDistributedKeyGen(
            session, params.keyset, material, [&id](std::string_view stage, int done, int total) {
              LogInfo("keygen",
                      absl::StrCat("DKG: ", done, " of ", total, " stages done",
                                   done < total ? absl::StrCat(", now ", std::string(stage)) : ""),
                      id);
            });
      });
  KMS_RETURN_IF_ERROR(out.status());
  return StoreTfheKeyset(spec, out->public_key, out->server_key, &out->compressed_keyset,
                         std::move(out->key_share));
}

absl::StatusOr<PublicKeyInfo> ThresholdEngine::DealTfheKeyset(const KeyGenSpec& spec) {
  const std::string id = IdToHex(spec.request_id);
  const tfhe::NamedKeysetParameters& params = *spec.params.tfhe;
  LogWarn("keygen",
          absl::StrCat("insecure dealer keyset generation (parameters ", params.name,
                       "): every party sees the whole key"),
          id);
  absl::StatusOr<mpc::TfheDealtKeyset> out = RunSession<mpc::TfheDealtKeyset>(
      crypto::DeriveSessionId(KeyGenDomain(spec), 0), net::NetworkMode::kSync,
      round_timeout_ * 1000,
      [&](mpc::Session& session) { return mpc::InsecureDealerTfheKeyGen(session, params.keyset); });
  KMS_RETURN_IF_ERROR(out.status());
  return StoreTfheKeyset(spec, out->public_key, out->server_key, nullptr,
                         std::move(out->key_share));
}

absl::StatusOr<PublicKeyInfo> ThresholdEngine::StoreTfheKeyset(
    const KeyGenSpec& spec, const tfhe::CompactPublicKey& public_key,
    const tfhe::PublishedServerKey& server_key, const tfhe::CompressedXofKeySet* compressed,
    mpc::TfheKeyShare share) {
  const std::string id = IdToHex(spec.request_id);
  const tfhe::NamedKeysetParameters& params = *spec.params.tfhe;
  const bool insecure = params.insecure || share.insecure_dealer;
  // Public first; FheKeyInfo is the commit point the boot check starts from.
  KMS_ASSIGN_OR_RETURN(
      PublishedTfheKeyset published,
      PublishTfheKeyset(*vaults_.public_vault, id, public_key, server_key, compressed));
  TfheKeyRecord record{&params, insecure, {}, {}, {}, std::nullopt, std::move(share)};
  KMS_ASSIGN_OR_RETURN(PublicKeyInfo info,
                       StoreTfheKeyRecord(*vaults_.private_vault, storage::kFheKeyInfo,
                                          spec.request_id, std::move(published), record));
  {
    std::lock_guard<std::mutex> lock(mu_);
    keys_[id] =
        std::make_shared<const StoredKey>(StoredKey{std::nullopt, std::move(record.share), info});
  }
  LogInfo("keygen", absl::StrCat("generated tfhe-rs keyset (parameters ", params.name, ")"), id);
  return info;
}

// ---------------------------------------------------------------------------------------------
// Decryption

namespace {

// One PRSS mask stream per ciphertext of a user decryption, keyed by a session id bound to the
// whole request: the same request id with other ciphertexts never gets the same masks.
std::vector<net::SessionId> MaskSessionIds(const crypto::SessionDomain& domain, size_t count) {
  std::vector<net::SessionId> sids;
  for (size_t i = 0; i < count; ++i) sids.push_back(crypto::DeriveSessionId(domain, i));
  return sids;
}

}  // namespace

absl::StatusOr<std::vector<lwe::TypedPlaintext>> ThresholdEngine::PublicDecrypt(
    const Id32& request_id, const Id32& key_id, const Id32& epoch_id,
    std::span<const lwe::TypedCiphertext> ciphertexts) {
  KMS_ASSIGN_OR_RETURN(auto key, FindPhase1Key(key_id));
  KMS_ASSIGN_OR_RETURN(auto prss, FindPrss(epoch_id));
  return RunSession<std::vector<lwe::TypedPlaintext>>(
      crypto::DeriveSessionId(DecryptionDomain(crypto::SessionOperation::kPublicDecryption,
                                               request_id, key_id, epoch_id, ciphertexts),
                              0),
      net::NetworkMode::kAsync, decryption_timeout_, [&](mpc::Session& session) {
        return mpc::PublicDecrypt(session, *key->share, *prss, ciphertexts);
      });
}

absl::StatusOr<UserDecryptionOutput> ThresholdEngine::UserDecrypt(
    const Id32& request_id, const Id32& key_id, const Id32& epoch_id,
    std::span<const lwe::TypedCiphertext> ciphertexts) {
  KMS_ASSIGN_OR_RETURN(auto key, FindPhase1Key(key_id));
  KMS_ASSIGN_OR_RETURN(auto prss, FindPrss(epoch_id));
  for (size_t i = 0; i < ciphertexts.size(); ++i) {
    absl::Status valid = mpc::ValidateForKey(ciphertexts[i], *key->share);
    if (!valid.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("ciphertexts[", i, "]: ", valid.message()));
    }
  }
  const std::vector<net::SessionId> sids =
      MaskSessionIds(DecryptionDomain(crypto::SessionOperation::kUserDecryption, request_id, key_id,
                                      epoch_id, ciphertexts),
                     ciphertexts.size());
  KMS_ASSIGN_OR_RETURN(std::vector<std::vector<mpc::Share>> shares,
                       mpc::UserDecryptionShares(*key->share, *prss, sids, ciphertexts));
  UserDecryptionOutput out{std::move(shares), {}};
  for (const lwe::TypedCiphertext& ct : ciphertexts)
    out.block_counts.push_back(static_cast<uint32_t>(ct.list.bodies.size()));
  return out;
}

absl::Status ThresholdEngine::CheckTfheCiphertexts(
    const Id32& key_id, std::span<const TfheCiphertext* const> cts) const {
  KMS_ASSIGN_OR_RETURN(auto key, FindTfheKey(key_id));
  return service::CheckTfheCiphertexts(cts, *key->tfhe_share, key->info.params.tfhe->keyset);
}

absl::StatusOr<std::vector<lwe::TypedPlaintext>> ThresholdEngine::PublicDecryptTfhe(
    const Id32& request_id, const Id32& key_id, const Id32& epoch_id,
    std::span<const TfheCiphertext> ciphertexts) {
  KMS_ASSIGN_OR_RETURN(auto key, FindTfheKey(key_id));
  KMS_ASSIGN_OR_RETURN(auto prss, FindPrss(epoch_id));
  // The squash of the Small formats runs before the session: the other parties do the same.
  KMS_ASSIGN_OR_RETURN(std::vector<mpc::TfheDecryptionInput> inputs,
                       compute_keys_.DecryptionInputs(*vaults_.public_vault, key->info,
                                                      *key->tfhe_share, ciphertexts));
  return RunSession<std::vector<lwe::TypedPlaintext>>(
      crypto::DeriveSessionId(DecryptionDomain(crypto::SessionOperation::kPublicDecryption,
                                               request_id, key_id, epoch_id, ciphertexts),
                              0),
      net::NetworkMode::kAsync, decryption_timeout_, [&](mpc::Session& session) {
        return mpc::TfhePublicDecrypt(session, *key->tfhe_share, *prss, inputs);
      });
}

absl::StatusOr<UserDecryptionOutput> ThresholdEngine::UserDecryptTfhe(
    const Id32& request_id, const Id32& key_id, const Id32& epoch_id,
    std::span<const TfheCiphertext> ciphertexts) {
  KMS_ASSIGN_OR_RETURN(auto key, FindTfheKey(key_id));
  KMS_ASSIGN_OR_RETURN(auto prss, FindPrss(epoch_id));
  KMS_ASSIGN_OR_RETURN(std::vector<mpc::TfheDecryptionInput> inputs,
                       compute_keys_.DecryptionInputs(*vaults_.public_vault, key->info,
                                                      *key->tfhe_share, ciphertexts));
  const std::vector<net::SessionId> sids =
      MaskSessionIds(DecryptionDomain(crypto::SessionOperation::kUserDecryption, request_id, key_id,
                                      epoch_id, ciphertexts),
                     ciphertexts.size());
  KMS_ASSIGN_OR_RETURN(std::vector<std::vector<mpc::Share>> shares,
                       mpc::TfheUserDecryptionShares(*key->tfhe_share, *prss, sids, inputs));
  UserDecryptionOutput out{std::move(shares), {}};
  for (const mpc::TfheDecryptionInput& in : inputs)
    out.block_counts.push_back(static_cast<uint32_t>(in.blocks.size()));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Listings and health

absl::StatusOr<PublicKeyInfo> ThresholdEngine::GetPublicKey(const Id32& key_id) const {
  KMS_ASSIGN_OR_RETURN(auto key, FindKey(key_id));
  return key->info;
}

std::vector<std::string> ThresholdEngine::KeyIds() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, unused] : keys_) out.push_back(id);
  return out;
}

std::vector<std::string> ThresholdEngine::PreprocessingIds() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, entry] : preprocessing_) {
    if (entry.state == PreprocState::kComplete) out.push_back(id);
  }
  return out;
}

std::vector<std::string> ThresholdEngine::EpochIds() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, unused] : prss_) out.push_back(id);
  return out;
}

std::vector<PeerProbe> ThresholdEngine::ProbePeers(std::chrono::milliseconds timeout) {
  std::vector<PeerProbe> out;
  if (net_ == nullptr) return out;
  const Clock::time_point deadline = Clock::now() + timeout;
  std::vector<std::future<PeerProbe>> pending;
  for (const auto& [party, endpoint] : endpoints_) {
    if (party == my_id_) continue;
    pending.push_back(
        std::async(std::launch::async, [this, party = party, endpoint = endpoint, deadline] {
          PeerProbe probe;
          probe.party_id = party;
          probe.endpoint = endpoint;
          absl::StatusOr<Clock::duration> rtt =
              net_->HealthCheck(static_cast<net::Role>(party), deadline);
          if (rtt.ok()) {
            probe.reachable = true;
            probe.latency_ms = static_cast<uint64_t>(
                std::chrono::duration_cast<std::chrono::milliseconds>(*rtt).count());
          } else {
            probe.error = std::string(rtt.status().message());
          }
          return probe;
        }));
  }
  for (auto& f : pending) out.push_back(f.get());
  return out;
}

void ThresholdEngine::NetworkTotals(uint64_t* rx, uint64_t* tx, uint64_t* sessions) const {
  if (net_ == nullptr) {
    *rx = *tx = *sessions = 0;
    return;
  }
  *rx = net_->rx_bytes();
  *tx = net_->tx_bytes();
  *sessions = net_->active_sessions();
}

void ThresholdEngine::Shutdown() {
  if (net_ != nullptr) net_->Shutdown();
}

}  // namespace kms::service
