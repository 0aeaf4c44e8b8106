#include "storage/s3_storage.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "crypto/secure_zero.h"
#include "storage/absl_compat_internal.h"
#include "storage/s3_internal.h"
#include "storage/stream_internal.h"

namespace kms::storage {

using ::kms::storage::internal::Av;

using s3_internal::CanonicalQuery;
using s3_internal::UriEncode;

namespace {

// A listing page is a few hundred bytes per key and at most 1000 keys.
constexpr size_t kMaxListPageBytes = size_t{16} << 20;
// Error documents are small; anything bigger is cut (we only read the code from it).
constexpr size_t kMaxErrorBodyBytes = size_t{64} << 10;
// Idle connections kept per storage.
constexpr size_t kMaxIdleHandles = 8;

absl::Status GlobalInit() {
  static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (rc != CURLE_OK) {
    return absl::InternalError(
        absl::StrCat("libcurl initialisation failed: ", curl_easy_strerror(rc)));
  }
  return absl::OkStatus();
}

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

absl::Status ValidateOptions(S3Options& o) {
  KMS_RETURN_IF_ERROR(ValidateS3Location(o.endpoint, o.bucket, o.region));
  if (o.endpoint.ends_with("/")) o.endpoint.pop_back();
  KMS_RETURN_IF_ERROR(ValidatePrefix(o.prefix));
  if (o.max_keys_per_page < 0 || o.max_keys_per_page > 1000) {
    return absl::InvalidArgumentError("s3 max_keys_per_page must be between 0 and 1000");
  }
  if (o.access_key_id.empty()) {
    return absl::InvalidArgumentError(
        "s3 access key id is empty (set it in the configuration or AWS_ACCESS_KEY_ID)");
  }
  if (o.access_key_id.size() > 128 || std::any_of(o.access_key_id.begin(), o.access_key_id.end(),
                                                  [](char c) { return c <= ' ' || c >= 0x7f; })) {
    return absl::InvalidArgumentError("s3 access key id must be at most 128 printable characters");
  }
  if (o.secret_access_key.empty()) {
    return absl::InvalidArgumentError(
        "s3 secret access key is empty (set it in the configuration or AWS_SECRET_ACCESS_KEY)");
  }
  // The secret's value is never echoed, only its shape.
  if (o.secret_access_key.size() > 256 ||
      std::any_of(o.secret_access_key.begin(), o.secret_access_key.end(),
                  [](char c) { return c < ' ' || c >= 0x7f; })) {
    return absl::InvalidArgumentError(
        "s3 secret access key must be at most 256 printable characters");
  }
  KMS_RETURN_IF_ERROR(ValidateStreamOptions(o.stream));
  if (o.stream.chunk_size < kS3MinPartSize) {
    return absl::InvalidArgumentError(absl::StrCat("s3 stream chunk size ", o.stream.chunk_size,
                                                   " is below the smallest S3 part (",
                                                   kS3MinPartSize, " bytes)"));
  }
  if (o.stream.max_object_size > kS3MaxParts * o.stream.chunk_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "s3 stream max object size ", o.stream.max_object_size, " needs more than ", kS3MaxParts,
        " parts of ", o.stream.chunk_size, " bytes; raise the chunk size"));
  }
  return absl::OkStatus();
}

struct UploadSource {
  ByteSpan data;
  size_t offset = 0;
};

size_t ReadBody(char* buffer, size_t size, size_t nitems, void* user) {
  auto* src = static_cast<UploadSource*>(user);
  const size_t n = std::min(size * nitems, src->data.size() - src->offset);
  if (n > 0) std::memcpy(buffer, src->data.data() + src->offset, n);
  src->offset += n;
  return n;
}

// Lets curl rewind the upload when it must resend (e.g. a reused connection was closed).
int SeekBody(void* user, curl_off_t offset, int origin) {
  auto* src = static_cast<UploadSource*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<size_t>(offset) > src->data.size()) {
    return CURL_SEEKFUNC_CANTSEEK;
  }
  src->offset = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

// Where an answer's body goes: a 200 answer to an object GET with a ReadTarget goes to it as it
// arrives; every other body (listings, error documents) is collected up to `limit`.
struct DownloadSink {
  CURL* curl;
  Bytes* body;
  size_t limit;
  bool overflow = false;
  internal::ReadTarget* target = nullptr;
  const std::string* what = nullptr;
  const std::optional<uint64_t>* content_length = nullptr;
  bool started = false;
};

