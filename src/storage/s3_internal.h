// File: storage/s3_internal.h
//
// The pieces of the S3 client that do not touch the network, apart so they can be tested on
// their own: RFC 3986 encoding, canonical query strings (libcurl 7.88 signs the query exactly as
// given, so it must already be in SigV4 canonical form: parameters sorted by name, values
// RFC 3986 encoded with '/' as %2F), SHA-256 payload hashes, and a small XML reader for the two
// answers we parse (ListObjectsV2 results and error documents).
//
// The XML reader is deliberately small: elements, attributes (skipped), text, the five
// predefined entities and numeric character references, CDATA, comments and the XML
// declaration. A DOCTYPE is refused (no entity expansion, no external references). Input is
// untrusted: nesting depth and sizes are bounded and every malformation is an error.
#ifndef KMS_STORAGE_S3_INTERNAL_H_
#define KMS_STORAGE_S3_INTERNAL_H_

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/bytes.h"

namespace kms::storage::s3_internal {

// RFC 3986 percent-encoding: unreserved characters (A-Z a-z 0-9 - _ . ~) stay, every other byte
// becomes %XX (upper-case hex). '/' stays only when `keep_slash` (object key paths).
std::string UriEncode(std::string_view s, bool keep_slash);

// "a=1&b=x%2Fy": parameters sorted by encoded name (then value), names and values encoded.
std::string CanonicalQuery(std::vector<std::pair<std::string, std::string>> params);

// Lower-case hex SHA-256 (the x-amz-content-sha256 header).
std::string Sha256Hex(ByteSpan data);

// Calls `on_element(path, text)` at the end of every element, where `path` is the '/'-joined
// names from the root (e.g. "ListBucketResult/Contents/Key") and `text` the element's own
// decoded character data. InvalidArgument on malformed input.
inline constexpr size_t kMaxXmlDepth = 32;
[[nodiscard]] absl::Status WalkXml(
    std::string_view xml,
    const std::function<void(std::string_view path, std::string text)>& on_element);

struct ListObjectsPage {
  std::vector<std::string> keys;
  bool truncated = false;
  std::string next_continuation_token;
};

// Parses a ListObjectsV2 answer (root element ListBucketResult). InvalidArgument when it is not
// one, or when IsTruncated is true without a NextContinuationToken.
absl::StatusOr<ListObjectsPage> ParseListObjectsV2(std::string_view xml);

struct S3Error {
  std::string code;     // e.g. "SignatureDoesNotMatch"; empty when the body is not an S3 error
  std::string message;  // may be empty
};
// Best effort: an empty S3Error when `body` is not an S3 error document.
S3Error ParseS3Error(std::string_view body);

// ---- Multipart uploads ----

// The UploadId of an InitiateMultipartUploadResult; InvalidArgument when the answer is not one
// or has an empty UploadId.
absl::StatusOr<std::string> ParseInitiateMultipartUpload(std::string_view xml);

// OK when `xml` is a CompleteMultipartUploadResult (S3 may answer 200 with an error document
// instead: check ParseS3Error first); InvalidArgument otherwise.
[[nodiscard]] absl::Status ParseCompleteMultipartUpload(std::string_view xml);

// <CompleteMultipartUpload> listing parts 1..etags.size() with their ETags (as the server sent
// them, quotes included), text escaped.
std::string CompleteMultipartUploadXml(const std::vector<std::string>& etags);

struct PendingUpload {
  std::string key;
  std::string upload_id;
};
struct ListUploadsPage {
  std::vector<PendingUpload> uploads;
  bool truncated = false;
  std::string next_key_marker;
  std::string next_upload_id_marker;
};
// Parses a ListMultipartUploads answer (root ListMultipartUploadsResult). InvalidArgument when it
// is not one, or when it is truncated without a NextKeyMarker.
absl::StatusOr<ListUploadsPage> ParseListMultipartUploads(std::string_view xml);

}  // namespace kms::storage::s3_internal

#endif  // KMS_STORAGE_S3_INTERNAL_H_
