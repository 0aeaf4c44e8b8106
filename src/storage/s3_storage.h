// File: storage/s3_storage.h
//
// Storage in an S3 bucket (AWS or any S3-compatible endpoint: Ceph radosgw, MinIO, ...), objects
// at s3://<bucket>/<prefix>/<DataType>/<id>, through libcurl with its built-in SigV4 signer.
//
// Wire choices and why (dependencies.md, "libcurl 7.88 SigV4 quirks"):
// - Path-style URLs (<endpoint>/<bucket>/<key>): work with every S3-compatible server and need
//   no wildcard DNS.
// - CURLOPT_AWS_SIGV4 "aws:amz:<region>:s3" with the access key as user and the secret as
//   password. x-amz-content-sha256 is always sent with the SHA-256 of the body, so the server
//   verifies the payload and curl signs the right hash.
// - Query strings are built canonical (sorted, RFC 3986) because curl 7.88 signs them verbatim.
// - Listing uses ListObjectsV2 with continuation tokens; keys are read from the XML by a small
//   hand-written reader (s3_internal.h).
// - Streamed objects (and Puts larger than one chunk) are multipart uploads: the producer's bytes
//   are cut into parts of StreamOptions::chunk_size (S3 wants at least 5 MiB per part but the
//   last, and at most 10000 parts: Create checks both), CreateMultipartUpload at the first full
//   part, one UploadPart per part (retried once on a transport or 5xx failure), then
//   CompleteMultipartUpload, which makes the object visible at once: until then readers and List
//   see the old object. Any failure aborts the upload (AbortMultipartUpload), so no part stays
//   stored; a crash in the middle leaves an incomplete upload, invisible but billed, which
//   ListIncompleteUploads shows (a bucket lifecycle rule AbortIncompleteMultipartUpload removes
//   them). An object that fits in one part is one plain PUT, as Put always was. A failed
//   Complete may still have stored the object when only its answer was lost.
// - GetStream is one streamed GET (one version of the object, never a mix), its body cut into
//   chunks as it arrives; Get is the same request collected into memory; Size is a HEAD.
//
// Errors: HTTP 403 → PermissionDenied with the S3 error code (e.g. "SignatureDoesNotMatch: check
// the access key and secret"), 404 → NotFound, 5xx and transport failures → Unavailable, other
// 4xx → FailedPrecondition or InvalidArgument with the S3 error code. The secret key never appears
// in Describe(), logs or error messages, and is zeroed when the storage is destroyed.
//
// Thread safety: thread-safe. Requests run on pooled curl handles (one per concurrent request),
// which keeps HTTP connections alive between requests.
#ifndef KMS_STORAGE_S3_STORAGE_H_
#define KMS_STORAGE_S3_STORAGE_H_

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "storage/storage.h"

namespace kms::storage {

namespace internal {
class ReadTarget;
}  // namespace internal

struct S3Options {
  std::string
      endpoint;  // "http(s)://host[:port]", no path; e.g. "https://s3.eu-west-1.amazonaws.com"
  std::string bucket;  // 3..63 of [a-z0-9.-]
  std::string prefix;  // the vault prefix (storage.h rules)
  std::string region;  // e.g. "us-east-1"
  std::string access_key_id;
  std::string secret_access_key;
  // ListObjectsV2 page size (max-keys); 0 leaves the server's default (1000). Tests use small
  // pages to exercise continuation tokens.
  int max_keys_per_page = 0;
  // chunk_size is the multipart part size: at least kS3MinPartSize, and max_object_size at most
  // 10000 parts.
  StreamOptions stream;
};

// S3's smallest part of a multipart upload (all but the last).
inline constexpr size_t kS3MinPartSize = size_t{5} << 20;
inline constexpr uint64_t kS3MaxParts = 10000;

// Checks an endpoint ("http(s)://host[:port]", a trailing '/' allowed), a bucket name (S3 rules)
// and a region without contacting anything; InvalidArgument naming the field. Used by
// S3Storage::Create and by the configuration validator.
[[nodiscard]] absl::Status ValidateS3Location(std::string_view endpoint, std::string_view bucket,
                                              std::string_view region);

class S3Storage final : public Storage {
 public:
  // Checks the options (InvalidArgument naming the field); does not contact the server.
  static absl::StatusOr<std::unique_ptr<S3Storage>> Create(S3Options options);
  ~S3Storage() override;
  S3Storage(const S3Storage&) = delete;
  S3Storage& operator=(const S3Storage&) = delete;

