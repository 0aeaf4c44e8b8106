// File: client/key_acceptance.h
//
// When the client accepts a public key. Encrypting under a key that one party made up would hand
// the plaintext to that party, so the word of the party that serves the key is not enough: a key
// is accepted only when
//
//   - at least t + 1 DISTINCT operators signed key-generation results (EIP-712
//     KeygenVerification, client/response_verification.h) naming this key id with the same
//     public-key digest, parameter set and insecure mark (all signed), and
//   - the key bytes hash to that digest: SHAKE256("PDAT_KEY" ‖ bytes).
//
// An operator counts only through the party it is pinned for: the result answered by the party
// at position i counts when its signature recovers to the address pinned for that party, never
// another one (an operator key swapped on the server, or another party's result relayed), and
// each address counts once. With at most t lying parties, t + 1 such signatures include an honest
// party's. Two different statements that each reach t + 1 signatures mean that more than t
// parties lie: Aborted, no key.
//
// The pins come from client.toml (`signer_address` of each [[parties]] entry, which kms-local
// writes from the public vaults it created; see client_config.h) or, only when the caller asks for
// it explicitly (trust on first use, ClusterClient::set_trust_on_first_use), from the parties'
// own GetOperatorPublicKey answers, which anyone answering for a party can choose.
//
// Pure functions: no network; thread-safe.
#ifndef KMS_CLIENT_KEY_ACCEPTANCE_H_
#define KMS_CLIENT_KEY_ACCEPTANCE_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "crypto/secp256k1_signer.h"
#include "proto/kms_service.pb.h"

namespace kms::client {

// The operator expected behind one party address.
struct PinnedOperator {
  uint32_t party_id = 0;        // 1..n; 0 for a centralized server
  crypto::EthAddress signer{};  // the Ethereum address of its signing key
};

// One party's answer to GetKeyGenResult (or to the key generation the client drove).
struct PartyKeyGenAnswer {
  std::string name;                   // "party 2 (127.0.0.1:50200)": for messages only
  std::optional<PinnedOperator> pin;  // nullopt: no expected signer; the answer never counts
  absl::StatusOr<v1::KeyGenResult> result = absl::UnknownError("not asked");
};

// What at least t + 1 pinned operators signed about one key.
struct KeyEndorsement {
  std::string key_id;
  std::string public_key_digest;  // 32 bytes
  std::string fhe_parameter;
  bool insecure = false;
  std::vector<size_t> endorsers;      // positions in the answers, one per distinct signer
  std::vector<uint32_t> party_ids;    // the endorsers' pinned party ids, sorted
  size_t required = 0;                // t + 1
  std::vector<std::string> problems;  // one line per answer that did not count
};

// Tallies the answers for `key_id` (also the request id of its key generation). A result
// counts when it passes CheckKeyGenResultFields, names `key_id`, and its signature under one of
// `domains` (tried in order) recovers to the answer's pinned address not yet counted.
// FailedPrecondition "public key <id>: only 1 of the t + 1 = 2 required parties signed digest <hex>
// (...); party 3: signer 0x... is not the pinned 0x...; ..." when fewer than t + 1 agree; Aborted
// when two statements each have t + 1 signatures.
absl::StatusOr<KeyEndorsement> TallyKeyGenResults(std::string_view key_id, uint32_t t,
                                                  std::span<const PartyKeyGenAnswer> answers,
                                                  std::span<const v1::Eip712Domain> domains);

// OK when SHAKE256("PDAT_KEY" ‖ public_key) is the endorsed digest; otherwise FailedPrecondition
// naming `source` (where the bytes came from) and both digests.
[[nodiscard]] absl::Status CheckEndorsedKeyBytes(const KeyEndorsement& endorsement,
                                                 std::string_view public_key,
                                                 std::string_view source);

// The EIP-712 domains a fetched key-generation result may be signed over: DefaultClientDomain()
// (what ClusterClient::KeyGen asks for; a party answers with the result it keeps in memory) and
// the server's default {"KMS", "1"} (a party that restarted signs the result it rebuilds from
// storage over it). The signed statement is the same in both.
std::vector<v1::Eip712Domain> KeyGenResultDomains();

}  // namespace kms::client

#endif  // KMS_CLIENT_KEY_ACCEPTANCE_H_
