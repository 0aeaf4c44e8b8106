// The storage contract (storage_contract.h) and backend-specific checks against real servers: a
// PostgreSQL and a Ceph radosgw (S3) started on loopback by run_server_backends.sh, which passes
// them in KMS_TEST_PG_DSN and KMS_TEST_S3_{ENDPOINT,ACCESS_KEY,SECRET_KEY,REGION}. Not a *_test.cc
// file on purpose: it cannot run without those servers, so CTest runs it through the driver.
#include <curl/curl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <tuple>

#include "storage/postgres_storage.h"
#include "storage/s3_internal.h"
#include "storage/s3_storage.h"
#include "storage_contract.h"

namespace kms::storage::testing {
namespace {

constexpr const char* kPgPassword = "pg-password-never-shown";
constexpr const char* kBucket = "kms-storage-test";

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    ADD_FAILURE() << name << " is not set; run this test through run_server_backends.sh";
    return "";
  }
  return v;
}

// The DSN with a password the (trust-auth) server ignores, so its absence from every message
// and description can be checked.
std::string PgDsn() { return Env("KMS_TEST_PG_DSN") + " password=" + kPgPassword; }

S3Options S3(const std::string& prefix) {
  S3Options o;
  o.endpoint = Env("KMS_TEST_S3_ENDPOINT");
  o.bucket = kBucket;
  o.prefix = prefix;
  o.region = Env("KMS_TEST_S3_REGION");
  o.access_key_id = Env("KMS_TEST_S3_ACCESS_KEY");
  o.secret_access_key = Env("KMS_TEST_S3_SECRET_KEY");
  return o;
}

absl::StatusOr<std::unique_ptr<Storage>> MakeS3(S3Options options) {
  auto s = S3Storage::Create(std::move(options));
  if (!s.ok()) return s.status();
  absl::Status bucket = (*s)->CreateBucketIfMissing();
  if (!bucket.ok()) return bucket;
  return std::unique_ptr<Storage>(std::move(*s));
}

StreamOptions Chunks(size_t chunk_size) {
  StreamOptions o;
  o.chunk_size = chunk_size;
  return o;
}

// Rows of kms_object_parts under `prefix`, counted by a connection of its own.
absl::StatusOr<size_t> PartRows(const std::string& prefix) {
  PGconn* conn = PQconnectdb(Env("KMS_TEST_PG_DSN").c_str());
  const char* params[] = {prefix.c_str()};
  PGresult* r = PQexecParams(conn, "SELECT count(*) FROM kms_object_parts WHERE vault_prefix = $1",
                             1, nullptr, params, nullptr, nullptr, 0);
  absl::StatusOr<size_t> n = absl::InternalError(PQerrorMessage(conn));
  if (PQresultStatus(r) == PGRES_TUPLES_OK) n = std::stoul(PQgetvalue(r, 0, 0));
  PQclear(r);
  PQfinish(conn);
  return n;
}

StorageBackend Postgres() {
  return {"Postgres",
          [](const std::string& prefix,
             const StreamOptions& stream) -> absl::StatusOr<std::unique_ptr<Storage>> {
            auto s = PostgresStorage::Connect(PgDsn(), prefix, stream);
            if (!s.ok()) return s.status();
            return std::unique_ptr<Storage>(std::move(*s));
          },
          {kPgPassword},
          Chunks(size_t{1} << 20),
          PartRows};
}

absl::StatusOr<size_t> IncompleteUploads(const std::string& prefix) {
  auto s = S3Storage::Create(S3(prefix));
  if (!s.ok()) return s.status();
  auto uploads = (*s)->ListIncompleteUploads();
  if (!uploads.ok()) return uploads.status();
  return uploads->size();
}

StorageBackend S3Backend() {
  const char* secret = std::getenv("KMS_TEST_S3_SECRET_KEY");
  // S3 parts but the last are at least 5 MiB.
  return {"S3",
          [](const std::string& prefix, const StreamOptions& stream) {
            S3Options o = S3(prefix);
            o.stream = stream;
            return MakeS3(std::move(o));
          },
          {secret != nullptr && *secret != '\0' ? secret : "unset-secret"},
          Chunks(kS3MinPartSize),
          IncompleteUploads};
}

