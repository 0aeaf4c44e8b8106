// The configuration loader (service/config.h): a full 4-party and a centralized configuration,
// defaults, environment overrides, and every class of problem, each checked for its key path.
#include "service/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_replace.h"

namespace kms::service {
namespace {

namespace fs = std::filesystem;

// A 4-party configuration as in service-spec §4 (party 1), with certificate paths relative to
// the configuration file.
constexpr const char* kFourParty = R"(
[service]
listen_address = "0.0.0.0"
listen_port = 50100
timeout_secs = 360
grpc_max_message_size = 104857600

[public_vault.storage.file]
path = "./keys"
prefix = "PUB-p1"
[private_vault.storage.file]
path = "./keys"
prefix = "PRIV-p1"
[backup_vault.storage.file]
path = "./backup_vault"
prefix = "BACKUP-p1"

[threshold]
listen_address = "0.0.0.0"
listen_port = 50001
my_id = 1
threshold = 1
fhe_parameter = "default"
[threshold.tls]
cert = "certs/cert_p1.pem"
key = "certs/key_p1.pem"
[[threshold.peers]]
party_id = 1
address = "p1.example"
port = 50001
mpc_identity = "p1.example"
tls_cert = "certs/cert_p1.pem"
[[threshold.peers]]
party_id = 2
address = "p2.example"
port = 50001
mpc_identity = "p2.example"
tls_cert = "certs/cert_p2.pem"
[[threshold.peers]]
party_id = 3
address = "p3.example"
port = 50001
mpc_identity = "p3.example"
tls_cert = "certs/cert_p3.pem"
[[threshold.peers]]
party_id = 4
address = "p4.example"
port = 50001
mpc_identity = "p4.example"
tls_cert = "certs/cert_p4.pem"

[telemetry]
metrics_bind_address = "0.0.0.0:9646"
log_format = "text"

[rate_limiter]
bucket_size = 50000
pub_decrypt = 1
user_decrypt = 1
keygen = 1000
preproc = 25000
new_epoch = 1
)";

constexpr const char* kCentralized = R"(
[service]
listen_port = 50100
fhe_parameter = "test"
allow_insecure_parameters = true
[public_vault.storage.file]
path = "keys"
[private_vault.storage.file]
path = "keys"
)";

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "kms-config-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    fs::create_directories(dir_ + "/certs");
    for (int i = 1; i <= 4; ++i) {
      Write("certs/cert_p" + std::to_string(i) + ".pem", "-----BEGIN CERTIFICATE-----\n");
    }
    Write("certs/key_p1.pem", "-----BEGIN PRIVATE KEY-----\n");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const std::string& rel, const std::string& content) {
    std::ofstream(dir_ + "/" + rel) << content;
  }
  ConfigLoadResult Parse(const std::string& text) { return ParseConfig(text, dir_, env_); }
  ConfigLoadResult ParseEdited(const std::string& from, const std::string& to) {
    std::string text = kFourParty;
    EXPECT_NE(text.find(from), std::string::npos) << from;
    text = absl::StrReplaceAll(text, {{from, to}});
    return Parse(text);
  }

  // Every problem line, for matching.
  static std::string All(const ConfigLoadResult& r) {
    std::string out;
    for (const auto& p : r.problems) out += p.ToString() + "\n";
    return out;
  }
  // The problem reported for `key_path` (fails the test when there is none).
  static std::string ProblemAt(const ConfigLoadResult& r, const std::string& key_path) {
    for (const auto& p : r.problems) {
      if (p.key_path == key_path) return p.ToString();
    }
    ADD_FAILURE() << "no problem at " << key_path << "; problems:\n" << All(r);
    return "";
  }

  std::string dir_;
  MapEnvironment env_;
};

#define EXPECT_HAS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << (haystack)

TEST_F(ConfigTest, FullFourPartyConfigurationLoads) {
  const ConfigLoadResult r = Parse(kFourParty);
  ASSERT_TRUE(r.ok()) << All(r);
  const ServerConfig& c = r.config;
  EXPECT_FALSE(c.centralized());
  ASSERT_TRUE(c.threshold.has_value());
  EXPECT_EQ(c.threshold->my_id, 1u);
  EXPECT_EQ(c.threshold->threshold, 1u);
  EXPECT_EQ(c.threshold->num_parties(), 4u);
  EXPECT_EQ(c.threshold->peers[2].address, "p3.example");
  EXPECT_EQ(c.threshold->peers[2].port, 50001);
  ASSERT_NE(c.threshold->me(), nullptr);
  EXPECT_EQ(c.threshold->me()->mpc_identity, "p1.example");
  EXPECT_EQ(c.threshold->tls.cert, "certs/cert_p1.pem");
  EXPECT_EQ(c.ResolvePath(c.threshold->tls.cert), dir_ + "/certs/cert_p1.pem");
  EXPECT_EQ(c.fhe_parameter(), FheParameter::kDefault);
  EXPECT_EQ(c.service.listen_port, 50100);
  EXPECT_EQ(c.service.grpc_max_message_size, 104857600u);
  const auto& pub = std::get<storage::FileStorageConfig>(c.public_vault.storage);
  EXPECT_EQ(pub.path, "./keys");
  EXPECT_EQ(pub.prefix, "PUB-p1");
  EXPECT_EQ(std::get<storage::FileStorageConfig>(c.ResolvedStorage(c.public_vault)).path,
            dir_ + "/./keys");
  ASSERT_TRUE(c.backup_vault.has_value());
  EXPECT_EQ(std::get<storage::FileStorageConfig>(c.backup_vault->storage).prefix, "BACKUP-p1");
  EXPECT_EQ(c.telemetry.log_format, LogFormat::kText);
  EXPECT_TRUE(ValidateConfig(c).empty());
}