size_t WriteBody(char* data, size_t size, size_t nmemb, void* user) {
  auto* sink = static_cast<DownloadSink*>(user);
  const size_t n = size * nmemb;
  if (sink->target != nullptr) {
    long status = 0;
    curl_easy_getinfo(sink->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status == 200) {
      // Returning less than n makes curl stop with CURLE_WRITE_ERROR; target->status() says why.
      if (!sink->started) {
        sink->started = true;
        if (!sink->target->Begin(*sink->content_length, *sink->what).ok()) return 0;
      }
      if (!sink->target->Write(ByteSpan(reinterpret_cast<const uint8_t*>(data), n)).ok()) return 0;
      return n;
    }
  }
  if (sink->body->size() + n > sink->limit) {
    sink->overflow = true;
    return 0;  // makes curl fail the transfer with CURLE_WRITE_ERROR
  }
  sink->body->insert(sink->body->end(), reinterpret_cast<uint8_t*>(data),
                     reinterpret_cast<uint8_t*>(data) + n);
  return n;
}

// Collects the ETag and Content-Length of the final answer (a "100 Continue" block comes first).
size_t ReadHeader(char* data, size_t size, size_t nitems, void* user) {
  auto* headers = static_cast<std::pair<std::string*, std::optional<uint64_t>*>*>(user);
  const size_t n = size * nitems;
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    headers->first->clear();
    headers->second->reset();
    return n;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (name == "etag") {
    *headers->first = std::string(value.substr(0, 256));
  } else if (name == "content-length") {
    uint64_t v = 0;
    bool ok = !value.empty() && value.size() <= 19;
    for (char c : value) {
      if (c < '0' || c > '9') {
        ok = false;
        break;
      }
      v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    if (ok) *headers->second = v;
  }
  return n;
}

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

}  // namespace

absl::Status ValidateS3Location(std::string_view endpoint, std::string_view bucket,
                                std::string_view region) {
  // Endpoint: scheme and authority only; the bucket goes into the path (path-style).
  std::string_view rest;
  if (endpoint.starts_with("http://")) {
    rest = endpoint.substr(7);
  } else if (endpoint.starts_with("https://")) {
    rest = endpoint.substr(8);
  } else {
    return absl::InvalidArgumentError(absl::StrCat("s3 endpoint \"", Av(endpoint.substr(0, 100)),
                                                   "\" must start with http:// or https://"));
  }
  if (rest.ends_with("/")) rest.remove_suffix(1);
  if (rest.empty()) return absl::InvalidArgumentError("s3 endpoint has no host");
  for (char c : rest) {
    if (c == '/' || c == '?' || c == '#' || c == '@' || c <= ' ' || c >= 0x7f) {
      return absl::InvalidArgumentError(
          absl::StrCat("s3 endpoint \"", Av(endpoint.substr(0, 100)),
                       "\" must be scheme://host[:port] without path, query or user info"));
    }
  }
  // Bucket: the S3 naming rules.
  if (bucket.size() < 3 || bucket.size() > 63) {
    return absl::InvalidArgumentError("s3 bucket name must be 3 to 63 characters long");
  }
  for (char c : bucket) {
    if (!IsLowerAlnum(c) && c != '-' && c != '.') {
      return absl::InvalidArgumentError(
          absl::StrCat("s3 bucket \"", Av(bucket),
                       "\" may only contain lower-case letters, digits, '-' and '.'"));
    }
  }
  if (!IsLowerAlnum(bucket.front()) || !IsLowerAlnum(bucket.back())) {
    return absl::InvalidArgumentError(
        absl::StrCat("s3 bucket \"", Av(bucket), "\" must start and end with a letter or digit"));
  }
  if (region.empty() || region.size() > 32) {
    return absl::InvalidArgumentError("s3 region must be 1 to 32 characters long");
  }
  for (char c : region) {
    if (!IsLowerAlnum(c) && c != '-') {
      return absl::InvalidArgumentError(absl::StrCat(
          "s3 region \"", Av(region), "\" may only contain lower-case letters, digits and '-'"));
    }
  }
  return absl::OkStatus();
}