INSTANTIATE_TEST_SUITE_P(Servers, StorageContractTest, ::testing::Values(Postgres(), S3Backend()),
                         BackendName);

// A loopback port nothing listens on.
int ClosedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// ---- S3 ----

TEST(S3ServerTest, WrongSecretIsPermissionDeniedWithTheReason) {
  S3Options o = S3(UniquePrefix("W"));
  const std::string right = o.secret_access_key;
  o.secret_access_key = "definitely-the-wrong-secret";
  auto s = S3Storage::Create(o);
  ASSERT_TRUE(s.ok()) << s.status();
  absl::Status put = (*s)->Put("PublicKey", "k", AsBytes("x"));
  EXPECT_EQ(put.code(), absl::StatusCode::kPermissionDenied) << put;
  const std::string msg(put.message());
  EXPECT_NE(msg.find("SignatureDoesNotMatch"), std::string::npos) << msg;
  EXPECT_NE(msg.find("check the access key id and secret access key"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("definitely-the-wrong-secret"), std::string::npos) << msg;
  EXPECT_EQ(msg.find(right), std::string::npos) << msg;
  EXPECT_EQ((*s)->Get("PublicKey", "k").status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ((*s)->List("PublicKey").status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ((*s)->Exists("PublicKey", "k").status().code(), absl::StatusCode::kPermissionDenied);
}

TEST(S3ServerTest, UnknownAccessKeyIsPermissionDenied) {
  S3Options o = S3(UniquePrefix("U"));
  o.access_key_id = "NOSUCHACCESSKEY";
  auto s = S3Storage::Create(o);
  ASSERT_TRUE(s.ok()) << s.status();
  absl::Status put = (*s)->Put("PublicKey", "k", AsBytes("x"));
  EXPECT_EQ(put.code(), absl::StatusCode::kPermissionDenied) << put;
  EXPECT_NE(std::string(put.message()).find("InvalidAccessKeyId"), std::string::npos) << put;
}

TEST(S3ServerTest, UnreachableEndpointIsUnavailable) {
  S3Options o = S3(UniquePrefix("D"));
  o.endpoint = "http://127.0.0.1:" + std::to_string(ClosedPort());
  auto s = S3Storage::Create(o);
  ASSERT_TRUE(s.ok()) << s.status();
  absl::Status put = (*s)->Put("PublicKey", "k", AsBytes("x"));
  EXPECT_EQ(put.code(), absl::StatusCode::kUnavailable) << put;
  EXPECT_EQ(std::string(put.message()).find(o.secret_access_key), std::string::npos) << put;
}

TEST(S3ServerTest, MissingBucketIsReported) {
  S3Options o = S3(UniquePrefix("B"));
  o.bucket = "kms-no-such-bucket";
  auto s = S3Storage::Create(o);
  ASSERT_TRUE(s.ok()) << s.status();
  absl::Status put = (*s)->Put("PublicKey", "k", AsBytes("x"));
  EXPECT_EQ(put.code(), absl::StatusCode::kNotFound) << put;
  EXPECT_NE(std::string(put.message()).find("NoSuchBucket"), std::string::npos) << put;
}

TEST(S3ServerTest, ListingFollowsContinuationTokens) {
  S3Options o = S3(UniquePrefix("L"));
  o.max_keys_per_page = 3;
  auto s = MakeS3(o);
  ASSERT_TRUE(s.ok()) << s.status();
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    ids.push_back("id" + std::to_string(9 - i));
    ASSERT_TRUE((*s)->Put("PrssSetup", ids.back(), AsBytes("x")).ok());
  }
  // Deeper keys under the type are not objects of the type.
  auto deeper = MakeS3(S3(o.prefix + "/PrssSetup"));
  ASSERT_TRUE(deeper.ok());
  ASSERT_TRUE((*deeper)->Put("Sub", "x", AsBytes("x")).ok());
  std::sort(ids.begin(), ids.end());
  auto listed = (*s)->List("PrssSetup");
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(*listed, ids);
}

size_t Collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

TEST(S3ServerTest, ObjectsLiveAtBucketPrefixTypeId) {
  // What an operator sees with `aws s3 ls s3://<bucket>/PRIV-p1/PrssSetup/`: read the object
  // back with a plain signed GET of the path-style URL.
  const S3Options o = S3(UniquePrefix("PRIV-p1"));
  auto s = MakeS3(o);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_TRUE((*s)->Put("PrssSetup", "epoch-1", AsBytes("prss bytes")).ok());
  CURL* curl = curl_easy_init();
  ASSERT_NE(curl, nullptr);
  const std::string url = o.endpoint + "/" + o.bucket + "/" + o.prefix + "/PrssSetup/epoch-1";
  const std::string provider = "aws:amz:" + o.region + ":s3";
  const std::string hash_header = "x-amz-content-sha256: " + s3_internal::Sha256Hex({});
  curl_slist* headers = curl_slist_append(nullptr, hash_header.c_str());
  std::string body;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, provider.c_str());
  curl_easy_setopt(curl, CURLOPT_USERNAME, o.access_key_id.c_str());
  curl_easy_setopt(curl, CURLOPT_PASSWORD, o.secret_access_key.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  ASSERT_EQ(curl_easy_perform(curl), CURLE_OK);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body, "prss bytes");
}

TEST(S3ServerTest, StreamIsAMultipartUploadUntilItCompletes) {
  S3Options o = S3(UniquePrefix("M"));
  o.stream.chunk_size = kS3MinPartSize;
  auto made = S3Storage::Create(o);
  ASSERT_TRUE(made.ok()) << made.status();
  S3Storage& s = **made;
  ASSERT_TRUE(s.CreateBucketIfMissing().ok());
  const Bytes data = RandomBytes(2 * kS3MinPartSize + 100);
  absl::Status put = s.PutStream("ServerKey", "sk", [&](const ByteSink& write) {
    absl::Status w = write(data);
    if (!w.ok()) return w;
    // Two parts are uploaded; the upload is pending and the object does not exist yet.
    auto pending = s.ListIncompleteUploads();
    EXPECT_TRUE(pending.ok()) << pending.status();
    EXPECT_EQ(pending->size(), 1u);
    if (!pending->empty()) {
      EXPECT_EQ(pending->front().key, o.prefix + "/ServerKey/sk");
    }
    EXPECT_FALSE(s.Exists("ServerKey", "sk").value_or(true));
    return absl::OkStatus();
  });
  ASSERT_TRUE(put.ok()) << put;
  EXPECT_TRUE(
      s.ListIncompleteUploads().value_or(std::vector<S3Storage::IncompleteUpload>{{}}).empty());
  EXPECT_TRUE(s.Get("ServerKey", "sk").value_or(Bytes{}) == data);
}

TEST(S3ServerTest, PartSizeBelowTheS3MinimumIsRefused) {
  S3Options o = S3(UniquePrefix("P"));
  o.stream.chunk_size = kS3MinPartSize - 1;
  EXPECT_EQ(S3Storage::Create(o).status().code(), absl::StatusCode::kInvalidArgument);
  o.stream.chunk_size = kS3MinPartSize;
  o.stream.max_object_size = kS3MaxParts * kS3MinPartSize + 1;
  EXPECT_EQ(S3Storage::Create(o).status().code(), absl::StatusCode::kInvalidArgument);
}

// ---- PostgreSQL ----

struct PgConn {
  PGconn* conn = PQconnectdb(Env("KMS_TEST_PG_DSN").c_str());
  ~PgConn() { PQfinish(conn); }
};

TEST(PostgresServerTest, ObjectsAreRowsOfKmsObjects) {
  const std::string prefix = UniquePrefix("PUB-p1");
  auto s = PostgresStorage::Connect(PgDsn(), prefix);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_TRUE((*s)->Put("PublicKey", "key-1", AsBytes("12345")).ok());
  PgConn pg;
  ASSERT_EQ(PQstatus(pg.conn), CONNECTION_OK);
  const char* params[] = {prefix.c_str()};
  PGresult* r = PQexecParams(pg.conn,
                             "SELECT data_type, id, length(data), updated_at IS NOT NULL"
                             " FROM kms_objects WHERE vault_prefix = $1",
                             1, nullptr, params, nullptr, nullptr, 0);
  ASSERT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << PQresultErrorMessage(r);
  ASSERT_EQ(PQntuples(r), 1);
  EXPECT_STREQ(PQgetvalue(r, 0, 0), "PublicKey");
  EXPECT_STREQ(PQgetvalue(r, 0, 1), "key-1");
  EXPECT_STREQ(PQgetvalue(r, 0, 2), "5");
  EXPECT_STREQ(PQgetvalue(r, 0, 3), "t");
  PQclear(r);
  EXPECT_NE((*s)->Describe().find("dbname=kms_test"), std::string::npos) << (*s)->Describe();
}

// (rows of kms_objects, rows of kms_object_parts, part lengths in order) under `prefix`.
std::tuple<int, int, std::string> PgLayout(const std::string& prefix) {
  PgConn pg;
  const char* params[] = {prefix.c_str()};
  auto one = [&](const char* sql) {
    PGresult* r = PQexecParams(pg.conn, sql, 1, nullptr, params, nullptr, nullptr, 0);
    EXPECT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << PQresultErrorMessage(r);
    std::string v = PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) ? PQgetvalue(r, 0, 0) : "";
    PQclear(r);
    return v;
  };
  const std::string objects = one("SELECT count(*) FROM kms_objects WHERE vault_prefix = $1");
  const std::string parts = one("SELECT count(*) FROM kms_object_parts WHERE vault_prefix = $1");
  const std::string lengths =
      one("SELECT string_agg(length(data)::text, ',' ORDER BY part) FROM kms_object_parts"
          " WHERE vault_prefix = $1");
  return {std::stoi(objects), std::stoi(parts), lengths};
}