TEST_F(ConfigTest, DescribeConfigSummarisesThresholdsPeersAndStorage) {
  const ConfigLoadResult r = Parse(kFourParty);
  ASSERT_TRUE(r.ok()) << All(r);
  const std::string d = DescribeConfig(r.config);
  EXPECT_HAS(d, "mode: threshold, party 1 of 4");
  EXPECT_HAS(d, "n = 4, t = 1");
  EXPECT_HAS(d, "t + 1 = 2");
  EXPECT_HAS(d, "floor(2n/3) + 1 = 3");
  EXPECT_HAS(d, "party 3: p3.example:50001 identity p3.example");
  EXPECT_HAS(d,
             "party 1: p1.example:50001 identity p1.example cert certs/cert_p1.pem  (this party)");
  EXPECT_HAS(d, "private_vault: file path=" + dir_ + "/./keys prefix=PRIV-p1");
  EXPECT_HAS(d, "backup_vault: file");
  EXPECT_HAS(d, "metrics 0.0.0.0:9646");
}

TEST_F(ConfigTest, ThirteenPartiesReportTheProductionThresholds) {
  std::string text = kFourParty;
  text = absl::StrReplaceAll(text, {{"threshold = 1\n", "threshold = 4\n"}});
  for (int i = 5; i <= 13; ++i) {
    const std::string id = std::to_string(i);
    Write("certs/cert_p" + id + ".pem", "x");
    text += "[[threshold.peers]]\nparty_id = " + id + "\naddress = \"p" + id +
            ".example\"\nport = 50001\ntls_cert = \"certs/cert_p" + id + ".pem\"\n";
  }
  const ConfigLoadResult r = Parse(text);
  ASSERT_TRUE(r.ok()) << All(r);
  EXPECT_EQ(r.config.threshold->peers[12].mpc_identity, "p13.example");  // defaults to address
  const std::string d = DescribeConfig(r.config);
  EXPECT_HAS(d, "n = 13, t = 4");
  EXPECT_HAS(d, "t + 1 = 5");
  EXPECT_HAS(d, "floor(2n/3) + 1 = 9");
}

// "test" is insecure: configuring it needs service.allow_insecure_parameters = true.
TEST_F(ConfigTest, TestParametersNeedAllowInsecureParameters) {
  std::string text = kCentralized;
  text.replace(text.find("allow_insecure_parameters = true\n"),
               std::string("allow_insecure_parameters = true\n").size(), "");
  ConfigLoadResult r = Parse(text);
  EXPECT_HAS(ProblemAt(r, "service.fhe_parameter"), "service.allow_insecure_parameters = true");
  r = ParseEdited("fhe_parameter = \"default\"", "fhe_parameter = \"test\"");
  EXPECT_HAS(ProblemAt(r, "threshold.fhe_parameter"), "\"test\" is an insecure parameter set");
  r = Parse(kCentralized);
  ASSERT_TRUE(r.ok()) << All(r);
  EXPECT_TRUE(r.config.service.allow_insecure_parameters);
  EXPECT_HAS(DescribeConfig(r.config), "insecure parameters: ALLOWED");
  // The flag defaults to false, and "default" needs nothing.
  r = ParseEdited("fhe_parameter = \"default\"", "fhe_parameter = \"default\"");
  ASSERT_TRUE(r.ok()) << All(r);
  EXPECT_FALSE(r.config.service.allow_insecure_parameters);
}

TEST_F(ConfigTest, CentralizedConfigurationLoads) {
  const ConfigLoadResult r = Parse(kCentralized);
  ASSERT_TRUE(r.ok()) << All(r);
  EXPECT_TRUE(r.config.centralized());
  EXPECT_EQ(r.config.fhe_parameter(), FheParameter::kTest);
  const std::string d = DescribeConfig(r.config);
  EXPECT_HAS(d, "mode: centralized");
  EXPECT_HAS(d, "fhe parameters: test");
  EXPECT_HAS(d, "public_vault: file path=" + dir_ + "/keys prefix=PUB");
  EXPECT_HAS(d, "private_vault: file path=" + dir_ + "/keys prefix=PRIV");
  EXPECT_HAS(d, "backup_vault: none");
}

