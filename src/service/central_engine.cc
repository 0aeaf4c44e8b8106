#include "service/central_engine.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "crypto/random.h"
#include "lwe/encryption.h"
#include "lwe/formats.h"
#include "service/central_key_record.h"
#include "service/key_material.h"
#include "service/logging.h"
#include "service/tfhe_key_record.h"
#include "service/tfhe_keyset_store.h"
#include "tfhe/keyset.h"

namespace kms::service {
namespace {

constexpr char kComponent[] = "central";

absl::Status CiphertextError(size_t index, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat("ciphertexts[", index, "]: ", s.message()));
}

}  // namespace

absl::StatusOr<std::unique_ptr<CentralizedEngine>> CentralizedEngine::Load(
    storage::VaultSet& vaults, const lwe::LweParameters& default_params) {
  std::unique_ptr<CentralizedEngine> engine(new CentralizedEngine(vaults, default_params));
  KMS_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                       vaults.private_vault->List(storage::kFhePrivateKey));
  for (const std::string& id : ids) {
    absl::StatusOr<Bytes> raw = vaults.private_vault->Get(storage::kFhePrivateKey, id);
    if (!raw.ok()) {
      return absl::Status(raw.status().code(),
                          absl::StrCat("FhePrivateKey/", id, ": ", raw.status().message()));
    }
    if (IsTfheKeyRecord(*raw)) {
      absl::Status loaded = engine->LoadTfheKey(id, *raw);
      crypto::SecureZero(*raw);
      KMS_RETURN_IF_ERROR(loaded);
      continue;
    }
    absl::StatusOr<CentralKeyRecord> record = ParseCentralKeyRecord(*raw);
    crypto::SecureZero(*raw);
    if (!record.ok()) {
      return absl::DataLossError(absl::StrCat("FhePrivateKey/", id, " in ",
                                              vaults.private_vault->Describe(), ": ",
                                              record.status().message()));
    }
    KMS_ASSIGN_OR_RETURN(
        Bytes pk_bytes, ReadVerifiedPublicKey(*vaults.public_vault, id, record->public_key_digest));
    absl::StatusOr<lwe::CompactPublicKey> pk = lwe::ParseCompactPublicKey(pk_bytes);
    if (!pk.ok()) {
      return absl::DataLossError(
          absl::StrCat("missing or unreadable public material PublicKey for id=", id, ": ",
                       pk.status().message()));
    }
    if (pk->params != &record->secret_key.params()) {
      return absl::DataLossError(absl::StrCat("PublicKey/", id, " uses parameter set ",
                                              pk->params->name, ", its secret key ",
                                              record->secret_key.params().name));
    }
    absl::StatusOr<Id32> key_id = ParseId("FhePrivateKey id", id);
    if (!key_id.ok()) return absl::DataLossError(std::string(key_id.status().message()));
    auto key = std::make_shared<Key>(Key{std::move(record->secret_key), std::nullopt,
                                         PublicKeyInfo{*key_id,
                                                       std::move(pk_bytes),
                                                       record->public_key_digest,
                                                       {},
                                                       {},
                                                       pk->params,
                                                       record->insecure || pk->params->insecure}});
    std::lock_guard<std::mutex> lock(engine->mu_);
    engine->keys_.emplace(id, std::move(key));
  }
  return engine;
}

absl::Status CentralizedEngine::LoadTfheKey(const std::string& id, ByteSpan raw) {
  KMS_ASSIGN_OR_RETURN(LoadedTfheKey loaded,
                       LoadTfheKeyRecord(*vaults_.private_vault, *vaults_.public_vault,
                                         storage::kFhePrivateKey, id, raw, /*want_share=*/false));
  return AddTfheKey(id, *loaded.record.client_key, std::move(loaded.info));
}