struct S3Storage::Request {
  const char* method = "GET";  // GET, PUT, POST, HEAD or DELETE
  std::string key;             // object key, empty for the bucket itself
  std::string query;           // canonical query string, without '?'
  ByteSpan body;               // PUT and POST
  size_t max_response_bytes = kMaxErrorBodyBytes;
  // GET of an object: a 200 answer's body goes to `target` (Begin, Write; the caller calls End)
  // instead of Response::body; `what` names the object in its errors.
  internal::ReadTarget* target = nullptr;
  std::string what;
};

S3Storage::S3Storage(S3Options options)
    : options_(std::move(options)),
      sigv4_provider_(absl::StrCat("aws:amz:", options_.region, ":s3")) {}

absl::StatusOr<std::unique_ptr<S3Storage>> S3Storage::Create(S3Options options) {
  absl::Status valid = ValidateOptions(options);
  if (!valid.ok()) {
    crypto::SecureZero(options.secret_access_key.data(), options.secret_access_key.size());
    return valid;
  }
  KMS_RETURN_IF_ERROR(GlobalInit());
  return std::unique_ptr<S3Storage>(new S3Storage(std::move(options)));
}

S3Storage::~S3Storage() {
  std::lock_guard<std::mutex> lock(mu_);
  for (void* h : idle_handles_) curl_easy_cleanup(static_cast<CURL*>(h));
  idle_handles_.clear();
  crypto::SecureZero(options_.secret_access_key.data(), options_.secret_access_key.size());
}

void* S3Storage::AcquireHandle() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_handles_.empty()) {
      void* h = idle_handles_.back();
      idle_handles_.pop_back();
      return h;
    }
  }
  return curl_easy_init();
}

void S3Storage::ReleaseHandle(void* handle) {
  // Reset drops the per-request options (and curl's copy of the credentials) but keeps the
  // connection cache, so the next request can reuse the connection.
  curl_easy_reset(static_cast<CURL*>(handle));
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_handles_.size() < kMaxIdleHandles) {
    idle_handles_.push_back(handle);
  } else {
    curl_easy_cleanup(static_cast<CURL*>(handle));
  }
}

absl::StatusOr<S3Storage::Response> S3Storage::Perform(const Request& request) {
  CURL* curl = static_cast<CURL*>(AcquireHandle());
  if (curl == nullptr) return absl::ResourceExhaustedError("S3: cannot allocate a curl handle");
  struct Releaser {
    S3Storage* self;
    CURL* curl;
    ~Releaser() { self->ReleaseHandle(curl); }
  } releaser{this, curl};

  std::string url = absl::StrCat(options_.endpoint, "/", options_.bucket);
  if (!request.key.empty()) absl::StrAppend(&url, "/", UriEncode(request.key, true));
  if (!request.query.empty()) absl::StrAppend(&url, "?", request.query);

  std::unique_ptr<curl_slist, SlistDeleter> headers;
  auto add_header = [&](const std::string& h) -> bool {
    curl_slist* next = curl_slist_append(headers.get(), h.c_str());
    if (next == nullptr) return false;
    (void)headers.release();
    headers.reset(next);
    return true;
  };
  // curl 7.88 signs whatever hash this header carries; the server checks it against the body.
  // No other custom header: curl signs every header in this list, including header removals such
  // as "Expect:", which are then not sent, and the server answers 403.
  if (!add_header(absl::StrCat("x-amz-content-sha256: ", s3_internal::Sha256Hex(request.body)))) {
    return absl::ResourceExhaustedError("S3: out of memory building headers");
  }

  Response response;
  UploadSource upload{request.body, 0};
  DownloadSink sink{curl, &response.body, request.max_response_bytes};
  sink.target = request.target;
  sink.what = &request.what;
  sink.content_length = &response.content_length;
  std::pair<std::string*, std::optional<uint64_t>*> header_sink{&response.etag,
                                                                &response.content_length};
  char error_buffer[CURL_ERROR_SIZE] = {0};

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  // A stalled transfer (under 1 KiB/s for 30 s) fails instead of hanging a request forever.
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 30L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4_provider_.c_str());
  curl_easy_setopt(curl, CURLOPT_USERNAME, options_.access_key_id.c_str());
  curl_easy_setopt(curl, CURLOPT_PASSWORD, options_.secret_access_key.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &ReadHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &header_sink);

  const std::string_view method = request.method;
  if (method == "PUT" || method == "POST") {
    // POST goes the way of PUT (body from the read callback, no Content-Type added, which curl
    // would otherwise send unsigned) with the method name replaced.
    if (method == "POST") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "POST");
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, &ReadBody);
    curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
    curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, &SeekBody);
    curl_easy_setopt(curl, CURLOPT_SEEKDATA, &upload);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (method == "DELETE") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "DELETE");
  }

  const CURLcode rc = curl_easy_perform(curl);
  if (rc != CURLE_OK) {
    if (request.target != nullptr && !request.target->status().ok()) {
      return request.target->status();
    }
    if (sink.overflow) {
      return absl::DataLossError(absl::StrCat("S3 ", Av(method), " ", request.key,
                                              ": answer larger than ", request.max_response_bytes,
                                              " bytes"));
    }
    return absl::UnavailableError(
        absl::StrCat("S3 ", Av(method), " ", options_.endpoint, "/", options_.bucket, "/",
                     request.key, " failed: ", curl_easy_strerror(rc),
                     error_buffer[0] != 0 ? absl::StrCat(" (", error_buffer, ")") : ""));
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.http_status);
  response.streamed = sink.started;
  return response;
}

