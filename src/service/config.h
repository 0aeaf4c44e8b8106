// File: service/config.h
//
// The server's TOML configuration (service-spec §4): one loader and validator, used by
// kms-server at start-up and by `kms-health-check config`, which prints every problem with its
// key path. Unknown keys are errors anywhere in the file; every problem is collected, so an
// operator fixes a file in one round instead of one error per restart.
//
//   [service]            listen_address "0.0.0.0", listen_port 50100, timeout_secs 360,
//                        grpc_max_message_size 104857600, result_wait_secs 60 (how long
//                        Get*Result waits before UNAVAILABLE), fhe_parameter (see below),
//                        allow_insecure_parameters false (see below)
//   [service.tls]        {cert, key}: the client port serves mutual TLS (absent: plaintext,
//                        unauthenticated, development only; see "Callers" below)
//   [[service.callers]]  {name, cert, roles}: who may call, with which roles (needs service.tls)
//   [public_vault.storage.<backend>]   exactly one backend per vault:
//   [private_vault.storage.<backend>]    file {path, prefix?}
//   [backup_vault.storage.<backend>]     s3 {bucket, prefix?, endpoint?, region?,
//                                            access_key_id?, secret_access_key?}
//   (backup_vault optional)              postgres {dsn, prefix?}
//                                        ram {}
//   [threshold]          absent = centralized mode. listen_address "0.0.0.0", listen_port 50001,
//                        my_id, threshold (t), fhe_parameter, insecure false,
//                        round_timeout_secs 20, decryption_timeout_secs 60,
//                        preprocessing_sessions 2, preprocessing_chunk 10000 (items per
//                        stored chunk and per session), [threshold.tls] {cert, key},
//                        [[threshold.peers]] {party_id, address, port, mpc_identity?, tls_cert}
//   [telemetry]          metrics_bind_address "0.0.0.0:9646", log_format "text"|"json",
//                        log_level "error"|"warn"|"info"|"debug" (default "info")
//   [rate_limiter]       bucket_size 50000, pub_decrypt 1, user_decrypt 1, keygen 1000,
//                        preproc 25000, new_epoch 1
//   [admission]          which ciphertexts this party decrypts (service/ciphertext_admission.h):
//                        policy "trusted-callers" (default) | "attested" | "open",
//                        producers [] (attested: EIP-55 addresses of the ciphertext producers,
//                        distinct, at least one), required 1 (attested: how many distinct
//                        producers must sign each ciphertext, 1..len(producers)), chain_id
//                        (attested, optional: the chainId of the attestations' EIP-712 domain,
//                        0..2^63-1). producers, required and chain_id are errors under another
//                        policy, so that an operator never believes attestations are checked
//                        when they are not.
//
// The FHE parameter set ("default" or "test") is threshold.fhe_parameter in threshold mode and
// service.fhe_parameter in centralized mode (both default to "default"; setting both to different
// values is an error). "test" (n = 512) is insecure: a configuration choosing it, and a request
// naming it (KeyGenPreproc, KeyGen, InsecureKeyGen), are refused unless
// service.allow_insecure_parameters = true (kms-local sets it for its test-parameter clusters);
// keys made with it are marked insecure. Independent of threshold.insecure, which allows the
// dealer (InsecureKeyGen) whatever the parameter set.
//
// Rate limiter costs: pub_decrypt and user_decrypt are tokens per LWE block of the request's
// ciphertexts (an euint64 is 4 blocks of 16 bits), preproc is tokens per preprocessing unit of
// 10,000 random bits (kPreprocessingUnitBits; "default" needs 14 units, "test" 2), keygen and
// new_epoch tokens per request. A request costing more than bucket_size can never run.
//
// Callers: with [service.tls], every caller presents a client certificate that is one of the
// service.callers certificates (pinned, self-signed like the parties' own:
// crypto/tls_certificate.h), and may call the RPCs of its roles: "admin" (PRSS init and epochs,
// preprocessing, key generation, abort, destroy), "decrypt" (public and user decryption and their
// results), "read" (health, key material, operator and public keys, results of epochs and key
// generations). service/authorization.h maps every RPC to its role. Without [service.tls] the port
// is plaintext and every caller holds every role, which the logs, /health and kms-health-check say.
//
// Paths: relative paths (TLS files, peer certificates, file storage roots) are relative to the
// folder holding the configuration file; the struct keeps them as written and ResolvePath() /
// OpenVaults() resolve them. Storage prefixes left out default to PUB-p<my_id>, PRIV-p<my_id>,
// BACKUP-p<my_id> (PUB, PRIV, BACKUP in centralized mode).
//
// Environment overrides: KMS_CORE__<SECTION>__<KEY>=value, upper case, one "__" per level
// (KMS_CORE__THRESHOLD__MY_ID=3, KMS_CORE__PUBLIC_VAULT__STORAGE__FILE__PATH=/data/keys,
// KMS_CORE__THRESHOLD__PEERS__0__ADDRESS=p1.internal with a 0-based index into an existing
// [[threshold.peers]] entry; a list of strings is comma-separated:
// KMS_CORE__ADMISSION__PRODUCERS=0xAb…,0xCd…). The value is parsed as the type the key expects; an
// override of an unknown key is an error. S3 credentials left out of the file come from
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
//
// Secrets (S3 secret key, a password inside a PostgreSQL DSN) never appear in problems or in
// DescribeConfig().
#ifndef KMS_SERVICE_CONFIG_H_
#define KMS_SERVICE_CONFIG_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "crypto/secp256k1_signer.h"
#include "storage/storage_config.h"
#include "storage/vault.h"

