// The S3 client's offline pieces: encoding, canonical queries, payload hashes, XML answers.
#include "storage/s3_internal.h"

#include <gtest/gtest.h>

namespace kms::storage::s3_internal {
namespace {

TEST(S3InternalTest, UriEncodeFollowsRfc3986) {
  EXPECT_EQ(UriEncode("AZaz09-_.~", false), "AZaz09-_.~");
  EXPECT_EQ(UriEncode("PRIV-p1/PrssSetup/", false), "PRIV-p1%2FPrssSetup%2F");
  EXPECT_EQ(UriEncode("PRIV-p1/PrssSetup/", true), "PRIV-p1/PrssSetup/");
  EXPECT_EQ(UriEncode("a b+c=d&e", false), "a%20b%2Bc%3Dd%26e");
  EXPECT_EQ(UriEncode("\xff\x01", false), "%FF%01");
}

TEST(S3InternalTest, CanonicalQuerySortsByName) {
  // The order radosgw (and AWS) expect, which libcurl 7.88 signs verbatim.
  EXPECT_EQ(CanonicalQuery({{"prefix", "PRIV-p1/"}, {"list-type", "2"}}),
            "list-type=2&prefix=PRIV-p1%2F");
  EXPECT_EQ(
      CanonicalQuery({{"prefix", "P/"}, {"list-type", "2"}, {"continuation-token", "a+b/c="}}),
      "continuation-token=a%2Bb%2Fc%3D&list-type=2&prefix=P%2F");
  EXPECT_EQ(CanonicalQuery({}), "");
}

TEST(S3InternalTest, Sha256HexKnownAnswers) {
  EXPECT_EQ(Sha256Hex({}), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex(AsBytes("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

constexpr const char* kListPage =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Name>kms</Name><Prefix>PUB-p1/PublicKey/</Prefix><MaxKeys>2</MaxKeys>"
    "<IsTruncated>true</IsTruncated>"
    "<Contents><Key>PUB-p1/PublicKey/a&amp;b</Key><ETag>&quot;x&quot;</ETag><Size>3</Size></"
    "Contents>"
    "<Contents>\n  <Key>PUB-p1/PublicKey/c&#x41;&#66;</Key>\n</Contents>"
    "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
    "<KeyCount>2</KeyCount></ListBucketResult>";

TEST(S3InternalTest, ParsesAListObjectsV2Page) {
  auto page = ParseListObjectsV2(kListPage);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->keys, (std::vector<std::string>{"PUB-p1/PublicKey/a&b", "PUB-p1/PublicKey/cAB"}));
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
}

TEST(S3InternalTest, ParsesTheLastAndEmptyPages) {
  auto last = ParseListObjectsV2(
      "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key><![CDATA[P/T/<x>]]></Key>"
      "</Contents><!-- comment --></ListBucketResult>");
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(last->keys, std::vector<std::string>{"P/T/<x>"});
  EXPECT_FALSE(last->truncated);
  auto empty =
      ParseListObjectsV2("<ListBucketResult><KeyCount>0</KeyCount><Prefix/></ListBucketResult>");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->keys.empty());
}

TEST(S3InternalTest, KeysOutsideContentsAreNotObjects) {
  // <Key> elsewhere (e.g. in a hostile or unexpected answer) is not taken as a listed object.
  auto page = ParseListObjectsV2(
      "<ListBucketResult><Key>P/T/fake</Key><CommonPrefixes><Prefix>P/T/sub/</Prefix>"
      "</CommonPrefixes></ListBucketResult>");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_TRUE(page->keys.empty());
}

TEST(S3InternalTest, RejectsMalformedAnswers) {
  const std::vector<std::string> bad = {
      "",
      "not xml",
      "<ListBucketResult>",
      "<ListBucketResult><Contents><Key>x</Contents></Key></ListBucketResult>",
      "<ListBucketResult><Key>a&bogus;</Key></ListBucketResult>",
      "<ListBucketResult><Key>a&#0;</Key></ListBucketResult>",
      "<ListBucketResult><Key>a&#xD800;</Key></ListBucketResult>",
      "<ListBucketResult><Key>a&amp</Key></ListBucketResult>",
      "<!DOCTYPE x [<!ENTITY e \"boom\">]><ListBucketResult/>",
      "<ListBucketResult/><ListBucketResult/>",
      "<ListBucketResult/>trailing",
      "<Error><Code>AccessDenied</Code></Error>",
      "<ListBucketResult><IsTruncated>maybe</IsTruncated></ListBucketResult>",
      "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
      "<ListBucketResult a=\"unterminated></ListBucketResult>",
  };
  for (const auto& xml : bad) {
    EXPECT_EQ(ParseListObjectsV2(xml).status().code(), absl::StatusCode::kInvalidArgument) << xml;
  }
}

TEST(S3InternalTest, BoundsNestingDepth) {
  std::string deep;
  for (size_t i = 0; i < kMaxXmlDepth + 1; ++i) deep += "<a>";
  for (size_t i = 0; i < kMaxXmlDepth + 1; ++i) deep += "</a>";
  EXPECT_EQ(WalkXml(deep, [](std::string_view, std::string) {}).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(S3InternalTest, AttributesWithAngleBracketsInQuotes) {
  std::vector<std::string> seen;
  ASSERT_TRUE(
      WalkXml("<r a='x>y' b=\"/\"><k>v</k></r>", [&](std::string_view path, std::string text) {
        seen.push_back(std::string(path) + "=" + text);
      }).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"r/k=v", "r="}));
}

TEST(S3InternalTest, ParsesS3ErrorDocuments) {
  S3Error e = ParseS3Error(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SignatureDoesNotMatch</Code>"
      "<Message>The request signature we calculated does not match</Message>"
      "<RequestId>tx1</RequestId></Error>");
  EXPECT_EQ(e.code, "SignatureDoesNotMatch");
  EXPECT_EQ(e.message, "The request signature we calculated does not match");
  EXPECT_TRUE(ParseS3Error("").code.empty());
  EXPECT_TRUE(ParseS3Error("<html>bad gateway</html>").code.empty());
  EXPECT_TRUE(ParseS3Error("<Error><Code>x</Code>").code.empty());
}

TEST(S3InternalTest, ParsesMultipartUploadAnswers) {
  auto id = ParseInitiateMultipartUpload(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Bucket>kms</Bucket><Key>PUB/ServerKey/k</Key>"
      "<UploadId>2~iCw_lDY8VoNMa&amp;x</UploadId></InitiateMultipartUploadResult>");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, "2~iCw_lDY8VoNMa&x");
  EXPECT_EQ(ParseInitiateMultipartUpload("<InitiateMultipartUploadResult><UploadId/>"
                                         "</InitiateMultipartUploadResult>")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      ParseInitiateMultipartUpload("<Error><Code>AccessDenied</Code></Error>").status().code(),
      absl::StatusCode::kInvalidArgument);

  EXPECT_TRUE(ParseCompleteMultipartUpload(
                  "<CompleteMultipartUploadResult><Location>x</Location><ETag>\"e-2\"</ETag>"
                  "</CompleteMultipartUploadResult>")
                  .ok());
  // AWS may answer 200 with an error document, or send whitespace and then fail.
  EXPECT_EQ(ParseCompleteMultipartUpload("<Error><Code>InternalError</Code></Error>").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseCompleteMultipartUpload("   ").code(), absl::StatusCode::kInvalidArgument);
}

TEST(S3InternalTest, CompleteMultipartUploadListsPartsInOrder) {
  EXPECT_EQ(CompleteMultipartUploadXml({"\"a1\"", "\"b&2\""}),
            "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Part><PartNumber>1</PartNumber><ETag>\"a1\"</ETag></Part>"
            "<Part><PartNumber>2</PartNumber><ETag>\"b&amp;2\"</ETag></Part>"
            "</CompleteMultipartUpload>");
  // What we send parses back as well-formed XML.
  std::vector<std::string> etags;
  ASSERT_TRUE(WalkXml(CompleteMultipartUploadXml({"<x>", "y"}), [&](std::string_view path,
                                                                    std::string text) {
                if (path == "CompleteMultipartUpload/Part/ETag") etags.push_back(text);
              }).ok());
  EXPECT_EQ(etags, (std::vector<std::string>{"<x>", "y"}));
}

TEST(S3InternalTest, ParsesListMultipartUploads) {
  auto page = ParseListMultipartUploads(
      "<ListMultipartUploadsResult><Bucket>kms</Bucket><Prefix>PUB/</Prefix>"
      "<Upload><Key>PUB/ServerKey/a</Key><UploadId>u1</UploadId><Initiated>t</Initiated></Upload>"
      "<Upload><Key>PUB/ServerKey/b</Key><UploadId>u2</UploadId></Upload>"
      "<IsTruncated>true</IsTruncated><NextKeyMarker>PUB/ServerKey/b</NextKeyMarker>"
      "<NextUploadIdMarker>u2</NextUploadIdMarker></ListMultipartUploadsResult>");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->uploads.size(), 2u);
  EXPECT_EQ(page->uploads[0].key, "PUB/ServerKey/a");
  EXPECT_EQ(page->uploads[1].upload_id, "u2");
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_key_marker, "PUB/ServerKey/b");
  EXPECT_EQ(page->next_upload_id_marker, "u2");
  auto none = ParseListMultipartUploads(
      "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->uploads.empty());
  for (const char* bad :
       {"<ListMultipartUploadsResult><IsTruncated>true</IsTruncated></ListMultipartUploadsResult>",
        "<ListMultipartUploadsResult><Upload><Key>k</Key></Upload></ListMultipartUploadsResult>",
        "<ListBucketResult/>"}) {
    EXPECT_EQ(ParseListMultipartUploads(bad).status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

}  // namespace
}  // namespace kms::storage::s3_internal