absl::Status CentralizedEngine::AddTfheKey(const std::string& id, tfhe::ClientKey& client_key,
                                           PublicKeyInfo info) {
  absl::StatusOr<mpc::TfheKeyShare> whole = mpc::TfheWholeKey(client_key);
  tfhe::ZeroClientKeySecrets(client_key);
  if (!whole.ok()) {
    return absl::DataLossError(absl::StrCat("FhePrivateKey/", id, ": ", whole.status().message()));
  }
  auto key = std::make_shared<Key>(Key{std::nullopt, std::move(*whole), std::move(info)});
  std::lock_guard<std::mutex> lock(mu_);
  keys_.emplace(id, std::move(key));
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const CentralizedEngine::Key>> CentralizedEngine::FindKey(
    const Id32& key_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = keys_.find(IdToHex(key_id));
  if (it == keys_.end()) {
    return absl::NotFoundError(absl::StrCat("key ", IdToHex(key_id), " not found"));
  }
  return it->second;
}

absl::StatusOr<std::shared_ptr<const CentralizedEngine::Key>> CentralizedEngine::FindPhase1Key(
    const Id32& key_id) const {
  KMS_ASSIGN_OR_RETURN(auto key, FindKey(key_id));
  if (!key->secret_key) return RefuseCiphertextFamily(IdToHex(key_id), key->info.params);
  return key;
}

absl::StatusOr<std::shared_ptr<const CentralizedEngine::Key>> CentralizedEngine::FindTfheKey(
    const Id32& key_id) const {
  KMS_ASSIGN_OR_RETURN(auto key, FindKey(key_id));
  if (!key->whole) return RefuseCiphertextFamily(IdToHex(key_id), key->info.params);
  return key;
}

absl::StatusOr<ParameterSet> CentralizedEngine::KeyParameters(const Id32& key_id) const {
  KMS_ASSIGN_OR_RETURN(auto key, FindKey(key_id));
  return key->info.params;
}

absl::Status CentralizedEngine::CheckKeyGen(const KeyGenSpec& spec) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (keys_.count(IdToHex(spec.request_id)) > 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("key ", IdToHex(spec.request_id), " already exists; choose a new request id"));
  }
  return absl::OkStatus();
}

absl::StatusOr<EpochInfo> CentralizedEngine::NewEpoch(const Id32&, bool, const Id32&) {
  return absl::FailedPreconditionError(
      "centralized mode has no MPC epochs (NewMpcEpoch is for threshold mode)");
}

absl::Status CentralizedEngine::DestroyEpoch(const Id32&) {
  return absl::FailedPreconditionError(
      "centralized mode has no MPC epochs (DestroyMpcEpoch is for threshold mode)");
}

absl::StatusOr<PreprocessingInfo> CentralizedEngine::Preprocess(const Id32& request_id,
                                                                const ParameterSet&, const Id32&) {
  std::lock_guard<std::mutex> lock(mu_);
  preprocessing_.insert(IdToHex(request_id));
  return PreprocessingInfo{0, 0};
}

absl::Status CentralizedEngine::DropPreprocessing(const Id32& id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (preprocessing_.erase(IdToHex(id)) == 0) {
    return absl::NotFoundError(absl::StrCat("no preprocessing with id ", IdToHex(id)));
  }
  return absl::OkStatus();
}

absl::StatusOr<PublicKeyInfo> CentralizedEngine::GenerateTfheKeyset(const KeyGenSpec& spec) {
  const std::string id = IdToHex(spec.request_id);
  const tfhe::NamedKeysetParameters& params = *spec.params.tfhe;
  const bool insecure = spec.insecure || params.insecure;
  crypto::AesCtrRng rng;
  KMS_ASSIGN_OR_RETURN(
      tfhe::Keyset keyset,
      tfhe::GenerateKeyset(params.keyset, rng, [&id](std::string_view stage, int done, int total) {
        LogInfo(kComponent,
                absl::StrCat("keyset generation: ", done, " of ", total, " keys done",
                             done < total ? absl::StrCat(", now ", std::string(stage)) : ""),
                id);
      }));
  // Public first: the private record is the commit point the boot check starts from.
  KMS_ASSIGN_OR_RETURN(
      PublishedTfheKeyset published,
      PublishTfheKeyset(*vaults_.public_vault, id, keyset.public_key, keyset.server_key, nullptr));
  TfheKeyRecord record{&params, insecure, {}, {}, {}, std::move(keyset.client_key), std::nullopt};
  KMS_ASSIGN_OR_RETURN(PublicKeyInfo info,
                       StoreTfheKeyRecord(*vaults_.private_vault, storage::kFhePrivateKey,
                                          spec.request_id, std::move(published), record));
  KMS_RETURN_IF_ERROR(AddTfheKey(id, *record.client_key, info));
  LogInfo(kComponent,
          absl::StrCat("generated tfhe-rs keyset ", id, " (parameters ", params.name,
                       insecure ? ", insecure" : "", ")"),
          id);
  return info;
}