absl::Status S3Storage::ErrorFor(const Response& response, std::string_view what) const {
  const s3_internal::S3Error error = s3_internal::ParseS3Error(
      std::string_view(reinterpret_cast<const char*>(response.body.data()), response.body.size()));
  std::string reason = absl::StrCat("HTTP ", response.http_status);
  if (!error.code.empty()) absl::StrAppend(&reason, " ", error.code.substr(0, 64));
  if (!error.message.empty()) absl::StrAppend(&reason, ": ", error.message.substr(0, 200));
  const std::string msg = absl::StrCat("S3 ", Av(what), " in bucket ", options_.bucket, " at ",
                                       options_.endpoint, ": ", reason);
  const long status = response.http_status;
  if (status == 403) {
    std::string hint;
    if (error.code == "SignatureDoesNotMatch" || error.code == "InvalidAccessKeyId" ||
        error.code.empty()) {
      hint = " (check the access key id and secret access key)";
    }
    return absl::PermissionDeniedError(absl::StrCat(msg, hint));
  }
  if (status == 404) return absl::NotFoundError(msg);
  if (status == 400 || status == 409 || status == 411 || status == 412) {
    return absl::FailedPreconditionError(msg);
  }
  return absl::UnavailableError(msg);
}

absl::Status S3Storage::Put(std::string_view data_type, std::string_view id, ByteSpan data) {
  KMS_RETURN_IF_ERROR(ValidateObjectName(data_type, id));
  KMS_RETURN_IF_ERROR(internal::CheckPutSize(
      data.size(), absl::StrCat("S3 object ", ObjectKey(options_.prefix, data_type, id),
                                " in bucket ", options_.bucket)));
  return Write(data_type, id, internal::WholeObject(data), kMaxObjectSize);
}

absl::Status S3Storage::PutStream(std::string_view data_type, std::string_view id,
                                  const ObjectProducer& produce) {
  KMS_RETURN_IF_ERROR(ValidateObjectName(data_type, id));
  return Write(data_type, id, produce, options_.stream.max_object_size);
}

absl::Status S3Storage::Write(std::string_view data_type, std::string_view id,
                              const ObjectProducer& produce, uint64_t limit) {
  const std::string key = ObjectKey(options_.prefix, data_type, id);
  const std::string what = absl::StrCat("S3 object ", key, " in bucket ", options_.bucket);
  std::string upload_id;
  std::vector<std::string> etags;
  internal::Rechunker parts(
      options_.stream.chunk_size, limit, internal::StreamTooLarge(what, limit),
      [&](ByteSpan part) -> absl::Status {
        if (upload_id.empty()) {
          KMS_ASSIGN_OR_RETURN(upload_id, StartUpload(key));
        }
        KMS_ASSIGN_OR_RETURN(std::string etag, UploadPart(key, upload_id, etags.size() + 1, part));
        etags.push_back(std::move(etag));
        return absl::OkStatus();
      });
  absl::Status s = internal::RunProducer(produce, parts, what);
  // The whole object is shorter than one part: one plain PUT.
  if (s.ok() && upload_id.empty()) return PutObject(key, parts.pending());
  if (s.ok()) s = parts.Flush();
  if (s.ok()) s = CompleteUpload(key, upload_id, etags);
  if (s.ok() || upload_id.empty()) return s;
  absl::Status aborted = AbortUpload(key, upload_id);
  if (!aborted.ok()) {
    return absl::Status(s.code(), absl::StrCat(s.message(), " (aborting multipart upload ",
                                               upload_id, " failed too: ", aborted.message(), ")"));
  }
  return s;
}

