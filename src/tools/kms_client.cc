// File: tools/kms_client.cc
//
// kms-client: the application and operator client of a KMS (service-spec §1).
//
//   kms-client [--addresses A ... | --endpoint H:P [--signer-address 0x..] | --config client.toml]
//              [--trust-on-first-use] <command>
//     keygen [--insecure] [--params test|default|tfhe-test|tfhe-default]
//                                                      preprocessing + DKG on all parties
//     encrypt --key-id K --type euint64 --value 42 [--public-key-file F] [-o ct.bin]
//     public-decrypt --key-id K (--type T --value V | --ciphertext-file F |
//                    --type T --ciphertext F [--format FMT]) [--attest-with P]
//     user-decrypt   --key-id K (same ciphertext options) [--attest-with P]
//     producer-key new --out P                          a ciphertext producer's key (mode 0600)
//     producer-key address --key P                      its address, for [admission] producers
//     get-public-key K -o pk.bin
//     call <Rpc> [json]                                 any kms.v1.CoreService RPC, JSON answer
//
// --attest-with P signs the ciphertext as the producer whose key file is P (EIP-712
// CiphertextAttestation, crypto/ciphertext_attestation.h) and sends the signature in extra_data,
// for parties with [admission] policy = "attested" that list P's address; --attest-chain-id
// gives their admission.chain_id when they set one.
// A public key (keygen, get-public-key, and encrypt / decrypt with --type and --value, which
// download the key) is accepted only when t + 1 operators pinned in client.toml (signer_address,
// which kms-local writes) signed its digest and the bytes match (client/key_acceptance.h); the
// decryption answers are checked against the same pins. A centralized server is pinned with
// --endpoint H:P --signer-address 0x... (the address kms-gen-keys prints). Without pins a public
// key is refused, unless --trust-on-first-use takes the addresses the parties report about
// themselves (GetOperatorPublicKey), with a warning: whoever answers for the parties can then
// substitute the key. A --public-key-file is trusted as given (get-public-key checked it).
//
// Without --addresses, --endpoint or --config the client talks to localhost:50100. Long
// operations print progress to stderr; results go to stdout as "name: value" lines that scripts
// can pick up (`awk '/^key_id:/ {print $2}'`). Exit codes: 0 success, 1 the operation failed,
// 2 bad arguments.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/ciphertext_attestation.h"
#include "client/client_config.h"
#include "client/cluster_client.h"
#include "client/json_message.h"
#include "client/progress.h"
#include "client/request_id.h"
#include "client/typed_encryption.h"
#include "client/user_decrypt_flow.h"
#include "common/status_macros.h"
#include "crypto/random.h"
#include "crypto/secp256k1_signer.h"
#include "tfhe/compact_public_key.h"
#include "tfhe/named_keysets.h"
#include "tools/tls_flags.h"

