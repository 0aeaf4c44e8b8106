// File: client/json_message.h
//
// JSON for any kms.v1 message, through protobuf's own JSON mapping and the generated
// descriptors: what `kms-client call <Rpc> [json]` reads and prints, in the role grpcurl plays in
// the troubleshooting guide (`grpcurl -plaintext localhost:50100
// kms.v1.CoreService/GetHealthStatus` becomes `kms-client call GetHealthStatus`).
//
// Field names are the proto names (peers_from_all_contexts, my_fhe_key_ids, as service-spec §2
// writes them); the lowerCamelCase JSON names are accepted on input too. Fields at their default
// value are printed, so an operator sees an empty key list as [] rather than nothing. bytes are
// base64 (the protobuf JSON rule); enums are printed by name.
#ifndef KMS_CLIENT_JSON_MESSAGE_H_
#define KMS_CLIENT_JSON_MESSAGE_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace google::protobuf {
class Message;
}  // namespace google::protobuf

namespace kms::client {

class CoreClient;

// The message as JSON; `pretty` indents it with two spaces. InvalidArgument only for a message
// protobuf cannot print (never for the generated kms.v1 types).
absl::StatusOr<std::string> MessageToJson(const google::protobuf::Message& message,
                                          bool pretty = true);

// Parses `json` into `message` (cleared first). Unknown fields are errors. InvalidArgument
// naming the message type and protobuf's reason, e.g. "kms.v1.PublicKeyRequest: invalid JSON:
// ...".
[[nodiscard]] absl::Status JsonToMessage(std::string_view json, google::protobuf::Message* message);

// Calls kms.v1.CoreService/<rpc> on `client` with the request written as JSON ("" or "{}" for an
// empty request) and returns the answer as pretty JSON. InvalidArgument for an unknown RPC or
// bad JSON (before anything is sent); otherwise the call's status.
absl::StatusOr<std::string> CallJson(CoreClient& client, std::string_view rpc,
                                     std::string_view request_json);

}  // namespace kms::client

#endif  // KMS_CLIENT_JSON_MESSAGE_H_
