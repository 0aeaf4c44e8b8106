// File: common/cluster_health.h
//
// The status of a threshold cluster from how many of its n parties are reachable (this node
// included). One rule, shared by kms-server (GetHealthStatus, /health) and kms-health-check.
//
// The rule follows what the cluster can still do. Decryption is one asynchronous robust open
// (crypto-spec B §1.6 at degree t): it completes once q parties answer, q = 2t + 1 when
// n <= 4t (n = 3t + 1 included: q = n - t), q = 3t + 1 when n > 4t. Key generation and PRSS
// init (synchronous) tolerate the same t missing parties.
//   OPTIMAL    all n reachable
//   HEALTHY    at least q + 1: decryption works and survives one more failure
//   DEGRADED   exactly q: decryption works, one more failure stops it
//   UNHEALTHY  fewer than q: decryption cannot complete
// For n = 13, t = 4 (q = 9): 13 optimal, 10-12 healthy, 9 degraded, <= 8 unhealthy; for n = 4,
// t = 1 (q = 3): 4 optimal, 3 degraded, <= 2 unhealthy.
//
// This departs from the reference's counts (healthy at >= floor(2n/3) + 1, degraded above t + 1),
// which call a 13-party cluster with 8 reachable "degraded" although no decryption can complete,
// and one with 9 reachable "healthy" although the next failure stops every decryption.
#ifndef KMS_COMMON_CLUSTER_HEALTH_H_
#define KMS_COMMON_CLUSTER_HEALTH_H_

namespace kms {

enum class ClusterHealth { kOptimal, kHealthy, kDegraded, kUnhealthy };

// Parties that must answer for a decryption to complete.
inline int DecryptionQuorum(int n, int t) { return n > 4 * t ? 3 * t + 1 : 2 * t + 1; }

inline ClusterHealth ClusterHealthFor(int n, int t, int reachable) {
  if (n > 0 && reachable >= n) return ClusterHealth::kOptimal;
  const int quorum = DecryptionQuorum(n, t);
  if (reachable >= quorum + 1) return ClusterHealth::kHealthy;
  if (reachable >= quorum) return ClusterHealth::kDegraded;
  return ClusterHealth::kUnhealthy;
}

}  // namespace kms

#endif  // KMS_COMMON_CLUSTER_HEALTH_H_