namespace kms::tools {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

struct GlobalFlags {
  std::vector<std::string> addresses;
  std::string endpoint;
  std::string config;
  int connect_timeout_secs = 0;  // 0: from the config or the default
  int timeout_secs = 0;
  bool quiet = false;
  client::ClientTlsFiles tls;
  std::string signer_address;  // with --endpoint: the centralized server's operator
  bool trust_on_first_use = false;
};

struct Target {
  std::vector<std::string> addresses;
  std::optional<uint32_t> threshold;
  std::string fhe_parameter;
  client::ClientOptions options;
  std::chrono::milliseconds operation_timeout{std::chrono::minutes(30)};
  std::vector<client::PinnedOperator> pins;  // empty: not pinned
};

int Fail(const absl::Status& status) {
  std::cerr << "kms-client: " << status.message() << "\n";
  return kExitFailed;
}

// A malformed argument found before anything is sent.
int Usage(const absl::Status& status) {
  std::cerr << "kms-client: " << status.message() << "\n";
  return kExitUsage;
}

std::string Ms(std::chrono::milliseconds d) { return client::FormatDuration(d); }

std::chrono::milliseconds Since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

absl::StatusOr<Target> ResolveTarget(const GlobalFlags& flags) {
  Target target;
  target.options.connect_timeout = std::chrono::seconds(5);
  target.options.request_timeout = std::chrono::seconds(60);
  const int given =
      (!flags.addresses.empty()) + (!flags.endpoint.empty()) + (!flags.config.empty());
  if (given > 1) {
    return absl::InvalidArgumentError("give only one of --addresses, --endpoint and --config");
  }
  client::ClientTlsFiles config_tls;
  if (!flags.config.empty()) {
    absl::StatusOr<client::ClientConfig> config = client::LoadClientConfig(flags.config);
    if (!config.ok()) return config.status();
    target.addresses = config->Addresses();
    target.threshold = config->threshold;
    target.fhe_parameter = config->fhe_parameter;
    target.options.connect_timeout = std::chrono::seconds(config->connection_timeout_secs);
    target.options.request_timeout = std::chrono::seconds(config->request_timeout_secs);
    target.operation_timeout = std::chrono::seconds(config->operation_timeout_secs);
    if (config->pinned()) {
      for (const auto& p : config->parties) target.pins.push_back({p.party_id, *p.signer});
    }
    config_tls = config->tls;
  } else if (!flags.addresses.empty()) {
    target.addresses = flags.addresses;
  } else if (!flags.endpoint.empty()) {
    target.addresses = {flags.endpoint};
  } else {
    target.addresses = {"localhost:50100"};
  }
  if (!flags.signer_address.empty()) {
    if (!flags.config.empty() || !flags.addresses.empty()) {
      return absl::InvalidArgumentError(
          "--signer-address pins one centralized server (--endpoint); pin the parties of a "
          "threshold KMS with signer_address in client.toml");
    }
    absl::StatusOr<crypto::EthAddress> signer = crypto::ParseEthAddress(flags.signer_address);
    if (!signer.ok() || flags.signer_address.size() != 42 ||
        crypto::ChecksumAddress(*signer) != flags.signer_address) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--signer-address: expected the EIP-55 checksummed address (0x and 40 hex digits) "
          "that kms-gen-keys prints, got \"",
          flags.signer_address, "\"",
          signer.ok() ? absl::StrCat("; write it as ", crypto::ChecksumAddress(*signer)) : ""));
    }
    target.pins = {{/*party_id=*/0, *signer}};
  }
  if (flags.connect_timeout_secs > 0) {
    target.options.connect_timeout = std::chrono::seconds(flags.connect_timeout_secs);
  }
  if (flags.timeout_secs > 0) {
    target.options.request_timeout = std::chrono::seconds(flags.timeout_secs);
    target.operation_timeout = std::chrono::seconds(flags.timeout_secs);
  }
  KMS_ASSIGN_OR_RETURN(target.options.tls,
                       client::LoadClientTls(client::ChooseClientTlsFiles(flags.tls, config_tls)));
  return target;
}

absl::StatusOr<std::unique_ptr<client::ClusterClient>> MakeCluster(const Target& target,
                                                                   const GlobalFlags& flags) {
  absl::StatusOr<std::unique_ptr<client::ClusterClient>> cluster =
      client::ClusterClient::Create(target.addresses, target.options);
  if (!cluster.ok()) return cluster.status();
  (*cluster)->set_progress_stream(flags.quiet ? nullptr : stderr);
  if (target.threshold.has_value()) (*cluster)->set_threshold(*target.threshold);
  if (!target.pins.empty()) {
    absl::Status pinned = (*cluster)->PinOperators(target.pins);
    if (!pinned.ok()) return pinned;
  }
  (*cluster)->set_trust_on_first_use(flags.trust_on_first_use);
  return cluster;
}

// Said on every run that relies on it: the pins are the parties' own word.
void WarnTrustOnFirstUse() {
  std::cerr << "kms-client: WARNING: --trust-on-first-use: no operator is pinned, so public keys "
               "are accepted on the signing addresses the parties report about themselves "
               "(GetOperatorPublicKey); whoever answers for the parties, or controls the network "
               "path to them, can substitute a key and read what is encrypted under it. Pin the "
               "operators with signer_address in client.toml (kms-local writes them) or "
               "--signer-address.\n";
}

