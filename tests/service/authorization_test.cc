// The client port's authorization table (service/authorization.h): every RPC of kms.v1.CoreService
// has exactly the role the security model gives it, and a name outside the table is refused.
// The TLS path itself (certificates, refusals on the wire) is tested end to end in
// tests/e2e/client_port_auth_test.cc.
#include "service/authorization.h"

#include <google/protobuf/descriptor.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <set>

#include "proto/kms_service.grpc.pb.h"

namespace kms::service {
namespace {

const google::protobuf::ServiceDescriptor* CoreServiceDescriptor() {
  return kms::v1::HealthStatusRequest::descriptor()->file()->FindServiceByName("CoreService");
}

TEST(AuthorizationTest, EveryCoreServiceRpcHasARole) {
  const google::protobuf::ServiceDescriptor* service = CoreServiceDescriptor();
  ASSERT_NE(service, nullptr);
  for (int i = 0; i < service->method_count(); ++i) {
    EXPECT_TRUE(RequiredRole(service->method(i)->name()).has_value())
        << service->method(i)->name() << " has no role: it would be refused for everyone";
  }
}

TEST(AuthorizationTest, RolesFollowTheSecurityModel) {
  const std::set<std::string> admin = {"NewMpcEpoch", "DestroyMpcEpoch", "KeyGenPreproc",
                                       "KeyGen",      "InsecureKeyGen",  "AbortKeyGen"};
  const std::set<std::string> decrypt = {
      "PublicDecrypt", "PublicDecryptSync", "GetPublicDecryptionResult",
      "UserDecrypt",   "UserDecryptSync",   "GetUserDecryptionResult"};
  const google::protobuf::ServiceDescriptor* service = CoreServiceDescriptor();
  for (int i = 0; i < service->method_count(); ++i) {
    const std::string name = service->method(i)->name();
    const CallerRole expected = admin.count(name) > 0     ? CallerRole::kAdmin
                                : decrypt.count(name) > 0 ? CallerRole::kDecrypt
                                                          : CallerRole::kRead;
    EXPECT_EQ(RequiredRole(name), expected) << name;
  }
  EXPECT_FALSE(RequiredRole("DeleteEverything").has_value());
}

TEST(AuthorizationTest, PlaintextPortGrantsEveryRoleAndSaysSo) {
  ServerConfig config;
  auto auth = ClientPortAuth::Create(config);
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_FALSE((*auth)->tls());
  grpc::ServerContext context;
  auto caller = (*auth)->Authorize(context, "DestroyMpcEpoch");
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(*caller, "unauthenticated");
  EXPECT_EQ((*auth)->Authorize(context, "NoSuchRpc").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_NE((*auth)->Describe().find("PLAINTEXT, unauthenticated"), std::string::npos);
}

TEST(AuthorizationTest, MissingCallerCertificateStopsTheStart) {
  ServerConfig config;
  config.config_dir = "/nonexistent-kms-dir";
  config.service.tls = TlsConfig{"port.pem", "port.key"};
  auto auth = ClientPortAuth::Create(config);
  ASSERT_FALSE(auth.ok());
  EXPECT_EQ(auth.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(auth.status().message().find("service.tls.cert"), std::string::npos) << auth.status();
}

}  // namespace
}  // namespace kms::service