  absl::Status Put(std::string_view data_type, std::string_view id, ByteSpan data) override;
  absl::StatusOr<Bytes> Get(std::string_view data_type, std::string_view id) override;
  absl::Status PutStream(std::string_view data_type, std::string_view id,
                         const ObjectProducer& produce) override;
  absl::Status GetStream(std::string_view data_type, std::string_view id,
                         const ByteSink& sink) override;
  absl::StatusOr<uint64_t> Size(std::string_view data_type, std::string_view id) override;
  absl::StatusOr<bool> Exists(std::string_view data_type, std::string_view id) override;
  absl::StatusOr<std::vector<std::string>> List(std::string_view data_type) override;
  absl::Status Delete(std::string_view data_type, std::string_view id) override;
  std::string Describe() const override;
  const std::string& prefix() const override { return options_.prefix; }

  // Creates the bucket unless it exists (deployment tools and tests; the server expects the
  // bucket to be provisioned).
  [[nodiscard]] absl::Status CreateBucketIfMissing();

  // Multipart uploads begun under this vault's prefix and neither completed nor aborted (left by
  // a crash, or running right now), as (key, upload id).
  struct IncompleteUpload {
    std::string key;
    std::string upload_id;
  };
  absl::StatusOr<std::vector<IncompleteUpload>> ListIncompleteUploads();

 private:
  struct Request;
  struct Response {
    long http_status = 0;
    Bytes body;
    std::string etag;                        // ETag header, quotes included
    std::optional<uint64_t> content_length;  // Content-Length header
    bool streamed = false;                   // the body went to Request::target
  };

  explicit S3Storage(S3Options options);

  // Sends one request. `key` is the object key (empty for the bucket itself), `query` an
  // already canonical query string. Transport failures → Unavailable; any HTTP status is
  // returned as a Response for the caller to map.
  absl::StatusOr<Response> Perform(const Request& request);
  // Maps a non-success response to a status for `what` (e.g. "GET PRIV-p1/PrssSetup/ab").
  absl::Status ErrorFor(const Response& response, std::string_view what) const;

  // The write path of Put and PutStream (one PUT, or a multipart upload). Names are validated.
  absl::Status Write(std::string_view data_type, std::string_view id, const ObjectProducer& produce,
                     uint64_t limit);
  // The read path of Get and GetStream. Names are validated.
  absl::Status Read(std::string_view data_type, std::string_view id, internal::ReadTarget& target);
  absl::Status PutObject(const std::string& key, ByteSpan data);
  absl::StatusOr<std::string> StartUpload(const std::string& key);
  absl::StatusOr<std::string> UploadPart(const std::string& key, const std::string& upload_id,
                                         size_t part_number, ByteSpan part);
  absl::Status CompleteUpload(const std::string& key, const std::string& upload_id,
                              const std::vector<std::string>& etags);
  absl::Status AbortUpload(const std::string& key, const std::string& upload_id);

  void* AcquireHandle();
  void ReleaseHandle(void* handle);

  S3Options options_;                 // the secret is zeroed by the destructor
  const std::string sigv4_provider_;  // "aws:amz:<region>:s3"
  std::mutex mu_;
  std::vector<void*> idle_handles_ ABSL_GUARDED_BY(mu_);  // CURL*, kept out of the header
};

}  // namespace kms::storage

#endif  // KMS_STORAGE_S3_STORAGE_H_