// The ciphertext of a decryption command: read from a file, or made from --type/--value with
// the key downloaded from the parties (or read from --public-key-file).
struct CiphertextSource {
  std::string key_id;
  std::string type;
  std::string value;
  std::string ciphertext_file;
  std::string tfhe_file;                 // --ciphertext: tfhe-rs bytes
  std::string format = "BigCompressed";  // --format of tfhe_file
  std::string public_key_file;
  std::string attest_with;  // producer key file; empty: no attestation
  std::optional<uint64_t> attest_chain_id;
};

void AddCiphertextOptions(CLI::App* cmd, CiphertextSource& src, bool need_value) {
  cmd->add_option("--key-id,-k", src.key_id, "Key id (64 hex)")->required();
  CLI::Option* type = cmd->add_option("--type,-t", src.type, "ebool, euint4 ... euint256");
  CLI::Option* value = cmd->add_option("--value,-v", src.value, "Decimal or 0x-hex value");
  cmd->add_option("--public-key-file", src.public_key_file,
                  "Public key file (kms-client get-public-key); default: download it");
  if (!need_value) {
    cmd->add_option("--attest-with", src.attest_with,
                    "Attest the ciphertext with this producer key file (producer-key new)");
    cmd->add_option("--attest-chain-id", src.attest_chain_id,
                    "chainId of the attestation domain (the parties' admission.chain_id)");
  }
  if (need_value) {
    type->required();
    value->required();
  } else {
    CLI::Option* file =
        cmd->add_option("--ciphertext-file", src.ciphertext_file, "Ciphertext file (encrypt -o)");
    CLI::Option* tfhe = cmd->add_option("--ciphertext", src.tfhe_file,
                                        "tfhe-rs ciphertext file (safe_serialize bytes of one "
                                        "value of --type) under a tfhe-rs key");
    CLI::Option* format = cmd->add_option(
        "--format", src.format,
        "Format of --ciphertext: 0 SmallCompressed, 1 SmallExpanded, 2 BigCompressed (default), "
        "3 BigExpanded");
    type->excludes(file);
    value->excludes(file);
    value->excludes(tfhe);
    file->excludes(tfhe);
    format->needs(tfhe);
    tfhe->needs(type);
    value->needs(type);
  }
}

absl::StatusOr<lwe::CompactPublicKey> LoadPublicKey(client::ClusterClient& cluster,
                                                    const std::string& key_id,
                                                    const std::string& public_key_file) {
  if (!public_key_file.empty()) {
    absl::StatusOr<std::string> bytes = client::ReadFileBytes(public_key_file);
    if (!bytes.ok()) return bytes.status();
    return client::ParsePublicKey(*bytes);
  }
  absl::StatusOr<client::AcceptedPublicKey> key = cluster.FetchPublicKey(key_id);
  if (!key.ok()) return key.status();
  return client::ParsePublicKey(key->key.public_key());
}

absl::StatusOr<v1::TypedCiphertext> MakeCiphertext(client::ClusterClient& cluster,
                                                   const CiphertextSource& src) {
  if (!src.ciphertext_file.empty()) return client::ReadCiphertextFile(src.ciphertext_file);
  if (!src.tfhe_file.empty())
    return client::ReadTfheCiphertextFile(src.tfhe_file, src.type, src.format);
  if (src.type.empty() || src.value.empty()) {
    return absl::InvalidArgumentError(
        "give --type and --value, --ciphertext-file, or --type and --ciphertext");
  }
  absl::StatusOr<lwe::CompactPublicKey> key =
      LoadPublicKey(cluster, src.key_id, src.public_key_file);
  if (!key.ok()) return key.status();
  crypto::AesCtrRng rng;
  return client::EncryptValue(*key, src.type, src.value, rng);
}

