// File: client/endpoint.h
//
// Where a party's client port is: "host:port", as operators write it on command lines and in
// configuration files. The troubleshooting guide writes addresses as URLs
// (`kms-init --addresses http://kms-threshold-1:50100`), so an "http://" or "https://" scheme and
// a trailing "/" are accepted and stripped; the scheme does not choose the transport (TLS is
// configured on its own: client/client_tls.h). IPv6 literals are written in
// brackets ("[::1]:50100").
#ifndef KMS_CLIENT_ENDPOINT_H_
#define KMS_CLIENT_ENDPOINT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace kms::client {

struct Endpoint {
  std::string host;  // name, IPv4 literal, or IPv6 literal without brackets
  uint16_t port = 0;

  // "host:port" ("[::1]:50100" for IPv6), the form gRPC's resolver takes.
  std::string ToString() const;
  bool operator==(const Endpoint&) const = default;
};

// Parses "host:port", "http://host:port", "https://host:port/" or "[v6]:port". InvalidArgument
// (quoting the text) on an empty host, a missing or non-numeric port, a port outside 1..65535,
// a path after the port, or another scheme.
absl::StatusOr<Endpoint> ParseEndpoint(std::string_view text);

}  // namespace kms::client

#endif  // KMS_CLIENT_ENDPOINT_H_
