#include "client/json_message.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "client/absl_compat_internal.h"
#include "client/core_client.h"
#include "common/status_macros.h"

namespace kms::client {

absl::StatusOr<std::string> MessageToJson(const google::protobuf::Message& message, bool pretty) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = pretty;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string out;
  const auto status = google::protobuf::util::MessageToJsonString(message, &out, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(message.GetDescriptor()->full_name(),
                     ": cannot print as JSON: ", std::string(status.message())));
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

absl::Status JsonToMessage(std::string_view json, google::protobuf::Message* message) {
  message->Clear();
  absl::string_view trimmed = absl::StripAsciiWhitespace(Av(json));
  if (trimmed.empty()) return absl::OkStatus();
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status =
      google::protobuf::util::JsonStringToMessage(std::string(trimmed), message, options);
  if (!status.ok()) {
    message->Clear();
    return absl::InvalidArgumentError(absl::StrCat(
        message->GetDescriptor()->full_name(), ": invalid JSON: ", std::string(status.message())));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> CallJson(CoreClient& client, std::string_view rpc,
                                     std::string_view request_json) {
  KMS_ASSIGN_OR_RETURN(const google::protobuf::MethodDescriptor* method, FindCoreRpc(rpc));
  google::protobuf::MessageFactory* factory = google::protobuf::MessageFactory::generated_factory();
  const google::protobuf::Message* request_prototype = factory->GetPrototype(method->input_type());
  const google::protobuf::Message* response_prototype =
      factory->GetPrototype(method->output_type());
  if (request_prototype == nullptr || response_prototype == nullptr) {
    return absl::InternalError(absl::StrCat(method->name(), ": message types not linked in"));
  }
  std::unique_ptr<google::protobuf::Message> request(request_prototype->New());
  std::unique_ptr<google::protobuf::Message> response(response_prototype->New());
  KMS_RETURN_IF_ERROR(JsonToMessage(request_json, request.get()));
  KMS_RETURN_IF_ERROR(client.Call(method->name(), *request, response.get()));
  return MessageToJson(*response, /*pretty=*/true);
}

}  // namespace kms::client