TEST_F(ConfigTest, DefaultsApplyToEveryOmittedKey) {
  const ConfigLoadResult r = Parse(R"(
[public_vault.storage.ram]
[private_vault.storage.ram]
[threshold]
my_id = 1
threshold = 0
[threshold.tls]
cert = "certs/cert_p1.pem"
key = "certs/key_p1.pem"
[[threshold.peers]]
party_id = 1
address = "127.0.0.1"
port = 50001
tls_cert = "certs/cert_p1.pem"
)");
  ASSERT_TRUE(r.ok()) << All(r);
  const ServerConfig& c = r.config;
  EXPECT_EQ(c.service.listen_address, "0.0.0.0");
  EXPECT_EQ(c.service.listen_port, 50100);
  EXPECT_EQ(c.service.timeout_secs, 360u);
  EXPECT_EQ(c.service.grpc_max_message_size, 104857600u);
  EXPECT_EQ(c.service.result_wait_secs, 60u);
  EXPECT_FALSE(c.service.fhe_parameter.has_value());
  const ThresholdConfig& th = *c.threshold;
  EXPECT_EQ(th.listen_address, "0.0.0.0");
  EXPECT_EQ(th.listen_port, 50001);
  EXPECT_EQ(th.fhe_parameter, FheParameter::kDefault);
  EXPECT_FALSE(th.insecure);
  EXPECT_EQ(th.round_timeout_secs, 20u);
  EXPECT_EQ(th.decryption_timeout_secs, 60u);
  EXPECT_EQ(th.preprocessing_sessions, 2u);
  EXPECT_EQ(th.peers[0].mpc_identity, "127.0.0.1");
  EXPECT_EQ(c.telemetry.metrics_bind_address, "0.0.0.0:9646");
  EXPECT_EQ(c.telemetry.log_format, LogFormat::kText);
  EXPECT_EQ(c.telemetry.log_level, LogLevel::kInfo);
  EXPECT_EQ(c.rate_limiter.bucket_size, 50000u);
  EXPECT_EQ(c.rate_limiter.pub_decrypt, 1u);
  EXPECT_EQ(c.rate_limiter.user_decrypt, 1u);
  EXPECT_EQ(c.rate_limiter.keygen, 1000u);
  EXPECT_EQ(c.rate_limiter.preproc, 2000u);
  EXPECT_EQ(c.rate_limiter.new_epoch, 1u);
  EXPECT_FALSE(c.backup_vault.has_value());
  EXPECT_TRUE(std::holds_alternative<storage::RamStorageConfig>(c.public_vault.storage));
}

// ---- problems ----

TEST_F(ConfigTest, UnknownKeysAnywhereAreErrors) {
  ConfigLoadResult r = ParseEdited("[threshold.tls]", "peerz = 3\n[threshold.tls]");
  EXPECT_EQ(ProblemAt(r, "threshold.peerz"),
            "unknown key threshold.peerz (did you mean threshold.peers?)");
  r = Parse(std::string(kFourParty) + "\n[metrics]\nport = 1\n");
  EXPECT_HAS(ProblemAt(r, "metrics"), "unknown key metrics");
  r = ParseEdited("address = \"p2.example\"", "adress = \"p2.example\"");
  EXPECT_HAS(ProblemAt(r, "threshold.peers[1].adress"),
             "unknown key threshold.peers[1].adress (did you mean threshold.peers[1].address?)");
  r = ParseEdited("path = \"./backup_vault\"", "path = \"./backup_vault\"\npathh = 1");
  EXPECT_HAS(ProblemAt(r, "backup_vault.storage.file.pathh"), "unknown key");
  r = ParseEdited("[backup_vault.storage.file]",
                  "[backup_vault.storage.nfs]\nx=1\n[backup_vault.storage.file]");
  EXPECT_HAS(ProblemAt(r, "backup_vault.storage.nfs"), "unknown key backup_vault.storage.nfs");
}

TEST_F(ConfigTest, WrongTypesNameTheKeyAndBothTypes) {
  ConfigLoadResult r = ParseEdited("my_id = 1", "my_id = \"1\"");
  EXPECT_EQ(ProblemAt(r, "threshold.my_id"), "threshold.my_id: expected integer, got string");
  r = ParseEdited("listen_port = 50100", "listen_port = 50100.5");
  EXPECT_EQ(ProblemAt(r, "service.listen_port"),
            "service.listen_port: expected integer, got float");
  r = ParseEdited("fhe_parameter = \"default\"", "insecure = \"yes\"");
  EXPECT_EQ(ProblemAt(r, "threshold.insecure"), "threshold.insecure: expected boolean, got string");
  r = Parse(R"(
[public_vault.storage.ram]
[private_vault.storage.ram]
[threshold]
my_id = 1
threshold = 1
peers = "everyone"
tls = { cert = "certs/cert_p1.pem", key = "certs/key_p1.pem" }
)");
  EXPECT_EQ(ProblemAt(r, "threshold.peers"),
            "threshold.peers: expected array of tables, got string");
  r = Parse("public_vault = 3\n[private_vault.storage.ram]\n");
  EXPECT_EQ(ProblemAt(r, "public_vault"), "public_vault: expected table, got integer");
  EXPECT_EQ(r.problems.size(), 1u) << All(r);  // no consequential "missing" problem
}

