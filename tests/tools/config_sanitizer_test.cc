#include "client/config_sanitizer.h"

#include <gtest/gtest.h>

namespace kms::client {
namespace {

constexpr char kConfig[] = R"(
[service]
listen_port = 50100

[public_vault.storage.s3]
bucket = "kms-public"
endpoint = "http://127.0.0.1:9000"
access_key_id = "AKIAEXAMPLEID"
secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

[private_vault.storage.postgres]
dsn = "postgres://kms:hunter2@db.internal:5432/kms_db"

[backup_vault.storage.postgres]
dsn = "host=db.internal port=5432 dbname=kms user=kms password='s3 cret' sslmode=require"

[threshold]
my_id = 1
threshold = 1
[threshold.tls]
cert = "certs/cert_p1.pem"
key = "certs/key_p1.pem"
[[threshold.peers]]
party_id = 1
address = "p1"
port = 50001
tls_cert = "certs/cert_p1.pem"

[extra]
api_token = 12345
inline = "-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----"
)";

TEST(SanitizeConfigToml, RemovesEverySecretAndKeepsTheRest) {
  absl::StatusOr<std::string> out = SanitizeConfigToml(kConfig);
  ASSERT_TRUE(out.ok()) << out.status();
  for (const char* secret :
       {"AKIAEXAMPLEID", "wJalrXUtnFEMI", "hunter2", "s3 cret", "12345", "MIIEvQ", "PRIVATE KEY"}) {
    EXPECT_EQ(out->find(secret), std::string::npos) << secret << "\n" << *out;
  }
  for (const char* kept : {"kms-public", "db.internal:5432/kms_db", "postgres://kms:[REDACTED]@",
                           "password=[REDACTED] sslmode=require", "certs/key_p1.pem",
                           "listen_port = 50100", "party_id = 1"}) {
    EXPECT_NE(out->find(kept), std::string::npos) << kept << "\n" << *out;
  }
}

TEST(SanitizeConfigToml, UnparsableTextIsNotCopied) {
  absl::StatusOr<std::string> out = SanitizeConfigToml("secret = \"abc\"\nbroken = [1,\n");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(out.status().message().find("abc"), absl::string_view::npos);
}

TEST(RedactDsn, BothForms) {
  EXPECT_EQ(RedactDsn("postgresql://u:p@h/db"), "postgresql://u:[REDACTED]@h/db");
  EXPECT_EQ(RedactDsn("postgresql://u@h/db"), "postgresql://u@h/db");
  EXPECT_EQ(RedactDsn("host=h password=x dbname=d"), "host=h password=[REDACTED] dbname=d");
  EXPECT_EQ(RedactDsn("postgres://h/db?user=u&password=x&sslmode=off"),
            "postgres://h/db?user=u&password=[REDACTED]&sslmode=off");
  EXPECT_EQ(RedactDsn("host=h"), "host=h");
}

TEST(IsSecretKeyName, Names) {
  for (const char* k : {"secret_access_key", "access_key_id", "PASSWORD", "api_token",
                        "private_key", "credentials"}) {
    EXPECT_TRUE(IsSecretKeyName(k)) << k;
  }
  for (const char* k : {"key", "cert", "dsn", "path", "prefix", "bucket"}) {
    EXPECT_FALSE(IsSecretKeyName(k)) << k;
  }
}

}  // namespace
}  // namespace kms::client