// The extra_data of a decryption of `ct`: a producer's attestation with --attest-with (which may
// set the ciphertext's handle), otherwise none.
absl::StatusOr<std::string> AttestationFor(const CiphertextSource& src, v1::TypedCiphertext& ct) {
  if (src.attest_with.empty()) return std::string();
  absl::StatusOr<crypto::SigningKey> producer = client::LoadProducerKey(src.attest_with);
  if (!producer.ok()) return producer.status();
  std::vector<v1::TypedCiphertext> cts = {ct};
  absl::StatusOr<std::string> extra =
      client::AttestCiphertexts(*producer, src.key_id, cts, src.attest_chain_id);
  if (!extra.ok()) return extra.status();
  ct = cts[0];
  std::cerr << "kms-client: ciphertext attested by producer "
            << producer->verification_key().EthereumAddressChecksummed() << std::endl;
  return extra;
}

int RunProducerKey(bool make_new, const std::string& out, const std::string& key_file) {
  absl::StatusOr<crypto::SigningKey> key =
      make_new ? client::CreateProducerKey(out) : client::LoadProducerKey(key_file);
  if (!key.ok()) return Fail(key.status());
  if (make_new) std::cout << "written: " << out << "\n";
  std::cout << "address: " << key->verification_key().EthereumAddressChecksummed() << "\n";
  return 0;
}

int RunKeyGen(client::ClusterClient& cluster, const Target& target, bool insecure,
              const std::string& params, const std::string& epoch_text) {
  client::KeyGenOptions options;
  options.insecure = insecure;
  options.fhe_parameter = params.empty() ? target.fhe_parameter : params;
  options.timeout = target.operation_timeout;
  if (!epoch_text.empty()) {
    absl::StatusOr<std::string> epoch = client::ParseId(epoch_text, "--epoch-id");
    if (!epoch.ok()) return Usage(epoch.status());
    options.epoch_id = *epoch;
  }
  std::cerr << "kms-client: "
            << (insecure ? "insecure (dealer) key generation"
                         : "preprocessing + distributed key generation")
            << " on " << cluster.size() << " parties, parameters "
            << (options.fhe_parameter.empty() ? "as configured" : options.fhe_parameter)
            << std::endl;
  absl::StatusOr<client::KeyGenOutcome> outcome = cluster.KeyGen(options);
  if (!outcome.ok()) return Fail(outcome.status());
  std::cout << "key_id: " << outcome->key_id << "\n";
  std::cout << "public_key_digest: " << outcome->public_key_digest_hex << "\n";
  std::cout << "fhe_parameter: " << outcome->fhe_parameter << "\n";
  std::cout << "insecure: " << (outcome->insecure ? "true" : "false") << "\n";
  if (!outcome->preprocessing_id.empty()) {
    std::cout << "preprocessing_id: " << outcome->preprocessing_id << "\n";
    std::cout << "preprocessing_time: " << Ms(outcome->preprocessing_time) << "\n";
  }
  std::cout << "keygen_time: " << Ms(outcome->keygen_time) << "\n";
  std::cout << "parties_agreeing: " << outcome->parties_agreeing << " of " << outcome->parties_total
            << "\n";
  // Parties that did not take part (down, or with another result): the key works without them.
  for (const std::string& problem : outcome->problems) std::cout << "missing: " << problem << "\n";
  return 0;
}

int RunEncrypt(client::ClusterClient& cluster, const CiphertextSource& src,
               const std::string& out_file) {
  absl::StatusOr<std::string> key_id = client::ParseId(src.key_id, "--key-id");
  if (!key_id.ok()) return Usage(key_id.status());
  CiphertextSource source = src;
  source.key_id = *key_id;
  const auto start = Clock::now();
  absl::StatusOr<v1::TypedCiphertext> ct = MakeCiphertext(cluster, source);
  if (!ct.ok()) return Fail(ct.status());
  std::cout << "fhe_type: " << ct->fhe_type() << "\n";
  std::cout << "ciphertext_bytes: " << ct->ciphertext().size() << "\n";
  std::cout << "handle: " << ToHex(AsBytes(ct->external_handle())) << "\n";
  if (!out_file.empty()) {
    absl::Status written = client::WriteCiphertextFile(out_file, *ct);
    if (!written.ok()) return Fail(written);
    std::cout << "written: " << out_file << "\n";
  }
  std::cout << "encrypt_time: " << Ms(Since(start)) << "\n";
  return 0;
}