TEST_F(ConfigTest, TooFewPartiesForTheThreshold) {
  ConfigLoadResult r = ParseEdited("threshold = 1\n", "threshold = 2\n");
  EXPECT_EQ(ProblemAt(r, "threshold"),
            "threshold: 4 peers cannot tolerate t = 2; need n >= 3t + 1 = 7");
}

TEST_F(ConfigTest, AtMostFifteenParties) {
  std::string text = kFourParty;
  for (int i = 5; i <= 16; ++i) {
    text += "[[threshold.peers]]\nparty_id = " + std::to_string(i) + "\naddress = \"p" +
            std::to_string(i) + "\"\nport = 50001\ntls_cert = \"certs/cert_p1.pem\"\n";
  }
  EXPECT_HAS(ProblemAt(Parse(text), "threshold.peers"), "16 peers; at most 15 parties");
}

TEST_F(ConfigTest, DuplicateAndOutOfRangePartyIds) {
  ConfigLoadResult r = ParseEdited("party_id = 4", "party_id = 2");
  EXPECT_EQ(ProblemAt(r, "threshold.peers[3].party_id"),
            "threshold.peers[3].party_id: duplicate party id 2 (also threshold.peers[1].party_id)");
  r = ParseEdited("party_id = 4", "party_id = 9");
  EXPECT_HAS(ProblemAt(r, "threshold.peers[3].party_id"),
             "party id 9 is out of range; with 4 peers, party ids are 1..4");
  r = ParseEdited("mpc_identity = \"p4.example\"", "mpc_identity = \"p2.example\"");
  EXPECT_HAS(ProblemAt(r, "threshold.peers[3].mpc_identity"), "duplicate identity \"p2.example\"");
}

TEST_F(ConfigTest, MyIdMustBeAmongThePeers) {
  ConfigLoadResult r = ParseEdited("my_id = 1", "my_id = 7");
  EXPECT_EQ(ProblemAt(r, "threshold.my_id"),
            "threshold.my_id: 7 is not the party_id of any [[threshold.peers]] entry");
  r = ParseEdited("my_id = 1\n", "");
  EXPECT_EQ(ProblemAt(r, "threshold.my_id"), "threshold.my_id: missing required key");
}

TEST_F(ConfigTest, PortsOutOfRangeOrClashing) {
  ConfigLoadResult r = ParseEdited("listen_port = 50100", "listen_port = 70000");
  EXPECT_EQ(ProblemAt(r, "service.listen_port"),
            "service.listen_port: 70000 is out of range; expected 1..65535");
  r = ParseEdited("address = \"p3.example\"\nport = 50001", "address = \"p3.example\"\nport = 0");
  EXPECT_HAS(ProblemAt(r, "threshold.peers[2].port"), "0 is out of range; expected 1..65535");
  r = ParseEdited("listen_port = 50001", "listen_port = 50100");
  EXPECT_HAS(ProblemAt(r, "threshold.listen_port"), "50100 is also service.listen_port");
  r = ParseEdited("metrics_bind_address = \"0.0.0.0:9646\"", "metrics_bind_address = \"9646\"");
  EXPECT_HAS(ProblemAt(r, "telemetry.metrics_bind_address"), "is not host:port");
  r = ParseEdited("metrics_bind_address = \"0.0.0.0:9646\"",
                  "metrics_bind_address = \"[::]:50100\"");
  EXPECT_HAS(ProblemAt(r, "telemetry.metrics_bind_address"),
             "port 50100 is also service.listen_port");
}

TEST_F(ConfigTest, MissingFilesResolveAgainstTheConfigFolder) {
  ConfigLoadResult r = ParseEdited("cert = \"certs/cert_p1.pem\"", "cert = \"certs/x.pem\"");
  const std::string problem = ProblemAt(r, "threshold.tls.cert");
  EXPECT_HAS(problem, "threshold.tls.cert: file not found: certs/x.pem");
  EXPECT_HAS(problem, dir_ + "/certs/x.pem");
  r = ParseEdited("tls_cert = \"certs/cert_p3.pem\"", "tls_cert = \"/nonexistent/p3.pem\"");
  EXPECT_EQ(ProblemAt(r, "threshold.peers[2].tls_cert"),
            "threshold.peers[2].tls_cert: file not found: /nonexistent/p3.pem");
  r = ParseEdited("key = \"certs/key_p1.pem\"", "key = \"certs\"");
  EXPECT_HAS(ProblemAt(r, "threshold.tls.key"), "not a regular file: certs");
  r = ParseEdited("[threshold.tls]\ncert = \"certs/cert_p1.pem\"\nkey = \"certs/key_p1.pem\"\n",
                  "");
  EXPECT_HAS(ProblemAt(r, "threshold.tls"), "missing required section [threshold.tls]");
}

