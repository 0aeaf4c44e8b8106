#include "service/health.h"

#include "absl/strings/str_cat.h"
#include "common/cluster_health.h"

namespace kms::service {

kms::v1::HealthStatus HealthFromReachable(uint32_t n, uint32_t t, uint32_t reachable) {
  switch (ClusterHealthFor(static_cast<int>(n), static_cast<int>(t), static_cast<int>(reachable))) {
    case ClusterHealth::kOptimal:
      return kms::v1::HEALTH_STATUS_OPTIMAL;
    case ClusterHealth::kHealthy:
      return kms::v1::HEALTH_STATUS_HEALTHY;
    case ClusterHealth::kDegraded:
      return kms::v1::HEALTH_STATUS_DEGRADED;
    case ClusterHealth::kUnhealthy:
      break;
  }
  return kms::v1::HEALTH_STATUS_UNHEALTHY;
}

const char* HealthStatusName(kms::v1::HealthStatus status) {
  switch (status) {
    case kms::v1::HEALTH_STATUS_OPTIMAL:
      return "OPTIMAL";
    case kms::v1::HEALTH_STATUS_HEALTHY:
      return "HEALTHY";
    case kms::v1::HEALTH_STATUS_DEGRADED:
      return "DEGRADED";
    case kms::v1::HEALTH_STATUS_UNHEALTHY:
      return "UNHEALTHY";
    default:
      return "UNSPECIFIED";
  }
}

int HealthHttpStatus(kms::v1::HealthStatus status) {
  switch (status) {
    case kms::v1::HEALTH_STATUS_OPTIMAL:
    case kms::v1::HEALTH_STATUS_HEALTHY:
      return 200;
    case kms::v1::HEALTH_STATUS_DEGRADED:
      return 429;
    default:
      return 503;
  }
}

std::string DescribeStorage(const storage::VaultSet& vaults) {
  std::string out = absl::StrCat("public: ", vaults.public_vault->Describe(),
                                 "; private: ", vaults.private_vault->Describe());
  if (vaults.backup_vault) absl::StrAppend(&out, "; backup: ", vaults.backup_vault->Describe());
  return out;
}

KeyMaterial ListKeyMaterial(const Engine& engine, storage::VaultSet& vaults) {
  KeyMaterial out;
  absl::StatusOr<std::vector<std::string>> keys = vaults.private_vault->List(
      engine.threshold() ? storage::kFheKeyInfo : storage::kFhePrivateKey);
  out.fhe_key_ids = keys.ok() ? *keys : engine.KeyIds();
  absl::StatusOr<std::vector<std::string>> epochs = vaults.private_vault->List(storage::kPrssSetup);
  out.epoch_ids = epochs.ok() ? *epochs : engine.EpochIds();
  out.preprocessing_ids = engine.PreprocessingIds();
  for (const std::string& id : out.fhe_key_ids) {
    absl::StatusOr<Id32> key_id = ParseId("key id", id);
    if (!key_id.ok()) continue;
    absl::StatusOr<PublicKeyInfo> key = engine.GetPublicKey(*key_id);
    if (key.ok() && key->insecure) out.insecure_fhe_key_ids.push_back(id);
  }
  return out;
}

kms::v1::HealthStatusResponse BuildHealthStatus(Engine& engine, storage::VaultSet& vaults,
                                                Metrics* metrics, std::string_view version,
                                                std::string_view client_port_auth,
                                                std::string_view ciphertext_admission) {
  kms::v1::HealthStatusResponse out;
  const KeyMaterial material = ListKeyMaterial(engine, vaults);
  for (const auto& id : material.fhe_key_ids) out.add_my_fhe_key_ids(id);
  for (const auto& id : material.preprocessing_ids) out.add_my_preprocessing_key_ids(id);
  for (const auto& id : material.epoch_ids) out.add_my_epoch_ids(id);
  for (const auto& id : material.insecure_fhe_key_ids) out.add_my_insecure_fhe_key_ids(id);
  out.set_my_storage_info(DescribeStorage(vaults));
  out.set_version(std::string(version));
  out.set_client_port_auth(std::string(client_port_auth));
  out.set_ciphertext_admission(std::string(ciphertext_admission));
  if (!engine.threshold()) {
    out.set_node_type(kms::v1::NODE_TYPE_CENTRALIZED);
    out.set_status(kms::v1::HEALTH_STATUS_OPTIMAL);
    return out;
  }
  out.set_node_type(kms::v1::NODE_TYPE_THRESHOLD);
  const uint32_t n = engine.num_parties();
  const uint32_t t = engine.degree();
  kms::v1::ContextHealth* ctx = out.add_peers_from_all_contexts();
  ctx->set_context_id(IdToHex(DefaultEpochId()));
  ctx->set_my_party_id(engine.party_id());
  ctx->set_threshold_required(t + 1);
  ctx->set_num_parties(n);
  ctx->set_threshold(t);
  uint32_t reachable = 1;  // this node
  for (const PeerProbe& probe : engine.ProbePeers(kPeerProbeTimeout)) {
    kms::v1::PeerHealth* peer = ctx->add_peers();
    peer->set_peer_id(probe.party_id);
    peer->set_endpoint(probe.endpoint);
    peer->set_reachable(probe.reachable);
    peer->set_latency_ms(probe.latency_ms);
    peer->set_error(probe.error);
    if (probe.reachable) ++reachable;
    if (metrics != nullptr)
      metrics->SetPeerReachable(static_cast<int>(probe.party_id), probe.reachable);
  }
  ctx->set_nodes_reachable(reachable);
  const kms::v1::HealthStatus status = HealthFromReachable(n, t, reachable);
  ctx->set_status(status);
  out.set_status(status);
  return out;
}

}  // namespace kms::service
