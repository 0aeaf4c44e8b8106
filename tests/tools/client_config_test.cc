#include "client/client_config.h"

#include <gtest/gtest.h>

#include <array>
#include <cctype>

#include "absl/strings/str_cat.h"
#include "client/health_check_options.h"
#include "crypto/secp256k1_signer.h"

namespace kms::client {
namespace {

TEST(ParseClientConfig, ReadsPartiesInIdOrder) {
  absl::StatusOr<ClientConfig> c = ParseClientConfig(R"(
threshold = 1
fhe_parameter = "test"
request_timeout_secs = 30
[[parties]]
party_id = 2
address = "http://127.0.0.1:50200"
[[parties]]
party_id = 1
address = "127.0.0.1:50100"
[[parties]]
party_id = 3
address = "localhost:50300"
[[parties]]
party_id = 4
address = "localhost:50400"
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->threshold, 1u);
  EXPECT_EQ(c->fhe_parameter, "test");
  EXPECT_EQ(c->request_timeout_secs, 30u);
  EXPECT_EQ(c->connection_timeout_secs, 5u);
  ASSERT_EQ(c->parties.size(), 4u);
  EXPECT_EQ(c->Addresses()[0], "127.0.0.1:50100");
  EXPECT_EQ(c->Addresses()[1], "http://127.0.0.1:50200");
  // Written back and read again: the same.
  absl::StatusOr<ClientConfig> again = ParseClientConfig(ClientConfigToToml(*c));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->Addresses(), c->Addresses());
  EXPECT_EQ(again->threshold, c->threshold);
}

TEST(ParseClientConfig, ReportsEveryProblemWithItsPath) {
  absl::StatusOr<ClientConfig> c = ParseClientConfig(R"(
threshold = 2
colour = "blue"
request_timeout_secs = 0
[[parties]]
party_id = 1
address = "nohostport"
[[parties]]
party_id = 1
address = "h:1"
port = 3
)");
  ASSERT_FALSE(c.ok());
  const std::string msg(c.status().message());
  for (const char* expected :
       {"colour: unknown key", "request_timeout_secs: must be > 0", "parties[0].address: endpoint",
        "parties[1].party_id: party 1 listed twice", "parties[1].port: unknown key",
        "threshold: n = 2 parties cannot tolerate t = 2"}) {
    EXPECT_NE(msg.find(expected), std::string::npos) << expected << "\n" << msg;
  }
  EXPECT_FALSE(ParseClientConfig("").ok());
  EXPECT_FALSE(ParseClientConfig("[[parties]\n").ok());
}

// Addresses of two fixed keys, so the checksummed forms are known.
std::string AddressOf(uint8_t seed) {
  std::array<uint8_t, 32> secret{};
  secret[31] = seed;
  return crypto::SigningKey::FromBytes(secret)->verification_key().EthereumAddressChecksummed();
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

TEST(ParseClientConfig, ReadsPinnedSignerAddresses) {
  const std::string a1 = AddressOf(1), a2 = AddressOf(2);
  absl::StatusOr<ClientConfig> c = ParseClientConfig(absl::StrCat(R"(
[[parties]]
party_id = 2
address = "127.0.0.1:50200"
signer_address = ")",
                                                                  a2, R"("
[[parties]]
party_id = 1
address = "127.0.0.1:50100"
signer_address = ")",
                                                                  a1, "\"\n"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->pinned());
  ASSERT_TRUE(c->parties[0].signer.has_value());
  EXPECT_EQ(crypto::ChecksumAddress(*c->parties[0].signer), a1);
  EXPECT_EQ(crypto::ChecksumAddress(*c->parties[1].signer), a2);
  // kms-local writes them; they read back the same.
  absl::StatusOr<ClientConfig> again = ParseClientConfig(ClientConfigToToml(*c));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->parties[1].signer, c->parties[1].signer);

  absl::StatusOr<ClientConfig> unpinned =
      ParseClientConfig("[[parties]]\nparty_id = 1\naddress = \"h:1\"\n");
  ASSERT_TRUE(unpinned.ok());
  EXPECT_FALSE(unpinned->pinned());
  EXPECT_EQ(ClientConfigToToml(*unpinned).find("signer_address"), std::string::npos);
}

TEST(ParseClientConfig, RefusesMalformedOrInconsistentSignerAddresses) {
  const std::string a1 = AddressOf(1);
  std::string typo = a1;
  // Flip the case of one letter: a typo that the EIP-55 checksum catches.
  for (size_t i = 2; i < typo.size(); ++i) {
    if (std::isalpha(static_cast<unsigned char>(typo[i]))) {
      typo[i] = static_cast<char>(std::isupper(static_cast<unsigned char>(typo[i]))
                                      ? std::tolower(static_cast<unsigned char>(typo[i]))
                                      : std::toupper(static_cast<unsigned char>(typo[i])));
      break;
    }
  }
  auto entry = [](int id, const std::string& signer) {
    return absl::StrCat("[[parties]]\nparty_id = ", id, "\naddress = \"h:", id, "\"\n",
                        signer.empty() ? "" : absl::StrCat("signer_address = ", signer, "\n"));
  };
  absl::StatusOr<ClientConfig> c = ParseClientConfig(absl::StrCat(
      entry(1, absl::StrCat("\"", typo, "\"")), entry(2, absl::StrCat("\"", Lower(a1), "\"")),
      entry(3, "\"0x1234\""), entry(4, "17"), entry(5, absl::StrCat("\"", a1, "\"")),
      entry(6, absl::StrCat("\"", a1, "\"")), entry(7, "")));
  ASSERT_FALSE(c.ok());
  const std::string msg(c.status().message());
  for (const std::string& expected :
       {std::string("parties[0].signer_address: address 0x"), std::string("fails its EIP-55"),
        absl::StrCat("parties[1].signer_address: \"", Lower(a1),
                     "\" is not EIP-55 checksummed; write it as ", a1),
        std::string("parties[2].signer_address: expected \"0x\" and 40 hex digits"),
        std::string("parties[3].signer_address: expected a string"),
        absl::StrCat("parties[5].signer_address: ", a1, " is already pinned for party 5"),
        std::string("parties: signer_address is given for 6 of 7 parties")}) {
    EXPECT_NE(msg.find(expected), std::string::npos) << expected << "\n" << msg;
  }
}

TEST(ParseClientConfig, ReadsTlsFilesAndWritesThemBack) {
  const std::string parties = "[[parties]]\nparty_id = 1\naddress = \"localhost:50100\"\n";
  absl::StatusOr<ClientConfig> c = ParseClientConfig(
      "[tls]\nca = \"/c/ports.pem\"\ncert = \"/c/op.pem\"\nkey = \"/c/op.key\"\n" + parties);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->tls.ca, "/c/ports.pem");
  EXPECT_EQ(c->tls.key, "/c/op.key");
  absl::StatusOr<ClientConfig> again = ParseClientConfig(ClientConfigToToml(*c));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->tls.cert, "/c/op.pem");