TEST_F(ConfigTest, EveryProblemIsReportedAtOnce) {
  std::string text = absl::StrReplaceAll(
      kFourParty, {{"my_id = 1", "my_id = \"one\""},
                   {"listen_port = 50100", "listen_port = 99999"},
                   {"cert = \"certs/cert_p1.pem\"", "cert = \"certs/missing.pem\""},
                   {"log_format = \"text\"", "log_format = \"xml\"\nlog_colour = true"},
                   {"keygen = 1000", "keygen = 60000"},
                   {"party_id = 4", "party_id = 3"}});
  const ConfigLoadResult r = Parse(text);
  const std::string all = All(r);
  EXPECT_HAS(all, "threshold.my_id: expected integer, got string");
  EXPECT_HAS(all, "service.listen_port: 99999 is out of range");
  EXPECT_HAS(all, "threshold.tls.cert: file not found: certs/missing.pem");
  EXPECT_HAS(all, "telemetry.log_format: \"xml\" is not one of \"text\", \"json\"");
  EXPECT_HAS(all, "unknown key telemetry.log_colour");
  EXPECT_HAS(all, "rate_limiter.keygen: cost 60000 exceeds rate_limiter.bucket_size 50000");
  EXPECT_HAS(all, "threshold.peers[3].party_id: duplicate party id 3");
  // The edit also changed peers[0].tls_cert (same text).
  EXPECT_HAS(all, "threshold.peers[0].tls_cert: file not found: certs/missing.pem");
  EXPECT_EQ(r.problems.size(), 8u) << all;
}

TEST_F(ConfigTest, VaultStorageMustNameExactlyOneBackend) {
  ConfigLoadResult r = ParseEdited("[backup_vault.storage.file]",
                                   "[backup_vault.storage.ram]\n[backup_vault.storage.file]");
  EXPECT_EQ(ProblemAt(r, "backup_vault.storage"),
            "backup_vault.storage: exactly one of file, s3, postgres, ram must be set (found file, "
            "ram)");
  r = Parse("[public_vault.storage.ram]\n[private_vault]\n");
  EXPECT_HAS(ProblemAt(r, "private_vault.storage"), "missing; set exactly one of");
  r = Parse("[public_vault.storage.ram]\n");
  EXPECT_HAS(ProblemAt(r, "private_vault"),
             "missing required section; add [private_vault.storage.file]");
  r = ParseEdited("path = \"./backup_vault\"\n", "");
  EXPECT_EQ(ProblemAt(r, "backup_vault.storage.file.path"),
            "backup_vault.storage.file.path: missing required key");
  r = ParseEdited("prefix = \"PRIV-p1\"", "prefix = \"../PRIV\"");
  EXPECT_HAS(ProblemAt(r, "private_vault.storage.file.prefix"), "must not start with '.'");
  r = ParseEdited("prefix = \"PRIV-p1\"", "prefix = \"PUB-p1\"");
  EXPECT_HAS(ProblemAt(r, "private_vault.storage"), "same location and prefix as public_vault");
}

TEST_F(ConfigTest, S3AndPostgresVaults) {
  const std::string vaults = R"(
[public_vault.storage.s3]
bucket = "kms-public"
endpoint = "http://127.0.0.1:9000"
region = "eu-west-1"
access_key_id = "AKIAEXAMPLE"
secret_access_key = "s3-secret-value"
[private_vault.storage.postgres]
dsn = "host=db port=5432 dbname=kms_db user=kms password=pg-secret-value"
)";
  ConfigLoadResult r = Parse(vaults);
  ASSERT_TRUE(r.ok()) << All(r);
  const auto& s3 = std::get<storage::S3StorageConfig>(r.config.public_vault.storage);
  EXPECT_EQ(s3.region, "eu-west-1");
  EXPECT_EQ(s3.secret_access_key, "s3-secret-value");
  const std::string d = DescribeConfig(r.config);
  EXPECT_EQ(d.find("s3-secret-value"), std::string::npos) << d;
  EXPECT_EQ(d.find("pg-secret-value"), std::string::npos) << d;
  EXPECT_HAS(d, "public_vault: s3 endpoint=http://127.0.0.1:9000 bucket=kms-public prefix=PUB");
  EXPECT_HAS(d, "private_vault: postgres host=db port=5432 dbname=kms_db user=kms prefix=PRIV");

  // Without credentials in the file, the environment must provide them.
  const std::string no_keys = R"(
