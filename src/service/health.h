// File: service/health.h
//
// GetHealthStatus and /health (service-spec §2, §6). The status of a threshold party follows from
// how many of the n parties answer a ping over the peer network (mutual TLS, ~2 s deadline, all
// peers in parallel), this node included, by the rule of common/cluster_health.h (OPTIMAL all n;
// HEALTHY one failure away from the decryption quorum; DEGRADED at the quorum; UNHEALTHY below;
// n = 13: 13 / 10-12 / 9 / <= 8). A centralized server has no peers and is OPTIMAL.
// /health answers HTTP 200 for OPTIMAL and HEALTHY, 429 for DEGRADED and 503 for UNHEALTHY.
#ifndef KMS_SERVICE_HEALTH_H_
#define KMS_SERVICE_HEALTH_H_

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "proto/kms_service.pb.h"
#include "service/engine.h"
#include "service/metrics.h"
#include "storage/vault.h"

namespace kms::service {

// Deadline of one peer ping.
inline constexpr std::chrono::milliseconds kPeerProbeTimeout{2000};

kms::v1::HealthStatus HealthFromReachable(uint32_t n, uint32_t t, uint32_t reachable);

// "OPTIMAL", "HEALTHY", "DEGRADED", "UNHEALTHY" ("UNSPECIFIED" otherwise).
const char* HealthStatusName(kms::v1::HealthStatus status);

// 200, 429 or 503 for /health.
int HealthHttpStatus(kms::v1::HealthStatus status);

// Probes the peers (threshold mode) and assembles the whole answer: contexts, key material,
// storage, node type, overall status, version, how the client port authenticates callers
// (ClientPortAuth::Describe) and the ciphertext admission policy (CiphertextAdmission::Describe).
// Updates kms_peer_reachable when `metrics` is set.
kms::v1::HealthStatusResponse BuildHealthStatus(Engine& engine, storage::VaultSet& vaults,
                                                Metrics* metrics, std::string_view version,
                                                std::string_view client_port_auth,
                                                std::string_view ciphertext_admission);

// The key material a party holds: FHE key ids and PRSS epoch ids as listed by the private vault
// (FheKeyInfo or FhePrivateKey, PrssSetup; the engine's loaded copy when the vault cannot be
// listed), and the ids of complete preprocessings (the engine's, loaded from PreprocManifest).
struct KeyMaterial {
  std::vector<std::string> fhe_key_ids;
  std::vector<std::string> epoch_ids;
  std::vector<std::string> preprocessing_ids;
  // The ids of fhe_key_ids whose key is insecure (PublicKeyInfo::insecure).
  std::vector<std::string> insecure_fhe_key_ids;
};
KeyMaterial ListKeyMaterial(const Engine& engine, storage::VaultSet& vaults);

// "public: <describe>; private: <describe>[; backup: <describe>]".
std::string DescribeStorage(const storage::VaultSet& vaults);

}  // namespace kms::service

#endif  // KMS_SERVICE_HEALTH_H_