TEST(PostgresServerTest, StreamedObjectIsAHeadRowAndBoundedParts) {
  const std::string prefix = UniquePrefix("PUB-p1");
  auto s = PostgresStorage::Connect(PgDsn(), prefix, StreamOptions{1 << 20, 1 << 30});
  ASSERT_TRUE(s.ok()) << s.status();
  const Bytes data = RandomBytes(2 * (1 << 20) + 1000);
  ASSERT_TRUE((*s)->PutStream("ServerKey", "sk", InPieces(data, 1 << 20)).ok());
  EXPECT_EQ(PgLayout(prefix), std::make_tuple(1, 2, std::string("1048576,1000")));
  {
    PgConn pg;
    const char* params[] = {prefix.c_str()};
    PGresult* r =
        PQexecParams(pg.conn, "SELECT length(data) FROM kms_objects WHERE vault_prefix = $1", 1,
                     nullptr, params, nullptr, nullptr, 0);
    ASSERT_EQ(PQresultStatus(r), PGRES_TUPLES_OK);
    EXPECT_STREQ(PQgetvalue(r, 0, 0), "1048576");
    PQclear(r);
  }
  // A small Put over it is the row alone again; Delete takes the parts along.
  ASSERT_TRUE((*s)->PutStream("ServerKey", "sk", InPieces(data, 1 << 20)).ok());
  ASSERT_TRUE((*s)->Put("ServerKey", "sk", AsBytes("tiny")).ok());
  EXPECT_EQ(PgLayout(prefix), std::make_tuple(1, 0, std::string()));
  ASSERT_TRUE((*s)->PutStream("ServerKey", "sk", InPieces(data, 1 << 20)).ok());
  ASSERT_TRUE((*s)->Delete("ServerKey", "sk").ok());
  EXPECT_EQ(PgLayout(prefix), std::make_tuple(0, 0, std::string()));
}

