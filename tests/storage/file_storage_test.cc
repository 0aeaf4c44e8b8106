// FileStorage behaviour beyond the shared contract: file and directory modes, atomic writes and
// leftover temporaries (of Put and PutStream), objects beyond Get's limit, and refusal to follow
// symlinks out of the vault.
#include "storage/file_storage.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <vector>

namespace kms::storage {
namespace {

namespace fs = std::filesystem;

class FileStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "kms-file-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    base_ = templ;
    root_ = base_ + "/keys";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(base_, ec);
  }

  static unsigned Mode(const std::string& path) {
    struct stat st;
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }
  static void WriteFile(const std::string& path, const std::string& content) {
    std::ofstream(path, std::ios::binary) << content;
  }
  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  std::unique_ptr<FileStorage> Open(const std::string& prefix, bool private_vault) {
    auto s = FileStorage::Open(root_, prefix, private_vault);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }

  std::string base_;
  std::string root_;
};

TEST_F(FileStorageTest, LayoutIsRootPrefixTypeId) {
  auto s = Open("PUB-p1", false);
  ASSERT_TRUE(s->Put("PublicKey", "abc", AsBytes("pk")).ok());
  EXPECT_EQ(ReadFile(root_ + "/PUB-p1/PublicKey/abc"), "pk");
  EXPECT_EQ(s->Describe(), "file:" + root_ + "/PUB-p1");
}

TEST_F(FileStorageTest, PrivateVaultFilesAre0600AndDirectories0700) {
  // Even with a permissive umask, private material must not be group or world readable.
  const mode_t old = ::umask(0);
  auto s = Open("PRIV-p1", true);
  ASSERT_TRUE(s->Put("SigningKey", "sk", AsBytes("secret")).ok());
  ::umask(old);
  EXPECT_EQ(Mode(root_ + "/PRIV-p1"), 0700u);
  EXPECT_EQ(Mode(root_ + "/PRIV-p1/SigningKey"), 0700u);
  EXPECT_EQ(Mode(root_ + "/PRIV-p1/SigningKey/sk"), 0600u);
}

TEST_F(FileStorageTest, PublicVaultFilesAre0644AndDirectories0755) {
  // A restrictive umask must not make public material unreadable to others.
  const mode_t old = ::umask(077);
  auto s = Open("PUB-p1", false);
  ASSERT_TRUE(s->Put("VerfKey", "vk", AsBytes("public")).ok());
  ::umask(old);
  EXPECT_EQ(Mode(root_ + "/PUB-p1"), 0755u);
  EXPECT_EQ(Mode(root_ + "/PUB-p1/VerfKey"), 0755u);
  EXPECT_EQ(Mode(root_ + "/PUB-p1/VerfKey/vk"), 0644u);
}

TEST_F(FileStorageTest, PrivateVaultTightensExistingDirectories) {
  fs::create_directories(root_ + "/PRIV-p2/FheKeyInfo");
  fs::permissions(root_ + "/PRIV-p2", fs::perms(0755));
  fs::permissions(root_ + "/PRIV-p2/FheKeyInfo", fs::perms(0775));
  auto s = Open("PRIV-p2", true);
  ASSERT_TRUE(s->Put("FheKeyInfo", "k", AsBytes("share")).ok());
  EXPECT_EQ(Mode(root_ + "/PRIV-p2"), 0700u);
  EXPECT_EQ(Mode(root_ + "/PRIV-p2/FheKeyInfo"), 0700u);
}

TEST_F(FileStorageTest, OpenCreatesTheVaultFolderAtOnce) {
  auto s = Open("PRIV-p3", true);
  EXPECT_TRUE(fs::is_directory(root_ + "/PRIV-p3"));
}

TEST_F(FileStorageTest, OpenFailsClearlyWhenRootIsAFile) {
  WriteFile(base_ + "/not-a-dir", "x");
  auto s = FileStorage::Open(base_ + "/not-a-dir", "PUB-p1", false);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(std::string(s.status().message()).find("not-a-dir"), std::string::npos) << s.status();
}

