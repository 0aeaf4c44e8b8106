// File: tfhe/codec.h
//
// The one routine that both reads and writes tfhe-rs's wire encoding: bincode 1.3.3 with fixint
// little-endian integers, as configured by tfhe-rs's `safe_serialize`, plus the version tags of
// tfhe-versionable (docs/tfhe.md; interop-tfhe.md §1). Every tfhe type has a single
// `void Convert(Codec&, T&)` that walks its fields in declaration order; the same function parses
// (the Codec reads into the fields) and serializes (the Codec appends the fields), so the two
// directions cannot drift apart and a parsed blob re-serializes to the identical bytes.
//
//   Codec c = Codec::Reader(bytes, "CompactPublicKey");
//   Convert(c, key);                      // fills `key`; the first error sticks
//   KMS_RETURN_IF_ERROR(c.Finish());      // error, or trailing bytes
//
// Errors are sticky: after the first failure every further call is a no-op (reads leave their
// output untouched, loops stop), so a Convert routine never checks after each field; it checks
// `ok()` only where a value it read steers what comes next (an enum variant, an Option). The
// error is InvalidArgument and names the field path, e.g.
// "CompactPublicKey.key.key.key.key.glwe_ciphertext.data: length 1099511627776 exceeds remaining
// 1234 bytes".
//
// Hostile input: no length read from the input is trusted for an allocation. A vector of
// fixed-size scalars is allocated only after checking that the remaining input holds all of its
// elements; a vector of structures grows one parsed element at a time, and its count is first
// checked against the remaining bytes divided by the smallest encoding of one element. The
// total input consumed never exceeds the size limit (safe_serialize's limit, 2 GiB by default).
//
// The writer zeroes its buffer each time it grows, so serializing a secret key leaves no copy of
// it in freed memory (the caller owns the final buffer).
//
// The host must be little-endian (x86-64, aarch64): scalar vectors are copied as bytes.
//
// Not thread-safe; one Codec per parse or serialization.
#ifndef KMS_TFHE_CODEC_H_
#define KMS_TFHE_CODEC_H_

#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/bytes.h"

namespace kms::tfhe {

static_assert(std::endian::native == std::endian::little, "tfhe codec needs a little-endian host");

using u128 = unsigned __int128;

// The KMS's SAFE_SER_SIZE_LIMIT (2 GiB), also the default limit of every Parse* here.
inline constexpr uint64_t kDefaultSizeLimit = uint64_t{1} << 31;

// The tfhe-rs release whose version tags and layouts an object has: 1.4.0-alpha.3, what the KMS
// writes, or 1.7.0, read and re-serialized as read.
enum class TfheFormat : uint8_t { kTfhe14 = 0, kTfhe17 = 1 };

class Codec {
 public:
  // A reader over `data`; at most `size_limit` bytes are consumed. `root` starts every error path.
  static Codec Reader(ByteSpan data, std::string_view root,
                      uint64_t size_limit = kDefaultSizeLimit);
  // A writer; Finish() fails if the output exceeds `size_limit`.
  static Codec Writer(std::string_view root, uint64_t size_limit = kDefaultSizeLimit);

  Codec(Codec&&) = default;
  Codec& operator=(Codec&&) = default;

  bool reading() const { return reading_; }
  bool writing() const { return !reading_; }
  bool ok() const { return status_.ok(); }
  const absl::Status& status() const { return status_; }

  // Bytes not yet read (reader) or written so far (writer).
  size_t remaining() const { return reading_ ? end_ - pos_ : 0; }
  size_t position() const { return reading_ ? pos_ : out_.size(); }

  // Records an InvalidArgument error "<path>.<field>: <message>" unless one is already recorded.
  void Fail(std::string_view field, std::string_view message);
  // Fail(field, message) when `condition` is false, in both directions: the structural checks
  // of a Convert routine hold for what is written as well as for what is read.
  void Require(bool condition, std::string_view field, std::string_view message) {
    if (!condition) Fail(field, message);
  }

  // Reader: OK if every input byte was consumed, else InvalidArgument naming the trailing byte
  // count. tfhe-rs ignores trailing bytes; we refuse them, since nothing we accept may carry
  // data we would drop on re-serialization. Writer: OK unless a Convert failed or the output
  // exceeds the size limit.
  [[nodiscard]] absl::Status Finish() const;
  // The bytes written (writer only).
  Bytes TakeOutput() { return std::move(out_); }