int RunPublicDecrypt(client::ClusterClient& cluster, const Target& target,
                     const CiphertextSource& src) {
  absl::StatusOr<std::string> key_id = client::ParseId(src.key_id, "--key-id");
  if (!key_id.ok()) return Usage(key_id.status());
  CiphertextSource source = src;
  source.key_id = *key_id;
  absl::StatusOr<v1::TypedCiphertext> ct = MakeCiphertext(cluster, source);
  if (!ct.ok()) return Fail(ct.status());
  absl::StatusOr<std::string> extra = AttestationFor(source, *ct);
  if (!extra.ok()) return Fail(extra.status());
  const auto start = Clock::now();
  absl::StatusOr<client::PublicDecryptionOutcome> outcome =
      cluster.PublicDecrypt(*key_id, {*ct}, target.options.request_timeout, *extra);
  if (!outcome.ok()) return Fail(outcome.status());
  const auto& p = outcome->response.plaintexts(0);
  std::cout << "plaintext: " << p.value() << "\n";
  std::cout << "fhe_type: " << p.fhe_type() << "\n";
  std::cout << "parties_agreeing: " << outcome->agreeing << " of " << outcome->asked
            << " (t + 1 = " << outcome->required << " needed)\n";
  std::cout << "agreeing_party_ids: " << absl::StrJoin(outcome->agreeing_parties, ",") << "\n";
  for (const std::string& problem : outcome->problems) std::cout << "problem: " << problem << "\n";
  std::cout << "decrypt_time: " << Ms(Since(start)) << "\n";
  return 0;
}

int RunUserDecrypt(client::ClusterClient& cluster, const Target& target,
                   const CiphertextSource& src) {
  absl::StatusOr<std::string> key_id = client::ParseId(src.key_id, "--key-id");
  if (!key_id.ok()) return Usage(key_id.status());
  CiphertextSource source = src;
  source.key_id = *key_id;
  absl::StatusOr<v1::TypedCiphertext> ct = MakeCiphertext(cluster, source);
  if (!ct.ok()) return Fail(ct.status());
  absl::StatusOr<std::string> extra = AttestationFor(source, *ct);
  if (!extra.ok()) return Fail(extra.status());
  const auto start = Clock::now();
  absl::StatusOr<client::UserDecryptOutcome> outcome =
      client::RunUserDecryption(cluster, *key_id, {*ct}, target.options.request_timeout, *extra);
  if (!outcome.ok()) return Fail(outcome.status());
  std::cout << "plaintext: " << outcome->plaintexts[0].ToString() << "\n";
  std::cout << "fhe_type: " << ct->fhe_type() << "\n";
  std::cout << "user_address: " << outcome->user_address << "\n";
  std::cout << "shares_used: " << outcome->shares_used << " of " << cluster.size() << "\n";
  for (const std::string& problem : outcome->problems) std::cout << "problem: " << problem << "\n";
  std::cout << "decrypt_time: " << Ms(Since(start)) << "\n";
  return 0;
}