TEST_F(FileStorageTest, OpenRejectsBadPrefixAndEmptyRoot) {
  EXPECT_EQ(FileStorage::Open(root_, "../escape", false).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FileStorage::Open(root_, "a//b", false).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FileStorage::Open("", "PUB-p1", false).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(FileStorageTest, PutLeavesNoTemporaryFiles) {
  auto s = Open("PRIV-p1", true);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(s->Put("PrssSetup", "e", Bytes(1000, i)).ok());
  int entries = 0;
  for (const auto& e : fs::directory_iterator(root_ + "/PRIV-p1/PrssSetup")) {
    ++entries;
    EXPECT_EQ(e.path().filename(), "e");
  }
  EXPECT_EQ(entries, 1);
}

TEST_F(FileStorageTest, LeftoverTemporaryFromACrashIsIgnored) {
  // A crash between writing the temporary and renaming it leaves ".<id>.tmp-<random>" with a
  // partial value next to the old object: readers keep seeing the old, complete object.
  auto s = Open("PRIV-p1", true);
  ASSERT_TRUE(s->Put("FheKeyInfo", "key1", AsBytes("complete old value")).ok());
  WriteFile(root_ + "/PRIV-p1/FheKeyInfo/.key1.tmp-0123456789abcdef", "partial ne");
  WriteFile(root_ + "/PRIV-p1/FheKeyInfo/.key2.tmp-0123456789abcdef", "partial");
  auto ids = s->List("FheKeyInfo");
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(*ids, std::vector<std::string>{"key1"});
  auto got = s->Get("FheKeyInfo", "key1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(std::string(got->begin(), got->end()), "complete old value");
  EXPECT_FALSE(s->Exists("FheKeyInfo", "key2").value_or(true));
  // The next write of the object still succeeds.
  ASSERT_TRUE(s->Put("FheKeyInfo", "key1", AsBytes("new")).ok());
  EXPECT_EQ(ReadFile(root_ + "/PRIV-p1/FheKeyInfo/key1"), "new");
}

TEST_F(FileStorageTest, ListSkipsDirectoriesAndForeignNames) {
  auto s = Open("PUB-p1", false);
  ASSERT_TRUE(s->Put("CRS", "c1", AsBytes("crs")).ok());
  fs::create_directory(root_ + "/PUB-p1/CRS/subdir");
  WriteFile(root_ + "/PUB-p1/CRS/has space", "x");
  EXPECT_EQ(s->List("CRS").value_or(std::vector<std::string>{}), std::vector<std::string>{"c1"});
  EXPECT_EQ(s->Get("CRS", "subdir").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(s->Put("CRS", "subdir", AsBytes("x")).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(s->Delete("CRS", "subdir").code(), absl::StatusCode::kDataLoss);
}

// Names in `dir` other than "." and "..".
std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST_F(FileStorageTest, StreamWritesAPrivateTemporaryAndRenamesIt) {
  const mode_t old = ::umask(0);
  auto s = FileStorage::Open(root_, "PRIV-p1", true, StreamOptions{4096, 1 << 20});
  ::umask(old);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_TRUE((*s)->Put("FhePrivateKey", "k", AsBytes("old")).ok());
  const std::string dir = root_ + "/PRIV-p1/FhePrivateKey";
  absl::Status written = (*s)->PutStream("FhePrivateKey", "k", [&](const ByteSink& write) {
    absl::Status w = write(Bytes(3 * 4096 + 5, 0x5a));
    if (!w.ok()) return w;
    // Mid-stream: the chunks so far are in a 0600 temporary next to the untouched object.
    const auto names = Entries(dir);
    EXPECT_EQ(names.size(), 2u);
    EXPECT_EQ(names.back(), "k");
    EXPECT_TRUE(names.front().starts_with(".k.tmp-")) << names.front();
    EXPECT_EQ(Mode(dir + "/" + names.front()), 0600u);
    EXPECT_EQ(fs::file_size(dir + "/" + names.front()), 3u * 4096);
    EXPECT_EQ(ReadFile(dir + "/k"), "old");
    return absl::OkStatus();
  });
  ASSERT_TRUE(written.ok()) << written;
  EXPECT_EQ(Entries(dir), std::vector<std::string>{"k"});
  EXPECT_EQ(Mode(dir + "/k"), 0600u);
  EXPECT_EQ(ReadFile(dir + "/k"), std::string(3 * 4096 + 5, 'Z'));

  // An aborted stream removes its temporary.
  EXPECT_EQ((*s)->PutStream("FhePrivateKey", "k",
                            [](const ByteSink& write) {
                              (void)write(Bytes(10000, 1));
                              return absl::AbortedError("stop");
                            })
                .code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(Entries(dir), std::vector<std::string>{"k"});
  EXPECT_EQ(fs::file_size(dir + "/k"), 3u * 4096 + 5);
}

TEST_F(FileStorageTest, ObjectsBeyondGetsLimitNeedGetStream) {
  // A sparse file one byte over kMaxObjectSize: costs no disk, reads as zeros.
  auto s = Open("PUB-p1", false);
  ASSERT_TRUE(s->Put("ServerKey", "big", AsBytes("x")).ok());
  const std::string path = root_ + "/PUB-p1/ServerKey/big";
  fs::resize_file(path, kMaxObjectSize + 1);
  auto got = s->Get("ServerKey", "big");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kFailedPrecondition) << got.status();
  EXPECT_NE(std::string(got.status().message()).find("GetStream"), std::string::npos);
  EXPECT_NE(std::string(got.status().message()).find(path), std::string::npos);
  EXPECT_EQ(s->Size("ServerKey", "big").value_or(0), kMaxObjectSize + 1);
  size_t pieces = 0;
  absl::Status streamed = s->GetStream("ServerKey", "big", [&](ByteSpan piece) {
    ++pieces;
    EXPECT_EQ(piece.size(), kDefaultStreamChunkSize);
    EXPECT_EQ(piece[0], pieces == 1 ? 'x' : 0);  // the Put's byte, then the sparse zeros
    return pieces < 2 ? absl::OkStatus() : absl::CancelledError("enough");
  });
  EXPECT_EQ(streamed.code(), absl::StatusCode::kCancelled) << streamed;
  EXPECT_EQ(pieces, 2u);
  // Above a reader's stream limit an object is DataLoss.
  ASSERT_TRUE(s->Put("ServerKey", "small", Bytes(5000, 1)).ok());
  auto limited = FileStorage::Open(root_, "PUB-p1", false, StreamOptions{4096, 4999});
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(
      (*limited)->GetStream("ServerKey", "small", [](ByteSpan) { return absl::OkStatus(); }).code(),
      absl::StatusCode::kDataLoss);
}

TEST_F(FileStorageTest, SymlinkedTypeDirectoryIsRefused) {
  // An attacker with write access to the public folder links PublicKey to another party's
  // private folder, hoping the server reads or overwrites secrets through it.
  const std::string outside = base_ + "/outside";
  fs::create_directories(outside);
  WriteFile(outside + "/k", "foreign secret");
  auto s = Open("PUB-p1", false);
  fs::create_directory_symlink(outside, root_ + "/PUB-p1/PublicKey");
  EXPECT_EQ(s->Get("PublicKey", "k").status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s->Put("PublicKey", "k", AsBytes("overwrite")).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s->List("PublicKey").status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s->Exists("PublicKey", "k").status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s->Delete("PublicKey", "k").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s->Size("PublicKey", "k").status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s->GetStream("PublicKey", "k", [](ByteSpan) { return absl::OkStatus(); }).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s->PutStream("PublicKey", "k",
                         [](const ByteSink& write) { return write(AsBytes("overwrite")); })
                .code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ReadFile(outside + "/k"), "foreign secret");
  auto status = s->Get("PublicKey", "k").status();
  EXPECT_NE(std::string(status.message()).find("symlink"), std::string::npos) << status;
}

TEST_F(FileStorageTest, SymlinkedPrefixDirectoryIsRefused) {
  const std::string outside = base_ + "/elsewhere";
  fs::create_directories(outside);
  fs::create_directories(root_);
  fs::create_directory_symlink(outside, root_ + "/PRIV-p1");
  EXPECT_EQ(FileStorage::Open(root_, "PRIV-p1", true).status().code(),
            absl::StatusCode::kPermissionDenied);
  FileStorage s(root_, "PRIV-p1", true);
  EXPECT_EQ(s.Put("SigningKey", "sk", AsBytes("x")).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(fs::is_empty(outside));
}

TEST_F(FileStorageTest, SymlinkedObjectIsNotFollowed) {
  const std::string target = base_ + "/target";
  WriteFile(target, "not yours");
  auto s = Open("PUB-p1", false);
  ASSERT_TRUE(s->Put("VerfKey", "other", AsBytes("x")).ok());
  fs::create_symlink(target, root_ + "/PUB-p1/VerfKey/link");
  EXPECT_EQ(s->Get("VerfKey", "link").status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s->Exists("VerfKey", "link").status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s->List("VerfKey").value_or(std::vector<std::string>{}),
            std::vector<std::string>{"other"});
  // A write replaces the link itself; the target is untouched.
  ASSERT_TRUE(s->Put("VerfKey", "link", AsBytes("mine")).ok());
  EXPECT_EQ(ReadFile(target), "not yours");
  EXPECT_FALSE(fs::is_symlink(root_ + "/PUB-p1/VerfKey/link"));
  EXPECT_EQ(ReadFile(root_ + "/PUB-p1/VerfKey/link"), "mine");
}

TEST_F(FileStorageTest, RootMayBeASymlink) {
  fs::create_directories(base_ + "/real-root");
  fs::create_directory_symlink(base_ + "/real-root", base_ + "/root-link");
  auto s = FileStorage::Open(base_ + "/root-link", "PUB-p1", false);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_TRUE((*s)->Put("CACert", "ca", AsBytes("cert")).ok());
  EXPECT_EQ(ReadFile(base_ + "/real-root/PUB-p1/CACert/ca"), "cert");
}

TEST_F(FileStorageTest, FifoUnderAnObjectNameDoesNotHang) {
  auto s = Open("PUB-p1", false);
  ASSERT_TRUE(s->Put("CRS", "x", AsBytes("x")).ok());
  ASSERT_EQ(::mkfifo((root_ + "/PUB-p1/CRS/fifo").c_str(), 0644), 0);
  EXPECT_EQ(s->Get("CRS", "fifo").status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(FileStorageTest, UnreadableVaultGivesPermissionDenied) {
  if (::geteuid() == 0) GTEST_SKIP() << "root bypasses file permissions";
  auto s = Open("PRIV-p1", true);
  ASSERT_TRUE(s->Put("SigningKey", "sk", AsBytes("x")).ok());
  fs::permissions(root_ + "/PRIV-p1/SigningKey", fs::perms::none);
  EXPECT_EQ(s->Get("SigningKey", "sk").status().code(), absl::StatusCode::kPermissionDenied);
  fs::permissions(root_ + "/PRIV-p1/SigningKey", fs::perms(0700));
}

}  // namespace
}  // namespace kms::storage