namespace kms::service {

// Where configuration overrides come from. Tests use MapEnvironment so they never touch the
// process environment.
class Environment {
 public:
  virtual ~Environment() = default;
  virtual std::optional<std::string> Get(std::string_view name) const = 0;
  // Every (name, value) pair, sorted by name.
  virtual std::vector<std::pair<std::string, std::string>> All() const = 0;
};

class MapEnvironment final : public Environment {
 public:
  MapEnvironment() = default;
  explicit MapEnvironment(const std::map<std::string, std::string>& vars)
      : vars_(vars.begin(), vars.end()) {}
  void Set(std::string name, std::string value) { vars_[std::move(name)] = std::move(value); }
  std::optional<std::string> Get(std::string_view name) const override;
  std::vector<std::pair<std::string, std::string>> All() const override;

 private:
  std::map<std::string, std::string, std::less<>> vars_;
};

// The real process environment (read at each call).
class ProcessEnvironment final : public Environment {
 public:
  std::optional<std::string> Get(std::string_view name) const override;
  std::vector<std::pair<std::string, std::string>> All() const override;
};

enum class FheParameter { kDefault, kTest };
enum class LogFormat { kText, kJson };
enum class LogLevel { kError, kWarn, kInfo, kDebug };

const char* FheParameterName(FheParameter p);  // "default" / "test"
const char* LogFormatName(LogFormat f);        // "text" / "json"
const char* LogLevelName(LogLevel l);          // "error" / "warn" / "info" / "debug"

// The roles of a caller of the client port (service/authorization.h).
enum class CallerRole { kAdmin, kDecrypt, kRead };
const char* CallerRoleName(CallerRole r);  // "admin" / "decrypt" / "read"

struct TlsConfig {
  std::string cert;  // PEM certificate, path as written
  std::string key;   // PEM private key, path as written
};

struct CallerConfig {
  std::string name;  // for logs and metrics: letters, digits, '-', '_', '.'
  std::string cert;  // the caller's PEM certificate, path as written
  std::vector<CallerRole> roles;
};

struct ServiceConfig {
  std::string listen_address = "0.0.0.0";
  uint16_t listen_port = 50100;
  uint32_t timeout_secs = 360;
  uint64_t grpc_max_message_size = 104857600;
  uint32_t result_wait_secs = 60;
  // Centralized mode's parameter set; nullopt = not set in the file (see fhe_parameter()).
  std::optional<FheParameter> fhe_parameter;
  // Whether the insecure "test" parameter set may be configured or requested (both modes).
  bool allow_insecure_parameters = false;
  // The client port's TLS identity; nullopt: plaintext without authentication.
  std::optional<TlsConfig> tls;
  std::vector<CallerConfig> callers;
};

struct VaultConfig {
  storage::StorageConfig storage;
};

struct PeerConfig {
  uint32_t party_id = 0;
  std::string address;
  uint16_t port = 0;
  std::string mpc_identity;  // the CN/SAN its certificate must carry; defaults to address
  std::string tls_cert;      // path as written
};

struct ThresholdConfig {
  std::string listen_address = "0.0.0.0";
  uint16_t listen_port = 50001;
  uint32_t my_id = 0;
  uint32_t threshold = 0;  // t
  FheParameter fhe_parameter = FheParameter::kDefault;
  bool insecure = false;  // allows InsecureKeyGen (a dealer); never in production
  uint32_t round_timeout_secs = 20;
  uint32_t decryption_timeout_secs = 60;
  uint32_t preprocessing_sessions = 2;
  // Items per preprocessing chunk (one session and one private-vault object each): bounds the
  // memory a lane needs and the work a restart loses.
  uint32_t preprocessing_chunk = 10000;
  TlsConfig tls;
  std::vector<PeerConfig> peers;