[public_vault.storage.s3]
bucket = "kms-public"
[private_vault.storage.ram]
)";
  r = Parse(no_keys);
  EXPECT_HAS(ProblemAt(r, "public_vault.storage.s3"), "no S3 credentials");
  env_.Set("AWS_ACCESS_KEY_ID", "AKIA");
  env_.Set("AWS_SECRET_ACCESS_KEY", "from-env");
  r = Parse(no_keys);
  EXPECT_TRUE(r.ok()) << All(r);

  r = Parse(absl::StrReplaceAll(vaults, {{"bucket = \"kms-public\"", "bucket = \"Kms_Public\""},
                                         {"http://127.0.0.1:9000", "127.0.0.1:9000"},
                                         {"access_key_id = \"AKIAEXAMPLE\"\n", ""}}));
  EXPECT_HAS(ProblemAt(r, "public_vault.storage.s3.bucket"), "lower-case letters");
  EXPECT_HAS(ProblemAt(r, "public_vault.storage.s3.endpoint"), "must start with http://");
  EXPECT_HAS(ProblemAt(r, "public_vault.storage.s3"),
             "set both access_key_id and secret_access_key");
  EXPECT_EQ(All(r).find("s3-secret-value"), std::string::npos);

  r = Parse(
      absl::StrReplaceAll(vaults, {{"password=pg-secret-value", "password='pg-secret-value"}}));
  const std::string dsn_problem = ProblemAt(r, "private_vault.storage.postgres.dsn");
  EXPECT_HAS(dsn_problem, "not a valid libpq connection string");
  EXPECT_EQ(dsn_problem.find("pg-secret-value"), std::string::npos) << dsn_problem;
}

TEST_F(ConfigTest, EnumeratedValuesAreChecked) {
  ConfigLoadResult r = ParseEdited("fhe_parameter = \"default\"", "fhe_parameter = \"fast\"");
  EXPECT_EQ(ProblemAt(r, "threshold.fhe_parameter"),
            "threshold.fhe_parameter: \"fast\" is not one of \"default\", \"test\"");
  r = ParseEdited("grpc_max_message_size = 104857600",
                  "grpc_max_message_size = 104857600\nfhe_parameter = \"test\"");
  EXPECT_HAS(ProblemAt(r, "service.fhe_parameter"),
             "\"test\" conflicts with threshold.fhe_parameter \"default\"");
  r = ParseEdited("log_format = \"text\"", "log_format = \"json\"\nlog_level = \"verbose\"");
  EXPECT_HAS(ProblemAt(r, "telemetry.log_level"), "\"verbose\" is not one of \"error\"");
}

TEST_F(ConfigTest, SyntaxErrorsGiveTheLine) {
  const ConfigLoadResult r = Parse("[service]\nlisten_port = = 1\n");
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_HAS(r.problems[0].ToString(), "TOML syntax error at line 2");
}

// ---- environment overrides ----

TEST_F(ConfigTest, EnvironmentOverridesFileValues) {
  Write("certs/key_p3.pem", "k");
  env_.Set("KMS_CORE__THRESHOLD__MY_ID", "3");
  env_.Set("KMS_CORE__THRESHOLD__TLS__KEY", "certs/key_p3.pem");
  env_.Set("KMS_CORE__SERVICE__LISTEN_PORT", "50200");
  env_.Set("KMS_CORE__PUBLIC_VAULT__STORAGE__FILE__PATH", "/data/keys");
  env_.Set("KMS_CORE__THRESHOLD__PEERS__0__ADDRESS", "p1.internal");
  env_.Set("KMS_CORE__THRESHOLD__INSECURE", "true");
  env_.Set("KMS_CORE__TELEMETRY__LOG_LEVEL", "debug");
  env_.Set("KMS_CORE__RATE_LIMITER__KEYGEN", "500");
  env_.Set("PATH", "/usr/bin");  // unrelated variables are ignored
  const ConfigLoadResult r = Parse(kFourParty);
  ASSERT_TRUE(r.ok()) << All(r);
  EXPECT_EQ(r.config.threshold->my_id, 3u);
  EXPECT_EQ(r.config.threshold->tls.key, "certs/key_p3.pem");
  EXPECT_EQ(r.config.service.listen_port, 50200);
  EXPECT_EQ(std::get<storage::FileStorageConfig>(r.config.public_vault.storage).path, "/data/keys");
  EXPECT_EQ(
      std::get<storage::FileStorageConfig>(r.config.ResolvedStorage(r.config.public_vault)).path,
      "/data/keys");
  EXPECT_EQ(r.config.threshold->peers[0].address, "p1.internal");
  EXPECT_TRUE(r.config.threshold->insecure);
  EXPECT_EQ(r.config.telemetry.log_level, LogLevel::kDebug);
  EXPECT_EQ(r.config.rate_limiter.keygen, 500u);
}

TEST_F(ConfigTest, EnvironmentCanSupplyAWholeSection) {
  env_.Set("KMS_CORE__PUBLIC_VAULT__STORAGE__FILE__PATH", "keys");
  env_.Set("KMS_CORE__PRIVATE_VAULT__STORAGE__FILE__PATH", "keys");
  const ConfigLoadResult r = Parse("");
  ASSERT_TRUE(r.ok()) << All(r);
  EXPECT_TRUE(r.config.centralized());
}