absl::StatusOr<PublicKeyInfo> CentralizedEngine::GenerateKey(const KeyGenSpec& spec) {
  KMS_RETURN_IF_ERROR(CheckKeyGen(spec));
  if (spec.params.tfhe != nullptr) return GenerateTfheKeyset(spec);
  const std::string id = IdToHex(spec.request_id);
  const lwe::LweParameters& params = *spec.params.lwe;
  crypto::AesCtrRng rng;
  lwe::SecretKey sk = lwe::SecretKey::Generate(params, rng);
  std::array<uint8_t, 16> seed_bytes;
  crypto::OsRandom(seed_bytes);
  const algebra::Z128 seed = LoadU128Le(seed_bytes.data());
  const lwe::CompactPublicKey pk = lwe::GenerateCompactPublicKey(sk, seed, rng);
  KMS_ASSIGN_OR_RETURN(Bytes pk_bytes, lwe::SerializeCompactPublicKey(pk));
  // Insecure: made by InsecureKeyGen, or with an insecure parameter set ("test").
  const bool insecure = spec.insecure || params.insecure;
  PublicKeyInfo info{spec.request_id, pk_bytes, PublicKeyBytesDigest(pk_bytes), {}, {},
                     &params,         insecure};
  KMS_ASSIGN_OR_RETURN(crypto::SecretBytes record,
                       SerializeCentralKeyRecord(CentralKeyRecord{sk, info.digest, insecure}));
  // Public first: the private record is the commit point the boot check starts from, so a crash
  // in between leaves an unreferenced public key rather than a key without its public half.
  KMS_RETURN_IF_ERROR(vaults_.public_vault->Put(storage::kPublicKey, id, pk_bytes));
  KMS_RETURN_IF_ERROR(vaults_.private_vault->Put(storage::kFhePrivateKey, id, record.span()));
  {
    std::lock_guard<std::mutex> lock(mu_);
    keys_.emplace(id, std::make_shared<Key>(Key{std::move(sk), std::nullopt, info}));
  }
  LogInfo(kComponent,
          absl::StrCat("generated key ", id, " (parameters ", params.name,
                       insecure ? ", insecure" : "", ")"),
          id);
  return info;
}

absl::StatusOr<std::vector<lwe::TypedPlaintext>> CentralizedEngine::PublicDecrypt(
    const Id32&, const Id32& key_id, const Id32&,
    std::span<const lwe::TypedCiphertext> ciphertexts) {
  KMS_ASSIGN_OR_RETURN(auto key, FindPhase1Key(key_id));
  std::vector<lwe::TypedPlaintext> out;
  out.reserve(ciphertexts.size());
  for (size_t i = 0; i < ciphertexts.size(); ++i) {
    absl::StatusOr<lwe::TypedPlaintext> pt = lwe::DecryptTyped(*key->secret_key, ciphertexts[i]);
    if (!pt.ok()) return CiphertextError(i, pt.status());
    out.push_back(*pt);
  }
  return out;
}

