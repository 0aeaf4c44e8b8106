// File: client/client_config.h
//
// The small configuration file of kms-client (`kms-client --config client.toml ...`), listing
// the parties of one KMS so that an application does not repeat every address on each command.
// kms-local writes one for the cluster it starts (<dir>/client.toml).
//
//   threshold = 1                    # t; optional (asked from the parties when absent)
//   fhe_parameter = "default"        # optional: the set keygen asks for
//   connection_timeout_secs = 5      # optional
//   request_timeout_secs = 60        # optional: one RPC (decryption, poll)
//   operation_timeout_secs = 1800    # optional: PRSS setup, preprocessing + keygen
//
//   [tls]                            # optional: TLS to the client ports (client_tls.h); paths
//   ca = "certs/client-ports.pem"    #   relative to this file. --tls-* flags win over it,
//   cert = "certs/operator.pem"      #   and it wins over KMS_TLS_* in the environment
//   key = "certs/operator.key"
//
//   [[parties]]
//   party_id = 1
//   address = "http://127.0.0.1:50100"
//   signer_address = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"  # the operator's address
//   ...
//
// signer_address pins the Ethereum address of the party's signing key (EIP-55 checksummed, as
// kms-gen-keys prints it and publishes it at VerfAddress/ in the party's public vault). The
// client accepts a public key only when t + 1 pinned operators signed it (client/key_acceptance.h)
// and checks the decryption answers against the pinned addresses. Give it for every party or for
// none; without pins, a public key is refused unless the caller explicitly trusts the addresses
// the parties report (kms-client --trust-on-first-use). kms-local writes the pins.
//
// Unknown keys are errors (as in the server's configuration), reported with their key path.
#ifndef KMS_CLIENT_CLIENT_CONFIG_H_
#define KMS_CLIENT_CLIENT_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "client/client_tls.h"
#include "crypto/secp256k1_signer.h"

namespace kms::client {

struct ClientPartyConfig {
  uint32_t party_id = 0;
  std::string address;                       // as written; see endpoint.h
  std::optional<crypto::EthAddress> signer;  // signer_address; nullopt: not pinned
};

struct ClientConfig {
  std::optional<uint32_t> threshold;
  std::string fhe_parameter;  // empty: the servers' set
  uint32_t connection_timeout_secs = 5;
  uint32_t request_timeout_secs = 60;
  uint32_t operation_timeout_secs = 1800;
  ClientTlsFiles tls;  // [tls]; empty: none (LoadClientConfig resolves relative paths)
  std::vector<ClientPartyConfig> parties;  // sorted by party_id

  // The party addresses in party-id order.
  std::vector<std::string> Addresses() const;
  // True when every party has a signer_address (the parser allows all or none).
  bool pinned() const;
};

// Parses client TOML text. InvalidArgument listing every problem with its key path
// ("parties[1].address: ..."), e.g. unknown keys, missing or duplicate party ids, malformed
// addresses, no parties, timeouts of 0, a threshold with n < 3t + 1, a signer_address that is not
// an EIP-55 checksummed address, given for some parties only, or pinned for two parties.
absl::StatusOr<ClientConfig> ParseClientConfig(std::string_view toml_text);
// Reads and parses a file; NotFound / InvalidArgument naming the path.
absl::StatusOr<ClientConfig> LoadClientConfig(const std::string& path);

// The TOML text of `config` (what kms-local writes); ParseClientConfig reads it back.
std::string ClientConfigToToml(const ClientConfig& config);

}  // namespace kms::client

#endif  // KMS_CLIENT_CLIENT_CONFIG_H_