int RunGetPublicKey(client::ClusterClient& cluster, const std::string& key_text,
                    const std::string& out_file) {
  absl::StatusOr<std::string> key_id = client::ParseId(key_text, "key id");
  if (!key_id.ok()) return Usage(key_id.status());
  absl::StatusOr<client::AcceptedPublicKey> accepted = cluster.FetchPublicKey(*key_id);
  if (!accepted.ok()) return Fail(accepted.status());
  const v1::PublicKeyResponse& key = accepted->key;
  // A tfhe-rs keyset's PublicKey is a tfhe-rs CompactPublicKey; a phase-1 key's our own.
  if (tfhe::KmsKeysetByName(key.fhe_parameter()) != nullptr) {
    absl::StatusOr<tfhe::CompactPublicKey> parsed =
        tfhe::ParseCompactPublicKey(AsBytes(key.public_key()));
    if (!parsed.ok()) {
      return Fail(absl::InvalidArgumentError(
          absl::StrCat("public key (tfhe-rs CompactPublicKey): ", parsed.status().message())));
    }
  } else {
    absl::StatusOr<lwe::CompactPublicKey> parsed = client::ParsePublicKey(key.public_key());
    if (!parsed.ok()) return Fail(parsed.status());
  }
  absl::Status written = client::WriteFileBytes(out_file, key.public_key());
  if (!written.ok()) return Fail(written);
  std::cout << "key_id: " << key.key_id() << "\n";
  std::cout << "fhe_parameter: " << key.fhe_parameter() << "\n";
  std::cout << "insecure: " << (accepted->insecure ? "true" : "false") << "\n";
  std::cout << "public_key_bytes: " << key.public_key().size() << "\n";
  std::cout << "public_key_digest: " << ToHex(AsBytes(key.public_key_digest())) << "\n";
  std::cout << "signed_by_parties: " << absl::StrJoin(accepted->signers, ",") << " ("
            << accepted->signers.size() << " pinned signers, t + 1 = " << accepted->required
            << " needed" << (accepted->trust_on_first_use ? "; trust on first use" : "") << ")\n";
  for (const std::string& problem : accepted->problems) std::cout << "problem: " << problem << "\n";
  std::cout << "written: " << out_file << "\n";
  return 0;
}

int RunCall(client::ClusterClient& cluster, const std::string& rpc, const std::string& json,
            bool list) {
  if (list || rpc.empty()) {
    for (const std::string& name : client::CoreRpcNames()) {
      std::cout << client::kCoreServiceName << "/" << name << "\n";
    }
    return rpc.empty() && !list ? kExitUsage : 0;
  }
  // Refuse unknown RPCs and bad JSON before contacting anyone.
  absl::StatusOr<const google::protobuf::MethodDescriptor*> method = client::FindCoreRpc(rpc);
  if (!method.ok()) return Fail(method.status());
  int rc = 0;
  for (size_t i = 0; i < cluster.size(); ++i) {
    absl::StatusOr<std::string> answer = client::CallJson(cluster.party(i), rpc, json);
    if (cluster.size() > 1) std::cout << "# " << cluster.party(i).address() << "\n";
    if (answer.ok()) {
      std::cout << *answer << "\n";
    } else {
      std::cerr << "kms-client: " << answer.status().message() << "\n";
      rc = kExitFailed;
    }
  }
  return rc;
}

