// Vaults: default prefixes, the backend factory, backup mirroring, and digests of public objects.
#include "storage/vault.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "crypto/hash.h"
#include "faulty_storage.h"
#include "storage/file_storage.h"
#include "storage/ram_storage.h"

namespace kms::storage {
namespace {

namespace fs = std::filesystem;
using testing::FaultyStorage;

std::unique_ptr<Storage> Ram(const std::string& prefix) {
  return std::make_unique<RamStorage>(prefix);
}

std::string Text(const Bytes& b) { return std::string(b.begin(), b.end()); }

TEST(VaultTest, DefaultPrefixes) {
  EXPECT_EQ(DefaultVaultPrefix(VaultRole::kPublic, 1), "PUB-p1");
  EXPECT_EQ(DefaultVaultPrefix(VaultRole::kPrivate, 13), "PRIV-p13");
  EXPECT_EQ(DefaultVaultPrefix(VaultRole::kBackup, 4), "BACKUP-p4");
  EXPECT_EQ(DefaultVaultPrefix(VaultRole::kPublic, std::nullopt), "PUB");
  EXPECT_EQ(DefaultVaultPrefix(VaultRole::kPrivate, std::nullopt), "PRIV");
}

TEST(VaultTest, DataTypeNamesAreValidAndMatchTheSpec) {
  for (std::string_view t : {kPublicKey, kVerfKey, kVerfAddress, kCACert, kServerKey, kCRS,
                             kSigningKey, kFheKeyInfo, kFhePrivateKey, kPrssSetup, kContext}) {
    EXPECT_TRUE(ValidateDataType(t).ok()) << t;
    EXPECT_TRUE(ValidateDataType(DigestDataType(t)).ok()) << t;
  }
  EXPECT_EQ(kPrssSetup, "PrssSetup");
  EXPECT_EQ(DigestDataType(kPublicKey), "PublicKeyDigest");
}

class VaultFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "kms-vault-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(VaultFilesTest, MakeStorageUsesTheConfigPrefixOrTheDefault) {
  auto with_default = MakeStorage(FileStorageConfig{dir_ + "/keys", ""}, "PRIV-p2", true);
  ASSERT_TRUE(with_default.ok()) << with_default.status();
  EXPECT_EQ((*with_default)->prefix(), "PRIV-p2");
  EXPECT_EQ(fs::status(dir_ + "/keys/PRIV-p2").permissions(), fs::perms::owner_all);

  auto with_own = MakeStorage(FileStorageConfig{dir_ + "/keys", "custom"}, "PRIV-p2", false);
  ASSERT_TRUE(with_own.ok()) << with_own.status();
  EXPECT_EQ((*with_own)->prefix(), "custom");