TEST_F(ConfigTest, BadEnvironmentOverridesAreErrors) {
  env_.Set("KMS_CORE__THRESHOLD__PEERZ", "1");
  env_.Set("KMS_CORE__THRESHOLD__MY_ID", "abc");
  env_.Set("KMS_CORE__THRESHOLD__INSECURE", "yes");
  env_.Set("KMS_CORE__THRESHOLD__TLS", "x");
  env_.Set("KMS_CORE__THRESHOLD__PEERS__9__PORT", "1");
  env_.Set("KMS_CORE__SERVICE__LISTEN_PORT__X", "1");
  env_.Set("KMS_CORE__TELEMETRY____LOG_LEVEL", "debug");
  const ConfigLoadResult r = Parse(kFourParty);
  EXPECT_EQ(ProblemAt(r, "threshold.peerz"),
            "unknown key threshold.peerz (did you mean threshold.peers?) (from environment "
            "variable KMS_CORE__THRESHOLD__PEERZ)");
  EXPECT_EQ(ProblemAt(r, "threshold.my_id"),
            "threshold.my_id: expected integer, got \"abc\" (from environment variable "
            "KMS_CORE__THRESHOLD__MY_ID)");
  EXPECT_HAS(ProblemAt(r, "threshold.insecure"), "expected boolean (true or false), got \"yes\"");
  EXPECT_HAS(ProblemAt(r, "threshold.tls"), "is a section, not a key");
  EXPECT_HAS(ProblemAt(r, "threshold.peers"),
             "KMS_CORE__THRESHOLD__PEERS__9__PORT needs a 0-based index of an existing entry "
             "(there are 4)");
  EXPECT_HAS(ProblemAt(r, "service.listen_port.x"), "unknown key service.listen_port.x");
  EXPECT_HAS(All(r), "KMS_CORE__TELEMETRY____LOG_LEVEL is malformed");
}

// ---- files, status, validation of structs built in code ----

TEST_F(ConfigTest, LoadConfigFromAFileResolvesPathsAgainstItsFolder) {
  Write("config.toml", kFourParty);
  // The working directory is elsewhere; relative certificate paths still resolve.
  auto c = LoadConfig(dir_ + "/config.toml", env_);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->config_dir, dir_);
}

TEST_F(ConfigTest, LoadConfigFoldsProblemsIntoOneStatus) {
  Write("bad.toml", absl::StrReplaceAll(kFourParty, {{"my_id = 1", "my_id = 9"},
                                                     {"threshold = 1\n", "threshold = 2\n"}}));
  auto c = LoadConfig(dir_ + "/bad.toml", env_);
  ASSERT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string msg(c.status().message());
  EXPECT_HAS(msg, "invalid configuration " + dir_ + "/bad.toml (2 problems):");
  EXPECT_HAS(msg, "\n  threshold: 4 peers cannot tolerate t = 2; need n >= 3t + 1 = 7");
  EXPECT_HAS(msg, "\n  threshold.my_id: 9 is not the party_id");

  auto missing = LoadConfig(dir_ + "/nope.toml", env_);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_HAS(std::string(missing.status().message()), "cannot read configuration file");
}

TEST_F(ConfigTest, ValidateConfigChecksStructsBuiltInCode) {
  ServerConfig c;
  c.config_dir = dir_;
  c.public_vault.storage = storage::RamStorageConfig{};
  c.private_vault.storage = storage::RamStorageConfig{};
  EXPECT_TRUE(ValidateConfig(c).empty());
  ThresholdConfig th;
  th.my_id = 5;
  th.threshold = 1;
  th.tls = {"certs/cert_p1.pem", "certs/key_p1.pem"};
  for (uint32_t i = 1; i <= 4; ++i) {
    th.peers.push_back({i, "p" + std::to_string(i), 50001, "p" + std::to_string(i),
                        "certs/cert_p" + std::to_string(i) + ".pem"});
  }
  c.threshold = th;
  auto problems = ValidateConfig(c);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].key_path, "threshold.my_id");
  c.threshold->my_id = 2;
  EXPECT_TRUE(ValidateConfig(c).empty());
}

TEST_F(ConfigTest, OpenVaultsCreatesTheConfiguredStores) {
  const ConfigLoadResult r = Parse(kFourParty);
  ASSERT_TRUE(r.ok()) << All(r);
  auto vaults = OpenVaults(r.config);
  ASSERT_TRUE(vaults.ok()) << vaults.status();
  ASSERT_TRUE(vaults->private_vault->Put(storage::kSigningKey, "sk", AsBytes("k")).ok());
  EXPECT_TRUE(fs::exists(dir_ + "/keys/PRIV-p1/SigningKey/sk"));
  EXPECT_TRUE(fs::exists(dir_ + "/backup_vault/BACKUP-p1/SigningKey/sk"));
  EXPECT_TRUE(fs::is_directory(dir_ + "/keys/PUB-p1"));
}

}  // namespace
}  // namespace kms::service