absl::Status S3Storage::PutObject(const std::string& key, ByteSpan data) {
  Request req;
  req.method = "PUT";
  req.key = key;
  req.body = data;
  KMS_ASSIGN_OR_RETURN(Response resp, Perform(req));
  if (resp.http_status != 200) return ErrorFor(resp, absl::StrCat("PUT ", key));
  return absl::OkStatus();
}

absl::StatusOr<std::string> S3Storage::StartUpload(const std::string& key) {
  Request req;
  req.method = "POST";
  req.key = key;
  req.query = CanonicalQuery({{"uploads", ""}});
  const std::string what = absl::StrCat("CreateMultipartUpload ", key);
  KMS_ASSIGN_OR_RETURN(Response resp, Perform(req));
  if (resp.http_status != 200) return ErrorFor(resp, what);
  auto upload_id = s3_internal::ParseInitiateMultipartUpload(
      std::string_view(reinterpret_cast<const char*>(resp.body.data()), resp.body.size()));
  if (!upload_id.ok()) {
    return absl::UnavailableError(
        absl::StrCat("S3 ", what, " in bucket ", options_.bucket,
                     ": malformed answer: ", upload_id.status().message()));
  }
  return upload_id;
}

absl::StatusOr<std::string> S3Storage::UploadPart(const std::string& key,
                                                  const std::string& upload_id, size_t part_number,
                                                  ByteSpan part) {
  Request req;
  req.method = "PUT";
  req.key = key;
  req.query =
      CanonicalQuery({{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}});
  req.body = part;
  const std::string what = absl::StrCat("UploadPart ", part_number, " of ", key);
  // One retry: a part is in memory and re-sending it replaces it, and losing a long upload to
  // one dropped connection would be costly.
  absl::Status last;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto resp = Perform(req);
    if (resp.ok() && resp->http_status == 200) {
      if (resp->etag.empty()) {
        return absl::UnavailableError(
            absl::StrCat("S3 ", what, " in bucket ", options_.bucket, ": answer without an ETag"));
      }
      return std::move(resp->etag);
    }
    last = resp.ok() ? ErrorFor(*resp, what) : resp.status();
    if (!absl::IsUnavailable(last)) break;
  }
  return last;
}

absl::Status S3Storage::CompleteUpload(const std::string& key, const std::string& upload_id,
                                       const std::vector<std::string>& etags) {
  const std::string body = s3_internal::CompleteMultipartUploadXml(etags);
  Request req;
  req.method = "POST";
  req.key = key;
  req.query = CanonicalQuery({{"uploadId", upload_id}});
  req.body = AsBytes(body);
  const std::string what = absl::StrCat("CompleteMultipartUpload ", key);
  KMS_ASSIGN_OR_RETURN(Response resp, Perform(req));
  if (resp.http_status != 200) return ErrorFor(resp, what);
  // S3 can answer 200 and still fail the completion, with an error document as the body.
  const std::string_view text(reinterpret_cast<const char*>(resp.body.data()), resp.body.size());
  if (!s3_internal::ParseS3Error(text).code.empty()) return ErrorFor(resp, what);
  absl::Status parsed = s3_internal::ParseCompleteMultipartUpload(text);
  if (!parsed.ok()) {
    return absl::UnavailableError(absl::StrCat("S3 ", what, " in bucket ", options_.bucket,
                                               ": malformed answer: ", parsed.message()));
  }
  return absl::OkStatus();
}

absl::Status S3Storage::AbortUpload(const std::string& key, const std::string& upload_id) {
  Request req;
  req.method = "DELETE";
  req.key = key;
  req.query = CanonicalQuery({{"uploadId", upload_id}});
  KMS_ASSIGN_OR_RETURN(Response resp, Perform(req));
  if (resp.http_status != 204 && resp.http_status != 200) {
    return ErrorFor(resp, absl::StrCat("AbortMultipartUpload ", key));
  }
  return absl::OkStatus();
}