  size_t num_parties() const { return peers.size(); }
  // This party's entry; nullptr when my_id names no peer (a validation problem).
  const PeerConfig* me() const;
};

struct TelemetryConfig {
  std::string metrics_bind_address = "0.0.0.0:9646";
  LogFormat log_format = LogFormat::kText;
  LogLevel log_level = LogLevel::kInfo;
};

// Token-bucket rate limiting: each request costs its operation's tokens out of bucket_size
// (service/rate_limiter.h): decryptions per LWE block, preprocessing per unit of
// kPreprocessingUnitBits bits, the others per request.
struct RateLimiterConfig {
  uint64_t bucket_size = 50000;
  uint64_t pub_decrypt = 1;   // per LWE block
  uint64_t user_decrypt = 1;  // per LWE block
  uint64_t keygen = 1000;     // per request
  uint64_t preproc = 2000;    // per 10,000 preprocessed bits ("default": 14 units = 28,000)
  uint64_t new_epoch = 1;     // per request
};

// Ciphertext admission (service/ciphertext_admission.h): which ciphertexts this party decrypts.
enum class AdmissionPolicy { kTrustedCallers, kAttested, kOpen };
const char* AdmissionPolicyName(AdmissionPolicy p);  // "trusted-callers" / "attested" / "open"

struct AdmissionConfig {
  AdmissionPolicy policy = AdmissionPolicy::kTrustedCallers;
  std::vector<crypto::EthAddress> producers;  // attested only; distinct
  uint32_t required = 1;                      // attested only; 1..producers.size()
  std::optional<uint64_t> chain_id;           // attested only; the EIP-712 domain's chainId
};

struct ServerConfig {
  ServiceConfig service;
  VaultConfig public_vault;
  VaultConfig private_vault;
  std::optional<VaultConfig> backup_vault;
  std::optional<ThresholdConfig> threshold;  // nullopt: centralized mode
  TelemetryConfig telemetry;
  RateLimiterConfig rate_limiter;
  AdmissionConfig admission;
  // Folder of the configuration file (absolute when loaded from a file); relative paths in the
  // file are relative to it.
  std::string config_dir;

  bool centralized() const { return !threshold.has_value(); }
  // threshold.fhe_parameter in threshold mode, service.fhe_parameter (default "default")
  // otherwise.
  FheParameter fhe_parameter() const;
  // `path` if absolute, else config_dir/path.
  std::string ResolvePath(std::string_view path) const;
  // `vault`'s storage with a file root resolved against config_dir.
  storage::StorageConfig ResolvedStorage(const VaultConfig& vault) const;
};

// One problem: the dotted key path ("threshold.peers[2].port"; arrays 0-based; "" for the whole
// file) and what is wrong.
struct ConfigProblem {
  std::string key_path;
  std::string message;
  // "<key_path>: <message>", or the message alone when key_path is empty.
  std::string ToString() const;
};

struct ConfigLoadResult {
  ServerConfig config;  // meaningful only where no problem was reported
  std::vector<ConfigProblem> problems;
  bool ok() const { return problems.empty(); }
};

// What the loader checks beyond the file itself.
struct ConfigLoadOptions {
  // Whether threshold.tls.{cert,key} and every peer's tls_cert must exist. kms-gen-keys turns
  // this off: it is the tool that creates this party's files, and the peers' certificates come
  // from the other parties later.
  bool require_tls_files = true;
};

// Reads, parses, applies overrides from `env` and validates; every problem is reported.
ConfigLoadResult LoadConfigWithProblems(const std::string& path, const Environment& env,
                                        const ConfigLoadOptions& options = {});
// The same for TOML text; `config_dir` plays the role of the file's folder.
ConfigLoadResult ParseConfig(std::string_view toml_text, const std::string& config_dir,
                             const Environment& env, const ConfigLoadOptions& options = {});

// LoadConfigWithProblems, folded into a status: InvalidArgument listing every problem, one per
// line ("invalid configuration <path>:\n  threshold.my_id: ...").
absl::StatusOr<ServerConfig> LoadConfig(const std::string& path, const Environment& env,
                                        const ConfigLoadOptions& options = {});

// The checks that need the whole configuration: n >= 3t + 1, at most 15 parties, party ids
// 1..n without duplicates, my_id among the peers, distinct identities, port clashes, files that
// must exist (TLS certificate and key, peer certificates), vaults that must not coincide,
// conflicting parameter sets. LoadConfig* run it; exposed for configurations built in code.
std::vector<ConfigProblem> ValidateConfig(const ServerConfig& config);

// A human summary for `kms-health-check config`: mode, n, t, t + 1, floor(2n/3) + 1, the peers,
// the vaults (with their effective prefixes), telemetry and rate limits. No secrets.
std::string DescribeConfig(const ServerConfig& config);

// The vaults this configuration names, with default prefixes for this party and file roots
// resolved against config_dir (storage::OpenVaultSet).
absl::StatusOr<storage::VaultSet> OpenVaults(const ServerConfig& config);

}  // namespace kms::service

#endif  // KMS_SERVICE_CONFIG_H_