absl::StatusOr<UserDecryptionOutput> CentralizedEngine::UserDecrypt(
    const Id32&, const Id32& key_id, const Id32&,
    std::span<const lwe::TypedCiphertext> ciphertexts) {
  KMS_ASSIGN_OR_RETURN(auto key, FindPhase1Key(key_id));
  const lwe::LweParameters& params = key->secret_key->params();
  const int delta_log2 = lwe::DeltaLog2(params);
  constexpr int kPack = algebra::Gr128::kDegree;
  UserDecryptionOutput out;
  for (size_t i = 0; i < ciphertexts.size(); ++i) {
    const lwe::TypedCiphertext& ct = ciphertexts[i];
    if (absl::Status s = lwe::ValidateTypedCiphertext(ct); !s.ok()) return CiphertextError(i, s);
    if (ct.list.params != &params) {
      return CiphertextError(
          i, absl::InvalidArgumentError(absl::StrCat("parameter set ", ct.list.params->name,
                                                     " differs from the key's ", params.name)));
    }
    // Decrypt once through the typed path so that an out-of-range value (wrong key, corrupted
    // ciphertext) is refused here exactly as in public decryption.
    absl::StatusOr<lwe::TypedPlaintext> pt = lwe::DecryptTyped(*key->secret_key, ct);
    if (!pt.ok()) return CiphertextError(i, pt.status());
    const std::vector<uint64_t> blocks = pt->ToBlocks(params);
    std::vector<algebra::Gr128> packed((blocks.size() + kPack - 1) / kPack);
    for (size_t j = 0; j < blocks.size(); ++j) {
      packed[j / kPack][static_cast<int>(j % kPack)] = static_cast<algebra::Z128>(blocks[j])
                                                       << delta_log2;
    }
    out.packed.push_back(std::move(packed));
    out.block_counts.push_back(static_cast<uint32_t>(ct.list.bodies.size()));
  }
  return out;
}

absl::Status CentralizedEngine::CheckTfheCiphertexts(
    const Id32& key_id, std::span<const TfheCiphertext* const> cts) const {
  KMS_ASSIGN_OR_RETURN(auto key, FindTfheKey(key_id));
  return service::CheckTfheCiphertexts(cts, *key->whole, key->info.params.tfhe->keyset);
}

absl::StatusOr<std::vector<lwe::TypedPlaintext>> CentralizedEngine::PublicDecryptTfhe(
    const Id32&, const Id32& key_id, const Id32&, std::span<const TfheCiphertext> ciphertexts) {
  KMS_ASSIGN_OR_RETURN(auto key, FindTfheKey(key_id));
  KMS_ASSIGN_OR_RETURN(
      std::vector<mpc::TfheDecryptionInput> inputs,
      compute_keys_.DecryptionInputs(*vaults_.public_vault, key->info, *key->whole, ciphertexts));
  return mpc::TfheCentralDecrypt(*key->whole, inputs);
}

absl::StatusOr<UserDecryptionOutput> CentralizedEngine::UserDecryptTfhe(
    const Id32&, const Id32& key_id, const Id32&, std::span<const TfheCiphertext> ciphertexts) {
  KMS_ASSIGN_OR_RETURN(auto key, FindTfheKey(key_id));
  KMS_ASSIGN_OR_RETURN(
      std::vector<mpc::TfheDecryptionInput> inputs,
      compute_keys_.DecryptionInputs(*vaults_.public_vault, key->info, *key->whole, ciphertexts));
  KMS_ASSIGN_OR_RETURN(std::vector<std::vector<algebra::Gr128>> packed,
                       mpc::TfheCentralUserDecryption(*key->whole, inputs));
  UserDecryptionOutput out{std::move(packed), {}};
  for (const mpc::TfheDecryptionInput& in : inputs)
    out.block_counts.push_back(static_cast<uint32_t>(in.blocks.size()));
  return out;
}

absl::StatusOr<PublicKeyInfo> CentralizedEngine::GetPublicKey(const Id32& key_id) const {
  KMS_ASSIGN_OR_RETURN(auto key, FindKey(key_id));
  return key->info;
}

std::vector<std::string> CentralizedEngine::KeyIds() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, unused] : keys_) out.push_back(id);
  return out;
}

std::vector<std::string> CentralizedEngine::PreprocessingIds() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {preprocessing_.begin(), preprocessing_.end()};
}

}  // namespace kms::service