absl::StatusOr<Bytes> S3Storage::Get(std::string_view data_type, std::string_view id) {
  KMS_RETURN_IF_ERROR(ValidateObjectName(data_type, id));
  Bytes out;
  internal::ReadTarget target(&out);
  KMS_RETURN_IF_ERROR(Read(data_type, id, target));
  return out;
}

absl::Status S3Storage::GetStream(std::string_view data_type, std::string_view id,
                                  const ByteSink& sink) {
  KMS_RETURN_IF_ERROR(ValidateObjectName(data_type, id));
  internal::ReadTarget target(sink, options_.stream);
  return Read(data_type, id, target);
}

absl::Status S3Storage::Read(std::string_view data_type, std::string_view id,
                             internal::ReadTarget& target) {
  Request req;
  req.key = ObjectKey(options_.prefix, data_type, id);
  req.target = &target;
  req.what = absl::StrCat("S3 object ", req.key, " in bucket ", options_.bucket);
  KMS_ASSIGN_OR_RETURN(Response resp, Perform(req));
  if (resp.http_status != 200) return ErrorFor(resp, absl::StrCat("GET ", req.key));
  // Without a body (an empty object) the body callback never announced the size.
  if (!resp.streamed) KMS_RETURN_IF_ERROR(target.Begin(resp.content_length.value_or(0), req.what));
  return target.End();
}

absl::StatusOr<uint64_t> S3Storage::Size(std::string_view data_type, std::string_view id) {
  KMS_RETURN_IF_ERROR(ValidateObjectName(data_type, id));
  Request req;
  req.method = "HEAD";
  req.key = ObjectKey(options_.prefix, data_type, id);
  KMS_ASSIGN_OR_RETURN(Response resp, Perform(req));
  if (resp.http_status == 404) {
    return absl::NotFoundError(
        absl::StrCat("S3: no object ", req.key, " in bucket ", options_.bucket));
  }
  if (resp.http_status != 200) return ErrorFor(resp, absl::StrCat("HEAD ", req.key));
  if (!resp.content_length.has_value()) {
    return absl::UnavailableError(absl::StrCat("S3 HEAD ", req.key, " in bucket ", options_.bucket,
                                               ": answer without Content-Length"));
  }
  return *resp.content_length;
}

absl::StatusOr<bool> S3Storage::Exists(std::string_view data_type, std::string_view id) {
  KMS_RETURN_IF_ERROR(ValidateObjectName(data_type, id));
  Request req;
  req.method = "HEAD";
  req.key = ObjectKey(options_.prefix, data_type, id);
  KMS_ASSIGN_OR_RETURN(Response resp, Perform(req));
  if (resp.http_status == 200) return true;
  if (resp.http_status == 404) return false;
  return ErrorFor(resp, absl::StrCat("HEAD ", req.key));
}

