// The caller's TLS settings (client/client_tls.h): which files turn TLS on, the errors for an
// incomplete or unreadable set, and the environment fallback.
#include "client/client_tls.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace kms::client {
namespace {

namespace fs = std::filesystem;

class ClientTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "kms-client-tls-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    ca_ = Write("ca.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    cert_ = Write("me.pem", "-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n");
    key_ = Write("me.key", "-----BEGIN PRIVATE KEY-----\nCCCC\n-----END PRIVATE KEY-----\n");
  }
  void TearDown() override {
    fs::remove_all(dir_);
    ::unsetenv("KMS_TLS_CA");
    ::unsetenv("KMS_TLS_CERT");
    ::unsetenv("KMS_TLS_KEY");
  }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  std::string dir_, ca_, cert_, key_;
};

TEST_F(ClientTlsTest, NothingGivenIsPlaintext) {
  auto tls = LoadClientTls({});
  ASSERT_TRUE(tls.ok()) << tls.status();
  EXPECT_FALSE(tls->has_value());
}

TEST_F(ClientTlsTest, AllThreeFilesAreRead) {
  auto tls = LoadClientTls({ca_, cert_, key_});
  ASSERT_TRUE(tls.ok()) << tls.status();
  ASSERT_TRUE(tls->has_value());
  EXPECT_NE((*tls)->ca_pem.find("AAAA"), std::string::npos);
  EXPECT_NE((*tls)->cert_pem.find("BBBB"), std::string::npos);
  EXPECT_EQ((*tls)->key_pem.size(), fs::file_size(key_));
}

TEST_F(ClientTlsTest, CaAloneIsTlsWithoutACertificate) {
  auto tls = LoadClientTls({ca_, "", ""});
  ASSERT_TRUE(tls.ok()) << tls.status();
  ASSERT_TRUE(tls->has_value());
  EXPECT_TRUE((*tls)->cert_pem.empty());
}

TEST_F(ClientTlsTest, IncompleteOrBadFilesAreRefusedWithTheReason) {
  EXPECT_NE(LoadClientTls({ca_, cert_, ""}).status().message().find("together"), std::string::npos);
  EXPECT_NE(LoadClientTls({"", cert_, key_}).status().message().find("--tls-ca"),
            std::string::npos);
  const auto missing = LoadClientTls({dir_ + "/nope.pem", "", ""});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("nope.pem"), std::string::npos);
  const std::string junk = Write("junk.pem", "not a pem file");
  EXPECT_NE(LoadClientTls({junk, "", ""}).status().message().find("is not a PEM file"),
            std::string::npos);
  const std::string big = Write("big.pem", std::string(70 * 1024, 'x'));
  EXPECT_NE(LoadClientTls({big, "", ""}).status().message().find("larger than"), std::string::npos);
}

TEST_F(ClientTlsTest, FlagsWinOverTheEnvironment) {
  ::setenv("KMS_TLS_CA", ca_.c_str(), 1);
  ::setenv("KMS_TLS_CERT", cert_.c_str(), 1);
  ::setenv("KMS_TLS_KEY", key_.c_str(), 1);
  EXPECT_EQ(ChooseClientTlsFiles({}).cert, cert_);
  EXPECT_EQ(ChooseClientTlsFiles({"other-ca.pem", "", ""}).ca, "other-ca.pem");
  EXPECT_TRUE(ChooseClientTlsFiles({"other-ca.pem", "", ""}).cert.empty());
}

}  // namespace
}  // namespace kms::client