  auto ram = MakeStorage(RamStorageConfig{}, "PUB-p1", false);
  ASSERT_TRUE(ram.ok());
  EXPECT_EQ((*ram)->Describe(), "ram:PUB-p1");
}

TEST_F(VaultFilesTest, MakeStorageReportsBadSettings) {
  EXPECT_EQ(MakeStorage(FileStorageConfig{dir_, "../x"}, "PUB", false).status().code(),
            absl::StatusCode::kInvalidArgument);
  S3StorageConfig s3;
  s3.bucket = "Bad_Bucket";
  s3.endpoint = "http://127.0.0.1:1";
  s3.access_key_id = "AK";
  s3.secret_access_key = "very-secret";
  auto bad_bucket = MakeStorage(s3, "PUB", false);
  EXPECT_EQ(bad_bucket.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(bad_bucket.status().message()).find("bucket"), std::string::npos);
  EXPECT_EQ(std::string(bad_bucket.status().message()).find("very-secret"), std::string::npos);
  s3.bucket = "kms-bucket";
  s3.endpoint = "ftp://host";
  EXPECT_EQ(MakeStorage(s3, "PUB", false).status().code(), absl::StatusCode::kInvalidArgument);
  s3.endpoint = "http://host/path";
  EXPECT_EQ(MakeStorage(s3, "PUB", false).status().code(), absl::StatusCode::kInvalidArgument);
  s3.endpoint = "http://127.0.0.1:1/";
  auto ok = MakeStorage(s3, "PUB", false);  // no contact with the server yet
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ((*ok)->Describe().find("very-secret"), std::string::npos);
  EXPECT_NE((*ok)->Describe().find("kms-bucket"), std::string::npos);
  EXPECT_EQ(
      MakeStorage(PostgresStorageConfig{"host='unterminated", ""}, "PUB", false).status().code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(VaultSetTest, PrivateWritesAreCopiedToTheBackup) {
  auto backup = Ram("BACKUP-p1");
  Storage* backup_view = backup.get();
  VaultSet v = MakeVaultSet(Ram("PUB-p1"), Ram("PRIV-p1"), std::move(backup));
  ASSERT_TRUE(v.private_vault->Put(kSigningKey, "sk", AsBytes("key")).ok());
  ASSERT_TRUE(v.private_vault->Put(kPrssSetup, "e1", AsBytes("prss")).ok());
  EXPECT_EQ(Text(backup_view->Get(kSigningKey, "sk").value()), "key");
  EXPECT_EQ(Text(backup_view->Get(kPrssSetup, "e1").value()), "prss");
  // Public writes are not backed up.
  ASSERT_TRUE(v.public_vault->Put(kPublicKey, "pk", AsBytes("pub")).ok());
  EXPECT_FALSE(backup_view->Exists(kPublicKey, "pk").value());
  // Deletes follow; a delete of an object the backup lacks still succeeds.
  ASSERT_TRUE(v.private_vault->Delete(kPrssSetup, "e1").ok());
  EXPECT_FALSE(backup_view->Exists(kPrssSetup, "e1").value());
  ASSERT_TRUE(backup_view->Delete(kSigningKey, "sk").ok());
  EXPECT_TRUE(v.private_vault->Delete(kSigningKey, "sk").ok());
  EXPECT_EQ(v.private_vault->prefix(), "PRIV-p1");
  EXPECT_NE(v.private_vault->Describe().find("BACKUP-p1"), std::string::npos);
}

TEST(VaultSetTest, FailedBackupWriteIsReported) {
  auto faulty = std::make_unique<FaultyStorage>(Ram("BACKUP-p1"));
  FaultyStorage* backup = faulty.get();
  VaultSet v = MakeVaultSet(Ram("PUB-p1"), Ram("PRIV-p1"), std::move(faulty));
  backup->FailWrites(absl::UnavailableError("disk gone"));
  absl::Status s = v.private_vault->Put(kFheKeyInfo, "k", AsBytes("share"));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(std::string(s.message()).find("backup vault"), std::string::npos) << s;
  // Once the backup is back, the next write of the object repairs it.
  backup->FailWrites(absl::OkStatus());
  ASSERT_TRUE(v.private_vault->Put(kFheKeyInfo, "k", AsBytes("share")).ok());
  EXPECT_EQ(Text(backup->Get(kFheKeyInfo, "k").value()), "share");
}

// Streams with 1 KiB chunks, so a few KiB span several.
std::unique_ptr<Storage> SmallChunkRam(const std::string& prefix) {
  return std::make_unique<RamStorage>(prefix, StreamOptions{1024, kMaxStreamedObjectSize});
}

ObjectProducer Producing(const Bytes& data, int* calls = nullptr) {
  return [&data, calls](const ByteSink& write) {
    if (calls != nullptr) ++*calls;
    for (size_t at = 0; at < data.size(); at += 700) {
      absl::Status s = write(ByteSpan(data).subspan(at, std::min<size_t>(700, data.size() - at)));
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  };
}

Bytes Pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 31 + (i >> 8));
  return b;
}

TEST(VaultSetTest, StreamedPrivateWritesAreCopiedToTheBackup) {
  auto backup = SmallChunkRam("BACKUP-p1");
  Storage* backup_view = backup.get();
  VaultSet v = MakeVaultSet(SmallChunkRam("PUB-p1"), SmallChunkRam("PRIV-p1"), std::move(backup));
  const Bytes material = Pattern(10 * 1024 + 11, 5);
  int calls = 0;
  ASSERT_TRUE(v.private_vault->PutStream(kFhePrivateKey, "k", Producing(material, &calls)).ok());
  EXPECT_EQ(calls, 1);  // the producer runs once; the backup copy is read back
  EXPECT_EQ(backup_view->Get(kFhePrivateKey, "k").value_or(Bytes{}), material);
  EXPECT_EQ(v.private_vault->Size(kFhePrivateKey, "k").value_or(0), material.size());
  Bytes streamed;
  ASSERT_TRUE(v.private_vault
                  ->GetStream(kFhePrivateKey, "k",
                              [&](ByteSpan piece) {
                                Append(streamed, piece);
                                return absl::OkStatus();
                              })
                  .ok());
  EXPECT_EQ(streamed, material);
  ASSERT_TRUE(v.private_vault->Delete(kFhePrivateKey, "k").ok());
  EXPECT_FALSE(backup_view->Exists(kFhePrivateKey, "k").value_or(true));
  // Public streams are not backed up.
  ASSERT_TRUE(v.public_vault->PutStream(kServerKey, "k", Producing(material)).ok());
  EXPECT_FALSE(backup_view->Exists(kServerKey, "k").value_or(true));
}

TEST(VaultSetTest, FailedBackupStreamIsReported) {
  auto faulty = std::make_unique<FaultyStorage>(SmallChunkRam("BACKUP-p1"));
  FaultyStorage* backup = faulty.get();
  VaultSet v = MakeVaultSet(SmallChunkRam("PUB-p1"), SmallChunkRam("PRIV-p1"), std::move(faulty));
  backup->FailWrites(absl::ResourceExhaustedError("backup disk full"));
  const Bytes material = Pattern(5000, 9);
  absl::Status s = v.private_vault->PutStream(kFhePrivateKey, "k", Producing(material));
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_NE(std::string(s.message()).find("backup vault"), std::string::npos) << s;
  // The private copy is written; the next write repairs the backup.
  EXPECT_EQ(v.private_vault->Get(kFhePrivateKey, "k").value_or(Bytes{}), material);
  backup->FailWrites(absl::OkStatus());
  ASSERT_TRUE(v.private_vault->PutStream(kFhePrivateKey, "k", Producing(material)).ok());
  EXPECT_EQ(backup->Get(kFhePrivateKey, "k").value_or(Bytes{}), material);
  // A failing producer touches neither copy.
  absl::Status aborted = v.private_vault->PutStream(
      kFhePrivateKey, "k", [](const ByteSink&) { return absl::AbortedError("stopped"); });
  EXPECT_EQ(aborted.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(backup->Get(kFhePrivateKey, "k").value_or(Bytes{}), material);
}

TEST(VaultSetTest, WithoutBackupPrivateVaultIsPlain) {
  VaultSet v = MakeVaultSet(Ram("PUB"), Ram("PRIV"), nullptr);
  EXPECT_EQ(v.backup_vault, nullptr);
  EXPECT_EQ(v.private_vault->Describe(), "ram:PRIV");
}

TEST_F(VaultFilesTest, OpenVaultSetUsesPartyPrefixes) {
  auto v =
      OpenVaultSet(FileStorageConfig{dir_ + "/keys", ""}, FileStorageConfig{dir_ + "/keys", ""},
                   FileStorageConfig{dir_ + "/backup", ""}, 3);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->public_vault->prefix(), "PUB-p3");
  EXPECT_EQ(v->private_vault->prefix(), "PRIV-p3");
  EXPECT_EQ(v->backup_vault->prefix(), "BACKUP-p3");
  ASSERT_TRUE(v->private_vault->Put(kSigningKey, "sk", AsBytes("x")).ok());
  EXPECT_TRUE(fs::exists(dir_ + "/backup/BACKUP-p3/SigningKey/sk"));
  EXPECT_EQ(fs::status(dir_ + "/backup/BACKUP-p3/SigningKey/sk").permissions(),
            fs::perms::owner_read | fs::perms::owner_write);

  auto bad = OpenVaultSet(FileStorageConfig{dir_ + "/keys", ""},
                          FileStorageConfig{dir_ + "/keys", "a//b"}, std::nullopt, 1);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(bad.status().message()).find("private_vault"), std::string::npos);
}

TEST(DigestTest, ObjectDigestIsDomainSeparatedShake) {
  const Bytes data = {1, 2, 3};
  Bytes input;
  Append(input, AsBytes("STOR_OBJ"));
  AppendU64Le(input, 9);
  Append(input, AsBytes("PublicKey"));
  Append(input, data);
  crypto::Shake256 h;
  h.Update(input);
  EXPECT_EQ(ObjectDigest(kPublicKey, data), h.Finish32());
  // The type is bound: the same bytes as another type give another digest.
  EXPECT_NE(ObjectDigest(kPublicKey, data), ObjectDigest(kServerKey, data));
  // Length-prefixing keeps (type, data) boundaries unambiguous.
  EXPECT_NE(ObjectDigest("Ab", AsBytes("c")), ObjectDigest("A", AsBytes("bc")));
}

TEST(DigestTest, RecordRoundTrips) {
  DigestRecord r{"PublicKey", std::string(64, 'f'), ObjectDigest(kPublicKey, AsBytes("pk"))};
  auto parsed = ParseDigestRecord(SerializeDigestRecord(r));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, r);
}

