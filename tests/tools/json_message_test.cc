#include "client/json_message.h"

#include <gtest/gtest.h>

#include "client/core_client.h"
#include "proto/kms_service.pb.h"

namespace kms::client {
namespace {

TEST(MessageToJson, UsesProtoFieldNamesAndPrintsDefaults) {
  v1::HealthStatusResponse health;
  health.add_my_fhe_key_ids("ab");
  health.set_node_type(v1::NODE_TYPE_THRESHOLD);
  absl::StatusOr<std::string> json = MessageToJson(health, /*pretty=*/false);
  ASSERT_TRUE(json.ok());
  EXPECT_NE(json->find("\"my_fhe_key_ids\":[\"ab\"]"), std::string::npos) << *json;
  EXPECT_NE(json->find("\"node_type\":\"NODE_TYPE_THRESHOLD\""), std::string::npos);
  EXPECT_NE(json->find("\"my_crs_ids\":[]"), std::string::npos);
  EXPECT_NE(json->find("\"my_storage_info\":\"\""), std::string::npos);
}

TEST(JsonToMessage, RoundTripsAndAcceptsCamelCase) {
  v1::PublicKeyRequest request;
  ASSERT_TRUE(JsonToMessage(R"({"key_id": "abc"})", &request).ok());
  EXPECT_EQ(request.key_id(), "abc");
  ASSERT_TRUE(JsonToMessage(R"({"keyId": "def"})", &request).ok());
  EXPECT_EQ(request.key_id(), "def");
  ASSERT_TRUE(JsonToMessage("  ", &request).ok());
  EXPECT_EQ(request.key_id(), "");
  v1::NewMpcEpochRequest epoch;
  epoch.set_force(true);
  epoch.set_epoch_id("01");
  v1::NewMpcEpochRequest back;
  ASSERT_TRUE(JsonToMessage(*MessageToJson(epoch), &back).ok());
  EXPECT_EQ(back.SerializeAsString(), epoch.SerializeAsString());
}

TEST(JsonToMessage, RejectsUnknownFieldsAndBadJson) {
  v1::PublicKeyRequest request;
  absl::Status s = JsonToMessage(R"({"key": "abc"})", &request);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("kms.v1.PublicKeyRequest"), absl::string_view::npos) << s;
  EXPECT_FALSE(JsonToMessage("{", &request).ok());
  EXPECT_FALSE(JsonToMessage(R"({"key_id": 5})", &request).ok());
}

TEST(FindCoreRpc, AcceptsTheGrpcurlSpellings) {
  for (const char* name :
       {"GetHealthStatus", "kms.v1.CoreService/GetHealthStatus",
        "kms.v1.CoreService.GetHealthStatus", "/kms.v1.CoreService/GetHealthStatus"}) {
    absl::StatusOr<const google::protobuf::MethodDescriptor*> m = FindCoreRpc(name);
    ASSERT_TRUE(m.ok()) << name;
  }
  absl::StatusOr<const google::protobuf::MethodDescriptor*> bad = FindCoreRpc("GetHealth");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("known: GetHealthStatus"), absl::string_view::npos);
}

TEST(CoreRpcNames, ListsEveryRpcOfTheProto) {
  const std::vector<std::string> names = CoreRpcNames();
  EXPECT_EQ(names.size(), 19u);
  EXPECT_EQ(names.front(), "GetHealthStatus");
}

TEST(CallJson, RefusesBadInputBeforeSending) {
  // Nothing listens on this port; the errors below must come before any connection attempt.
  absl::StatusOr<std::unique_ptr<CoreClient>> c = CoreClient::Create("127.0.0.1:1");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(CallJson(**c, "NoSuchRpc", "{}").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CallJson(**c, "GetPublicKey", R"({"nope": 1})").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kms::client
