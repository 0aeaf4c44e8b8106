#include "client/endpoint.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/absl_compat_internal.h"

namespace kms::client {

std::string Endpoint::ToString() const {
  if (host.find(':') != std::string::npos) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

absl::StatusOr<Endpoint> ParseEndpoint(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("endpoint \"", Av(text), "\": ", Av(why),
                                                   " (expected host:port, e.g. localhost:50100)"));
  };
  std::string_view rest = text;
  if (absl::StartsWithIgnoreCase(Av(rest), "http://")) {
    rest.remove_prefix(7);
  } else if (absl::StartsWithIgnoreCase(Av(rest), "https://")) {
    rest.remove_prefix(8);
  } else if (rest.find("://") != std::string_view::npos) {
    return bad("only http:// and https:// prefixes are accepted");
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) return bad("a path is not allowed");
  Endpoint out;
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) return bad("unclosed '['");
    out.host = std::string(rest.substr(1, close - 1));
    std::string_view after = rest.substr(close + 1);
    if (after.empty() || after.front() != ':') return bad("missing port");
    port_text = after.substr(1);
  } else {
    const size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) return bad("missing port");
    out.host = std::string(rest.substr(0, colon));
    if (out.host.find(':') != std::string::npos) return bad("write IPv6 addresses as [addr]:port");
    port_text = rest.substr(colon + 1);
  }
  if (out.host.empty()) return bad("empty host");
  for (char c : out.host) {
    if (c == ' ' || c == '\t' || c == '@' || c == '?' || c == '#') return bad("invalid host");
  }
  uint32_t port = 0;
  if (port_text.empty() || !absl::SimpleAtoi(Av(port_text), &port))
    return bad("port is not a number");
  for (char c : port_text) {
    if (c < '0' || c > '9') return bad("port is not a number");
  }
  if (port == 0 || port > 65535) return bad("port outside 1..65535");
  out.port = static_cast<uint16_t>(port);
  return out;
}

}  // namespace kms::client