  // A path component for the lifetime of the scope ("key", "blocks[3]"); none if `name` is
  // empty.
  class Scope {
   public:
    Scope(Codec& c, std::string_view name) : c_(c), pushed_(!name.empty()) {
      if (pushed_) c_.path_.emplace_back(name);
    }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    ~Scope() {
      if (pushed_) c_.path_.pop_back();
    }

   private:
    Codec& c_;
    bool pushed_;
  };

  // ---- scalars (bincode fixint, little-endian) ----
  void U8(uint8_t& v, std::string_view field);
  void I8(int8_t& v, std::string_view field);
  // A bool is one byte, 0 or 1; any other byte is an error (as in bincode).
  void Bool(bool& v, std::string_view field);
  void U32(uint32_t& v, std::string_view field);
  void U64(uint64_t& v, std::string_view field);
  void U128(u128& v, std::string_view field);
  // f64 is kept bit-exact (NaN payloads included): the bits go through unchanged.
  void F64(double& v, std::string_view field);

  // ---- tfhe-versionable ----
  // The version tag of a versioned type: the writer writes `current`; the reader requires it.
  // Older tags (which tfhe-rs would upgrade on load) are refused with a message saying so.
  void VersionTag(uint32_t current, std::string_view field);
  // A newtype parameter (LweDimension, Degree, ...): version tag 0, then a u64.
  void TaggedU64(uint64_t& v, std::string_view field);
  void TaggedF64(double& v, std::string_view field);
  // An enum variant index, a u32 < `count` in both directions.
  void Variant(uint32_t& index, uint32_t count, std::string_view field);

  // ---- sequences ----
  // u64 element count, then the elements. The reader checks count · sizeof(T) against the
  // remaining input before allocating.
  void VecU64(std::vector<uint64_t>& v, std::string_view field);
  void VecU128(std::vector<u128>& v, std::string_view field);
  void VecF64(std::vector<double>& v, std::string_view field);
  void VecU8(std::vector<uint8_t>& v, std::string_view field);
  // UTF-8 is not checked (tfhe-rs's names and versions are ASCII and compared exactly).
  void String(std::string& v, std::string_view field);

  // A vector of structures: u64 count, then `convert(c, element)` for each, under the scope
  // "field[i]". `min_element_size` is a lower bound on one element's encoding (at least 1),
  // used to refuse counts the remaining input cannot hold.
  template <typename T, typename F>
  void Vec(std::vector<T>& v, size_t min_element_size, std::string_view field, F&& convert) {
    uint64_t count = v.size();
    if (!SequenceLength(count, min_element_size, field)) return;
    if (reading_) v.clear();
    for (uint64_t i = 0; i < count && ok(); ++i) {
      Scope scope(*this, std::string(field) + "[" + std::to_string(i) + "]");
      if (reading_) v.emplace_back();
      convert(*this, v[i]);
    }
  }

  // Option<T>: u8 0 (None) or 1 then `convert(c, value)` under the scope `field`.
  template <typename T, typename F>
  void Option(std::optional<T>& v, std::string_view field, F&& convert) {
    bool present = v.has_value();
    OptionFlag(present, field);
    if (!ok() || !present) {
      if (reading_) v.reset();
      return;
    }
    if (reading_) v.emplace();
    Scope scope(*this, field);
    convert(*this, *v);
  }

 private:
  Codec(bool reading, ByteSpan data, std::string_view root, uint64_t size_limit);

  // Reader: makes `n` bytes available at `pos_` or fails (truncation or size limit).
  bool Need(size_t n, std::string_view field);
  void Raw(void* p, size_t n, std::string_view field);
  // Writer: appends, zeroing the old buffer whenever the output grows.
  void Append(const uint8_t* p, size_t n);
  // Reads or writes a u64 count; the reader checks count · element_size <= remaining.
  bool SequenceLength(uint64_t& count, size_t element_size, std::string_view field);
  void OptionFlag(bool& present, std::string_view field);
  template <typename T>
  void ScalarVec(std::vector<T>& v, std::string_view field);

  bool reading_;
  ByteSpan in_;
  size_t pos_ = 0;
  size_t end_ = 0;  // min(in_.size(), size_limit_)
  uint64_t size_limit_;
  Bytes out_;
  std::vector<std::string> path_;
  absl::Status status_;
};

}  // namespace kms::tfhe

#endif  // KMS_TFHE_CODEC_H_