TEST(DigestTest, MalformedRecordsAreDataLoss) {
  const Bytes good = SerializeDigestRecord({"VerfKey", "id1", ObjectDigest(kVerfKey, {})});
  for (size_t cut = 0; cut < good.size(); ++cut) {
    auto r = ParseDigestRecord(ByteSpan(good.data(), cut));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << "cut at " << cut;
  }
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_EQ(ParseDigestRecord(trailing).status().code(), absl::StatusCode::kDataLoss);
  Bytes magic = good;
  magic[0] ^= 1;
  EXPECT_EQ(ParseDigestRecord(magic).status().code(), absl::StatusCode::kDataLoss);
  // A hostile length must not make the parser allocate or read past the end.
  Bytes huge = good;
  for (int i = 0; i < 8; ++i) huge[8 + i] = 0xff;
  EXPECT_EQ(ParseDigestRecord(huge).status().code(), absl::StatusCode::kDataLoss);
  Bytes bad_name = SerializeDigestRecord({"VerfKey", "../x", {}});
  EXPECT_EQ(ParseDigestRecord(bad_name).status().code(), absl::StatusCode::kDataLoss);
}

TEST(DigestTest, VerifyDetectsTamperingAndMismatchedRecords) {
  const DigestRecord r{"PublicKey", "k", ObjectDigest(kPublicKey, AsBytes("real"))};
  EXPECT_TRUE(VerifyObjectDigest(r, kPublicKey, "k", AsBytes("real")).ok());
  absl::Status tampered = VerifyObjectDigest(r, kPublicKey, "k", AsBytes("fake"));
  EXPECT_EQ(tampered.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(std::string(tampered.message()).find("Public key digest mismatch"), std::string::npos);
  EXPECT_EQ(VerifyObjectDigest(r, kPublicKey, "other", AsBytes("real")).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(DigestTest, PutPublicWithDigestAndVerifiedRead) {
  VaultSet v = MakeVaultSet(Ram("PUB-p1"), Ram("PRIV-p1"), nullptr);
  ASSERT_TRUE(PutPublicWithDigest(v, kPublicKey, "key1", AsBytes("public key bytes")).ok());
  EXPECT_TRUE(v.private_vault->Exists("PublicKeyDigest", "key1").value());
  auto got = GetVerifiedPublic(v, kPublicKey, "key1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(Text(*got), "public key bytes");

  // Someone with access to the public storage swaps the key.
  ASSERT_TRUE(v.public_vault->Put(kPublicKey, "key1", AsBytes("attacker key")).ok());
  auto swapped = GetVerifiedPublic(v, kPublicKey, "key1");
  EXPECT_EQ(swapped.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(std::string(swapped.status().message()).find("Public key digest mismatch"),
            std::string::npos);

  // ... or deletes it.
  ASSERT_TRUE(v.public_vault->Delete(kPublicKey, "key1").ok());
  auto missing = GetVerifiedPublic(v, kPublicKey, "key1");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(std::string(missing.status().message())
                .find("missing or unreadable public material PublicKey for id=key1"),
            std::string::npos)
      << missing.status();

  // A public object without a recorded digest is not trusted either.
  ASSERT_TRUE(v.public_vault->Put(kVerfKey, "v", AsBytes("vk")).ok());
  EXPECT_EQ(GetVerifiedPublic(v, kVerfKey, "v").status().code(), absl::StatusCode::kNotFound);

  // A digest record copied under another id is refused.
  ASSERT_TRUE(PutPublicWithDigest(v, kVerfKey, "a", AsBytes("A")).ok());
  ASSERT_TRUE(v.public_vault->Put(kVerfKey, "b", AsBytes("A")).ok());
  ASSERT_TRUE(
      v.private_vault->Put("VerfKeyDigest", "b", v.private_vault->Get("VerfKeyDigest", "a").value())
          .ok());
  EXPECT_EQ(GetVerifiedPublic(v, kVerfKey, "b").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(DigestTest, StreamedPublicObjectWithDigestAndVerifiedRead) {
  VaultSet v = MakeVaultSet(SmallChunkRam("PUB-p1"), SmallChunkRam("PRIV-p1"), nullptr);
  const Bytes server_key = Pattern(20 * 1024 + 3, 1);
  ASSERT_TRUE(PutPublicStreamWithDigest(v, kServerKey, "key1", Producing(server_key)).ok());
  auto record = ParseDigestRecord(v.private_vault->Get("ServerKeyDigest", "key1").value());
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->digest, ObjectDigest(kServerKey, server_key));
  // The same digest as the whole-object path, so the boot check can use either.
  EXPECT_TRUE(GetVerifiedPublic(v, kServerKey, "key1").ok());

  Bytes streamed;
  auto collect = [&](ByteSpan piece) {
    Append(streamed, piece);
    return absl::OkStatus();
  };
  ASSERT_TRUE(GetVerifiedPublicStream(v, kServerKey, "key1", collect).ok());
  EXPECT_EQ(streamed, server_key);

  // A swapped object is caught after its last byte.
  Bytes swapped = server_key;
  swapped[12345] ^= 1;
  ASSERT_TRUE(v.public_vault->PutStream(kServerKey, "key1", Producing(swapped)).ok());
  streamed.clear();
  absl::Status tampered = GetVerifiedPublicStream(v, kServerKey, "key1", collect);
  EXPECT_EQ(tampered.code(), absl::StatusCode::kDataLoss) << tampered;
  EXPECT_NE(std::string(tampered.message()).find("Public key digest mismatch"), std::string::npos);

  // Without a record nothing is handed out.
  ASSERT_TRUE(v.public_vault->PutStream(kServerKey, "key2", Producing(server_key)).ok());
  streamed.clear();
  absl::Status unrecorded = GetVerifiedPublicStream(v, kServerKey, "key2", collect);
  EXPECT_EQ(unrecorded.code(), absl::StatusCode::kNotFound) << unrecorded;
  EXPECT_TRUE(streamed.empty());
  absl::Status missing = GetVerifiedPublicStream(v, kServerKey, "key3", collect);
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(std::string(missing.message())
                .find("missing or unreadable public material ServerKey for id=key3"),
            std::string::npos)
      << missing;

  // A failed stream records no digest.
  EXPECT_EQ(PutPublicStreamWithDigest(v, kServerKey, "key4",
                                      [](const ByteSink& write) {
                                        (void)write(AsBytes("partial"));
                                        return absl::CancelledError("serializer stopped");
                                      })
                .code(),
            absl::StatusCode::kCancelled);
  EXPECT_FALSE(v.private_vault->Exists("ServerKeyDigest", "key4").value_or(true));
  EXPECT_FALSE(v.public_vault->Exists(kServerKey, "key4").value_or(true));
}

TEST(StorageConfigTest, DescriptionsHideSecrets) {
  S3StorageConfig s3{"bucket", "PUB-p1", "http://127.0.0.1:9000", "us-east-1", "AKIA", "s3cr3t"};
  const std::string d = DescribeStorageConfig(s3);
  EXPECT_EQ(d.find("s3cr3t"), std::string::npos) << d;
  EXPECT_NE(d.find("bucket=bucket"), std::string::npos) << d;
  EXPECT_STREQ(StorageKind(s3), "s3");

  const std::string pg = DescribeStorageConfig(
      PostgresStorageConfig{"host=db port=5432 user=kms password=hunter2 dbname=kms_db", ""});
  EXPECT_EQ(pg.find("hunter2"), std::string::npos) << pg;
  EXPECT_NE(pg.find("host=db"), std::string::npos) << pg;
  EXPECT_NE(pg.find("dbname=kms_db"), std::string::npos) << pg;
  const std::string uri =
      DescribeStorageConfig(PostgresStorageConfig{"postgresql://kms:hunter2@db:5432/kms_db", ""});
  EXPECT_EQ(uri.find("hunter2"), std::string::npos) << uri;
  EXPECT_EQ(DescribeStorageConfig(PostgresStorageConfig{"password='hunter2", ""}).find("hunter2"),
            std::string::npos);
  EXPECT_EQ(DescribeStorageConfig(FileStorageConfig{"./keys", ""}),
            "file path=./keys prefix=(default)");
  EXPECT_STREQ(StorageKind(RamStorageConfig{}), "ram");
}

}  // namespace
}  // namespace kms::storage