namespace kms::service {
namespace {

// [service.tls] and [[service.callers]]: the client port's TLS identity and who may call.
constexpr const char* kCallers = R"(
[service.tls]
cert = "certs/cert_p1.pem"
key = "certs/key_p1.pem"
[[service.callers]]
name = "operator"
cert = "certs/cert_p2.pem"
roles = ["admin", "decrypt", "read"]
[[service.callers]]
name = "gateway"
cert = "certs/cert_p3.pem"
roles = ["decrypt"]
)";

TEST_F(ConfigTest, CallersWithRolesLoadAndAreDescribed) {
  const ConfigLoadResult r = Parse(std::string(kCentralized) + kCallers);
  ASSERT_TRUE(r.ok()) << All(r);
  ASSERT_TRUE(r.config.service.tls.has_value());
  EXPECT_EQ(r.config.service.tls->cert, "certs/cert_p1.pem");
  ASSERT_EQ(r.config.service.callers.size(), 2u);
  EXPECT_EQ(r.config.service.callers[0].name, "operator");
  EXPECT_EQ(r.config.service.callers[0].roles,
            (std::vector<CallerRole>{CallerRole::kAdmin, CallerRole::kDecrypt, CallerRole::kRead}));
  EXPECT_EQ(r.config.service.callers[1].roles, std::vector<CallerRole>{CallerRole::kDecrypt});
  const std::string d = DescribeConfig(r.config);
  EXPECT_HAS(d, "client port: mutual TLS");
  EXPECT_HAS(d, "caller gateway: decrypt (cert certs/cert_p3.pem)");
}

TEST_F(ConfigTest, WithoutTlsTheClientPortIsDescribedAsPlaintext) {
  const ConfigLoadResult r = Parse(kCentralized);
  ASSERT_TRUE(r.ok()) << All(r);
  EXPECT_FALSE(r.config.service.tls.has_value());
  EXPECT_HAS(DescribeConfig(r.config), "client port: PLAINTEXT, unauthenticated");
}

TEST_F(ConfigTest, CallerProblemsNameTheirKeys) {
  std::string text = std::string(kCentralized) + kCallers;
  text = absl::StrReplaceAll(text, {{"roles = [\"decrypt\"]", "roles = [\"decrypt\", \"root\"]"},
                                    {"name = \"gateway\"", "name = \"operator\""}});
  ConfigLoadResult r = Parse(text);
  EXPECT_HAS(ProblemAt(r, "service.callers[1].roles"), "\"root\" is not one of");
  EXPECT_HAS(ProblemAt(r, "service.callers[1].name"), "duplicate caller name \"operator\"");

  r = Parse(absl::StrReplaceAll(
      std::string(kCentralized) + kCallers,
      {{"roles = [\"decrypt\"]", "roles = []"}, {"certs/cert_p3.pem", "certs/cert_p2.pem"}}));
  EXPECT_HAS(ProblemAt(r, "service.callers[1].roles"), "at least one role");
  EXPECT_HAS(ProblemAt(r, "service.callers[1].cert"), "same certificate file as");

  r = Parse(absl::StrReplaceAll(std::string(kCentralized) + kCallers,
                                {{"roles = [\"decrypt\"]", "roles = [\"read\", \"read\"]"},
                                 {"certs/cert_p3.pem", "certs/missing.pem"}}));
  EXPECT_HAS(ProblemAt(r, "service.callers[1].roles"), "role \"read\" appears twice");
  EXPECT_HAS(ProblemAt(r, "service.callers[1].cert"), "file not found");

  r = Parse(absl::StrReplaceAll(std::string(kCentralized) + kCallers,
                                {{"roles = [\"decrypt\"]", "roles = \"decrypt\""}}));
  EXPECT_EQ(ProblemAt(r, "service.callers[1].roles"),
            "service.callers[1].roles: expected array of strings, got string");
}

TEST_F(ConfigTest, TlsAndCallersComeTogether) {
  // Callers without TLS cannot be authenticated.
  std::string text = std::string(kCentralized) + kCallers;
  text = absl::StrReplaceAll(
      text, {{"[service.tls]\ncert = \"certs/cert_p1.pem\"\nkey = \"certs/key_p1.pem\"\n", ""}});
  EXPECT_HAS(ProblemAt(Parse(text), "service.callers"), "add [service.tls]");
  // TLS without callers locks everyone out.
  text = std::string(kCentralized) +
         "[service.tls]\ncert = \"certs/cert_p1.pem\"\nkey = \"certs/key_p1.pem\"\n";
  EXPECT_HAS(ProblemAt(Parse(text), "service.callers"), "at least one [[service.callers]]");
}

TEST_F(ConfigTest, CallerRolesMayComeFromTheEnvironment) {
  env_.Set("KMS_CORE__SERVICE__CALLERS__1__ROLES", "read, decrypt");
  const ConfigLoadResult r = Parse(std::string(kCentralized) + kCallers);
  ASSERT_TRUE(r.ok()) << All(r);
  EXPECT_EQ(r.config.service.callers[1].roles,
            (std::vector<CallerRole>{CallerRole::kRead, CallerRole::kDecrypt}));
}

}  // namespace
}  // namespace kms::service