absl::StatusOr<std::vector<std::string>> S3Storage::List(std::string_view data_type) {
  KMS_RETURN_IF_ERROR(ValidateDataType(data_type));
  const std::string list_prefix = absl::StrCat(options_.prefix, "/", Av(data_type), "/");
  std::vector<std::string> ids;
  std::set<std::string> seen_tokens;
  std::string token;
  while (true) {
    std::vector<std::pair<std::string, std::string>> params = {{"list-type", "2"},
                                                               {"prefix", list_prefix}};
    if (!token.empty()) params.emplace_back("continuation-token", token);
    if (options_.max_keys_per_page > 0) {
      params.emplace_back("max-keys", std::to_string(options_.max_keys_per_page));
    }
    Request req;
    req.query = CanonicalQuery(std::move(params));
    req.max_response_bytes = kMaxListPageBytes;
    KMS_ASSIGN_OR_RETURN(Response resp, Perform(req));
    const std::string what = absl::StrCat("LIST ", list_prefix);
    if (resp.http_status != 200) return ErrorFor(resp, what);
    auto page = s3_internal::ParseListObjectsV2(
        std::string_view(reinterpret_cast<const char*>(resp.body.data()), resp.body.size()));
    if (!page.ok()) {
      return absl::UnavailableError(
          absl::StrCat("S3 ", what, ": malformed ListObjectsV2 answer: ", page.status().message()));
    }
    for (std::string& key : page->keys) {
      if (!key.starts_with(list_prefix)) continue;
      std::string id = key.substr(list_prefix.size());
      // Deeper keys and names this class would never write are not objects of this type.
      if (id.find('/') != std::string::npos || !ValidateId(id).ok()) continue;
      ids.push_back(std::move(id));
    }
    if (!page->truncated) break;
    token = std::move(page->next_continuation_token);
    if (!seen_tokens.insert(token).second) {
      return absl::UnavailableError(
          absl::StrCat("S3 ", what, ": server repeated a continuation token"));
    }
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

absl::Status S3Storage::Delete(std::string_view data_type, std::string_view id) {
  KMS_RETURN_IF_ERROR(ValidateObjectName(data_type, id));
  // S3 answers 204 to a DELETE of a missing key; the contract says NotFound, so look first.
  KMS_ASSIGN_OR_RETURN(bool exists, Exists(data_type, id));
  const std::string key = ObjectKey(options_.prefix, data_type, id);
  if (!exists) {
    return absl::NotFoundError(absl::StrCat("S3: no object ", key, " in bucket ", options_.bucket));
  }
  Request req;
  req.method = "DELETE";
  req.key = key;
  KMS_ASSIGN_OR_RETURN(Response resp, Perform(req));
  if (resp.http_status != 204 && resp.http_status != 200) {
    return ErrorFor(resp, absl::StrCat("DELETE ", key));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<S3Storage::IncompleteUpload>> S3Storage::ListIncompleteUploads() {
  const std::string list_prefix = absl::StrCat(options_.prefix, "/");
  const std::string what = absl::StrCat("ListMultipartUploads ", list_prefix);
  std::vector<IncompleteUpload> uploads;
  std::set<std::pair<std::string, std::string>> seen_markers;
  std::string key_marker, upload_id_marker;
  while (true) {
    std::vector<std::pair<std::string, std::string>> params = {{"uploads", ""},
                                                               {"prefix", list_prefix}};
    if (!key_marker.empty()) params.emplace_back("key-marker", key_marker);
    if (!upload_id_marker.empty()) params.emplace_back("upload-id-marker", upload_id_marker);
    Request req;
    req.query = CanonicalQuery(std::move(params));
    req.max_response_bytes = kMaxListPageBytes;
    KMS_ASSIGN_OR_RETURN(Response resp, Perform(req));
    if (resp.http_status != 200) return ErrorFor(resp, what);
    auto page = s3_internal::ParseListMultipartUploads(
        std::string_view(reinterpret_cast<const char*>(resp.body.data()), resp.body.size()));
    if (!page.ok()) {
      return absl::UnavailableError(
          absl::StrCat("S3 ", what, ": malformed answer: ", page.status().message()));
    }
    for (auto& u : page->uploads) {
      if (u.key.starts_with(list_prefix)) {
        uploads.push_back({std::move(u.key), std::move(u.upload_id)});
      }
    }
    if (!page->truncated) break;
    key_marker = std::move(page->next_key_marker);
    upload_id_marker = std::move(page->next_upload_id_marker);
    if (!seen_markers.emplace(key_marker, upload_id_marker).second) {
      return absl::UnavailableError(absl::StrCat("S3 ", what, ": server repeated a marker"));
    }
  }
  return uploads;
}

absl::Status S3Storage::CreateBucketIfMissing() {
  Request head;
  head.method = "HEAD";
  KMS_ASSIGN_OR_RETURN(Response probe, Perform(head));
  if (probe.http_status == 200) return absl::OkStatus();
  if (probe.http_status != 404) return ErrorFor(probe, "HEAD bucket");

  // Outside us-east-1, AWS wants the region in the body.
  std::string body;
  if (options_.region != "us-east-1") {
    body = absl::StrCat(
        "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<LocationConstraint>",
        options_.region, "</LocationConstraint></CreateBucketConfiguration>");
  }
  Request put;
  put.method = "PUT";
  put.body = AsBytes(body);
  KMS_ASSIGN_OR_RETURN(Response resp, Perform(put));
  if (resp.http_status == 200) return absl::OkStatus();
  const auto error = s3_internal::ParseS3Error(
      std::string_view(reinterpret_cast<const char*>(resp.body.data()), resp.body.size()));
  if (resp.http_status == 409 && error.code == "BucketAlreadyOwnedByYou") return absl::OkStatus();
  return ErrorFor(resp, "PUT bucket");
}

std::string S3Storage::Describe() const {
  return absl::StrCat("s3:", options_.endpoint, "/", options_.bucket, "/", options_.prefix,
                      " (region ", options_.region, ")");
}

}  // namespace kms::storage