  absl::StatusOr<ClientConfig> bad =
      ParseClientConfig("[tls]\ncert = \"op.pem\"\ncolor = \"red\"\n" + parties);
  ASSERT_FALSE(bad.ok());
  const std::string m(bad.status().message());
  EXPECT_NE(m.find("tls.ca: missing required key"), std::string::npos) << m;
  EXPECT_NE(m.find("tls.color: unknown key"), std::string::npos) << m;
  EXPECT_NE(m.find("tls: give cert and key together"), std::string::npos) << m;
}

TEST(HealthCheckTimeouts, DefaultsFileAndEnvironment) {
  auto no_env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  absl::StatusOr<HealthCheckTimeouts> d = LoadHealthCheckTimeouts(std::nullopt, no_env);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->connection_timeout_secs, 5u);
  EXPECT_EQ(d->request_timeout_secs, 10u);

  absl::StatusOr<HealthCheckTimeouts> f =
      ParseHealthCheckToml("connection_timeout_secs = 2\nrequest_timeout_secs = 30\n");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->connection_timeout_secs, 2u);
  EXPECT_EQ(f->request_timeout_secs, 30u);
  EXPECT_FALSE(ParseHealthCheckToml("timeout = 3").ok());
  EXPECT_FALSE(ParseHealthCheckToml("request_timeout_secs = \"3\"").ok());
  EXPECT_FALSE(ParseHealthCheckToml("request_timeout_secs = 0").ok());

  auto env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "HEALTH_CHECK__REQUEST_TIMEOUT_SECS") return "7";
    return std::nullopt;
  };
  absl::StatusOr<HealthCheckTimeouts> e = LoadHealthCheckTimeouts(std::nullopt, env);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->request_timeout_secs, 7u);
  EXPECT_EQ(e->connection_timeout_secs, 5u);
  auto bad_env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "HEALTH_CHECK__CONNECTION_TIMEOUT_SECS") return "soon";
    return std::nullopt;
  };
  absl::StatusOr<HealthCheckTimeouts> b = LoadHealthCheckTimeouts(std::nullopt, bad_env);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("HEALTH_CHECK__CONNECTION_TIMEOUT_SECS"),
            absl::string_view::npos);
  EXPECT_EQ(LoadHealthCheckTimeouts(std::string("/nonexistent/hc.toml"), no_env).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace kms::client