TEST(PostgresServerTest, ADatabaseFromBeforeStreamsGetsThePartsTable) {
  const std::string db = "kms_old_" + UniquePrefix("d").substr(2);
  {
    PgConn admin;
    PGresult* r = PQexec(admin.conn, ("CREATE DATABASE " + db).c_str());
    ASSERT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQresultErrorMessage(r);
    PQclear(r);
  }
  std::string dsn = Env("KMS_TEST_PG_DSN");
  dsn.replace(dsn.find("dbname=kms_test"), 15, "dbname=" + db);
  {
    // The schema and a row as the previous release wrote them.
    PGconn* old = PQconnectdb(dsn.c_str());
    PGresult* r =
        PQexec(old,
               "CREATE TABLE kms_objects (vault_prefix text NOT NULL,"
               " data_type text NOT NULL, id text NOT NULL, data bytea NOT NULL,"
               " updated_at timestamptz NOT NULL DEFAULT now(),"
               " PRIMARY KEY (vault_prefix, data_type, id));"
               "INSERT INTO kms_objects VALUES ('PUB-p1', 'PublicKey', 'k', 'old', now())");
    ASSERT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQresultErrorMessage(r);
    PQclear(r);
    PQfinish(old);
  }
  auto s = PostgresStorage::Connect(dsn, "PUB-p1", StreamOptions{1 << 20, 1 << 30});
  ASSERT_TRUE(s.ok()) << s.status();
  auto old_value = (*s)->Get("PublicKey", "k");
  ASSERT_TRUE(old_value.ok()) << old_value.status();
  EXPECT_EQ(std::string(old_value->begin(), old_value->end()), "old");
  const Bytes data = RandomBytes(3 << 20);
  ASSERT_TRUE((*s)->PutStream("ServerKey", "sk", InPieces(data, 1 << 20)).ok());
  EXPECT_TRUE((*s)->Get("ServerKey", "sk").value_or(Bytes{}) == data);
}