int Run(int argc, char** argv) {
  CLI::App app{"kms-client: key generation, encryption, decryption and any RPC of a KMS"};
  app.fallthrough();
  app.require_subcommand(1);
  GlobalFlags flags;
  app.add_option("--addresses,-a", flags.addresses, "Client endpoints of all parties");
  app.add_option("--endpoint,-e", flags.endpoint, "One endpoint (host:port)");
  app.add_option("--config,-c", flags.config, "Client configuration (client.toml)");
  app.add_option("--connect-timeout", flags.connect_timeout_secs,
                 "Seconds to wait for a connection")
      ->check(CLI::Range(1, 3600));
  app.add_option("--timeout", flags.timeout_secs, "Seconds one operation may take")
      ->check(CLI::Range(1, 86400));
  app.add_flag("--quiet,-q", flags.quiet, "No progress output");
  AddTlsFlags(&app, &flags.tls);
  app.add_option("--signer-address", flags.signer_address,
                 "With --endpoint: pin the centralized server's operator address (EIP-55, as "
                 "kms-gen-keys prints it); public keys and answers must be signed by it");
  app.add_flag("--trust-on-first-use", flags.trust_on_first_use,
               "INSECURE: without pinned operators, accept public keys signed by whatever "
               "addresses the parties report about themselves (GetOperatorPublicKey), so that "
               "anyone answering for them can substitute a key; prints a warning. Ignored when "
               "client.toml pins the operators (signer_address, which kms-local writes)");
  app.footer(
      "Public keys are accepted only when t + 1 operators pinned in client.toml "
      "(signer_address of each [[parties]] entry; kms-local writes them) or by --signer-address "
      "signed their digest and the key bytes match it. Without pins, kms-client refuses public "
      "keys unless --trust-on-first-use is given.");

  bool insecure = false;
  std::string params;
  std::string epoch_id;
  CLI::App* keygen = app.add_subcommand("keygen", "Generate a key on all parties");
  keygen->add_flag("--insecure", insecure, "Dealer key generation (needs insecure = true)");
  keygen
      ->add_option("--params", params,
                   "test or default (phase-1 key), tfhe-test or tfhe-default (tfhe-rs keyset)")
      ->check(CLI::IsMember({"test", "default", "tfhe-test", "tfhe-default"}));
  keygen->add_option("--epoch-id", epoch_id, "Epoch whose PRSS to use");

  CiphertextSource enc_src;
  std::string out_file;
  CLI::App* encrypt = app.add_subcommand("encrypt", "Encrypt a typed value under a key");
  AddCiphertextOptions(encrypt, enc_src, /*need_value=*/true);
  encrypt->add_option("--output,-o", out_file, "Write the ciphertext file here");

  CiphertextSource pub_src;
  CLI::App* public_decrypt = app.add_subcommand("public-decrypt", "Public decryption");
  AddCiphertextOptions(public_decrypt, pub_src, /*need_value=*/false);

  CiphertextSource user_src;
  CLI::App* user_decrypt = app.add_subcommand("user-decrypt", "User decryption");
  AddCiphertextOptions(user_decrypt, user_src, /*need_value=*/false);

  std::string pk_key_id;
  std::string pk_out;
  CLI::App* get_pk = app.add_subcommand("get-public-key", "Download a public key");
  get_pk->add_option("key_id", pk_key_id, "Key id (64 hex)")->required();
  get_pk->add_option("--output,-o", pk_out, "File to write")->required();

  std::string producer_out;
  std::string producer_file;
  CLI::App* producer_key =
      app.add_subcommand("producer-key", "A ciphertext producer's key (admission \"attested\")");
  producer_key->require_subcommand(1);
  CLI::App* producer_new = producer_key->add_subcommand("new", "Make a key; print its address");
  producer_new->add_option("--out,-o", producer_out, "Key file to create (mode 0600)")->required();
  CLI::App* producer_address = producer_key->add_subcommand("address", "Print a key's address");
  producer_address->add_option("--key,-k", producer_file, "Key file")->required();

  std::string rpc;
  std::string json;
  bool list = false;
  CLI::App* call = app.add_subcommand("call", "Call any kms.v1.CoreService RPC with JSON");
  call->add_option("rpc", rpc, "RPC name, e.g. GetHealthStatus");
  call->add_option("json", json, "Request as JSON (default {})");
  call->add_flag("--list", list, "List the RPCs");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }

  // Local: no party is contacted.
  if (producer_key->parsed()) {
    return RunProducerKey(producer_new->parsed(), producer_out, producer_file);
  }
  absl::StatusOr<Target> target = ResolveTarget(flags);
  if (!target.ok()) {
    std::cerr << "kms-client: " << target.status().message() << "\n";
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<client::ClusterClient>> cluster = MakeCluster(*target, flags);
  if (!cluster.ok()) {
    std::cerr << "kms-client: " << cluster.status().message() << "\n";
    return kExitUsage;
  }
  client::ClusterClient& c = **cluster;
  if (flags.trust_on_first_use && !c.pinned() && !call->parsed()) WarnTrustOnFirstUse();
  if (keygen->parsed()) return RunKeyGen(c, *target, insecure, params, epoch_id);
  if (encrypt->parsed()) return RunEncrypt(c, enc_src, out_file);
  if (public_decrypt->parsed()) return RunPublicDecrypt(c, *target, pub_src);
  if (user_decrypt->parsed()) return RunUserDecrypt(c, *target, user_src);
  if (get_pk->parsed()) return RunGetPublicKey(c, pk_key_id, pk_out);
  if (call->parsed()) return RunCall(c, rpc, json, list);
  return kExitUsage;
}

}  // namespace
}  // namespace kms::tools

int main(int argc, char** argv) { return kms::tools::Run(argc, argv); }