TEST(PostgresServerTest, UnreachableServerIsUnavailableAndHidesThePassword) {
  const std::string dsn =
      "host=127.0.0.1 port=" + std::to_string(ClosedPort()) +
      " user=postgres dbname=kms_test connect_timeout=2 password=" + kPgPassword;
  auto s = PostgresStorage::Connect(dsn, "PUB-p1");
  EXPECT_EQ(s.status().code(), absl::StatusCode::kUnavailable) << s.status();
  EXPECT_EQ(std::string(s.status().message()).find(kPgPassword), std::string::npos) << s.status();
  auto uri = PostgresStorage::Connect("postgresql://postgres:" + std::string(kPgPassword) +
                                          "@127.0.0.1:" + std::to_string(ClosedPort()) +
                                          "/kms_test?connect_timeout=2",
                                      "PUB-p1");
  EXPECT_EQ(uri.status().code(), absl::StatusCode::kUnavailable) << uri.status();
  EXPECT_EQ(std::string(uri.status().message()).find(kPgPassword), std::string::npos);
}

TEST(PostgresServerTest, MalformedDsnIsInvalidArgument) {
  auto s = PostgresStorage::Connect("host=x nonsense_option=1", "PUB-p1");
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << s.status();
  auto quoted = PostgresStorage::Connect(std::string("password='") + kPgPassword, "PUB-p1");
  EXPECT_EQ(quoted.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(quoted.status().message()).find(kPgPassword), std::string::npos);
}

TEST(PostgresServerTest, ReconnectsAfterTheServerDropsItsConnections) {
  auto s = PostgresStorage::Connect(PgDsn(), UniquePrefix("R"));
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_TRUE((*s)->Put("Context", "c", AsBytes("before")).ok());
  {
    // What a database restart or failover does to pooled connections.
    PgConn admin;
    PGresult* r = PQexec(admin.conn,
                         "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                         " WHERE application_name = 'kms-server' AND pid <> pg_backend_pid()");
    ASSERT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << PQresultErrorMessage(r);
    EXPECT_GE(PQntuples(r), 1);
    PQclear(r);
  }
  auto got = (*s)->Get("Context", "c");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(std::string(got->begin(), got->end()), "before");
}

TEST(PostgresServerTest, ServersStartingTogetherCreateTheTableOnce) {
  const std::string db = "kms_race_" + UniquePrefix("d").substr(2);
  {
    PgConn admin;
    PGresult* r = PQexec(admin.conn, ("CREATE DATABASE " + db).c_str());
    ASSERT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQresultErrorMessage(r);
    PQclear(r);
  }
  std::string dsn = Env("KMS_TEST_PG_DSN");
  dsn.replace(dsn.find("dbname=kms_test"), 15, "dbname=" + db);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      auto s = PostgresStorage::Connect(dsn, "PRIV-p" + std::to_string(i + 1));
      if (!s.ok() || !(*s)->Put("SigningKey", "sk", AsBytes("k")).ok()) ++failures;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace kms::storage::testing
