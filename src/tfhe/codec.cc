#include "tfhe/codec.h"

#include <algorithm>
#include <cstring>

#include "crypto/secure_zero.h"
#include "tfhe/codec_internal.h"

namespace kms::tfhe {

Codec::Codec(bool reading, ByteSpan data, std::string_view root, uint64_t size_limit)
    : reading_(reading), in_(data), size_limit_(size_limit) {
  end_ = static_cast<size_t>(std::min<uint64_t>(in_.size(), size_limit_));
  path_.emplace_back(root);
}

Codec Codec::Reader(ByteSpan data, std::string_view root, uint64_t size_limit) {
  return Codec(true, data, root, size_limit);
}

Codec Codec::Writer(std::string_view root, uint64_t size_limit) {
  return Codec(false, {}, root, size_limit);
}

void Codec::Fail(std::string_view field, std::string_view message) {
  if (!status_.ok()) return;
  std::string path;
  for (const std::string& part : path_) {
    if (!path.empty()) path += '.';
    path += part;
  }
  if (!field.empty()) path = internal::Cat(path, ".", field);
  status_ = absl::InvalidArgumentError(internal::Cat(path, ": ", message));
}

absl::Status Codec::Finish() const {
  if (!status_.ok()) return status_;
  if (reading_) {
    if (pos_ != in_.size()) {
      return absl::InvalidArgumentError(internal::Cat(path_.front(), ": ", in_.size() - pos_,
                                                      " trailing bytes after the object"));
    }
  } else if (out_.size() > size_limit_) {
    return absl::InvalidArgumentError(internal::Cat(
        path_.front(), ": serialized size ", out_.size(), " exceeds the size limit ", size_limit_));
  }
  return absl::OkStatus();
}

bool Codec::Need(size_t n, std::string_view field) {
  if (!ok()) return false;
  if (end_ - pos_ >= n) return true;
  if (pos_ + n > in_.size()) {
    Fail(field, internal::Cat("truncated: needs ", n, " bytes, ", in_.size() - pos_, " remain"));
  } else {
    Fail(field, internal::Cat("the size limit of ", size_limit_, " bytes has been reached"));
  }
  return false;
}

void Codec::Append(const uint8_t* p, size_t n) {
  if (out_.size() + n > out_.capacity()) {
    // Grow by hand and zero the old buffer: a serialized ClientKey must not leave copies of its
    // key bits in freed memory.
    Bytes bigger;
    bigger.reserve(std::max(out_.size() + n, 2 * out_.capacity()));
    bigger.assign(out_.begin(), out_.end());
    crypto::SecureZero(out_);
    out_.swap(bigger);
  }
  out_.insert(out_.end(), p, p + n);
}

void Codec::Raw(void* p, size_t n, std::string_view field) {
  if (!ok()) return;
  if (reading_) {
    if (!Need(n, field)) return;
    std::memcpy(p, in_.data() + pos_, n);
    pos_ += n;
  } else {
    Append(static_cast<const uint8_t*>(p), n);
  }
}

void Codec::U8(uint8_t& v, std::string_view field) { Raw(&v, 1, field); }
void Codec::I8(int8_t& v, std::string_view field) { Raw(&v, 1, field); }
void Codec::U32(uint32_t& v, std::string_view field) { Raw(&v, 4, field); }
void Codec::U64(uint64_t& v, std::string_view field) { Raw(&v, 8, field); }
void Codec::U128(u128& v, std::string_view field) { Raw(&v, 16, field); }
void Codec::F64(double& v, std::string_view field) { Raw(&v, 8, field); }

void Codec::Bool(bool& v, std::string_view field) {
  uint8_t b = v ? 1 : 0;
  U8(b, field);
  if (!ok() || !reading_) return;
  if (b > 1) {
    Fail(field, internal::Cat("invalid bool byte ", b));
    return;
  }
  v = b == 1;
}

void Codec::VersionTag(uint32_t current, std::string_view field) {
  uint32_t tag = current;
  U32(tag, field.empty() ? "version" : field);
  if (!ok() || tag == current) return;
  if (tag < current) {
    Fail(field.empty() ? "version" : field,
         internal::Cat("version tag ", tag, " is older than the supported version ", current,
                       " (old versions are not upgraded)"));
  } else {
    Fail(field.empty() ? "version" : field,
         internal::Cat("unknown version tag ", tag, ", expected ", current));
  }
}

void Codec::TaggedU64(uint64_t& v, std::string_view field) {
  Scope scope(*this, field);
  VersionTag(0, "");
  U64(v, "value");
}

void Codec::TaggedF64(double& v, std::string_view field) {
  Scope scope(*this, field);
  VersionTag(0, "");
  F64(v, "value");
}

void Codec::Variant(uint32_t& index, uint32_t count, std::string_view field) {
  if (!ok()) return;
  if (!reading_ && index >= count) {
    Fail(field, internal::Cat("variant index ", index, ", expected < ", count));
    return;
  }
  uint32_t v = index;
  U32(v, field);
  if (!ok() || !reading_) return;
  if (v >= count) {
    Fail(field, internal::Cat("variant index ", v, ", expected < ", count));
    return;
  }
  index = v;
}

void Codec::OptionFlag(bool& present, std::string_view field) {
  uint8_t b = present ? 1 : 0;
  U8(b, field);
  if (!ok() || !reading_) return;
  if (b > 1) {
    Fail(field, internal::Cat("invalid Option tag ", b));
    return;
  }
  present = b == 1;
}

bool Codec::SequenceLength(uint64_t& count, size_t element_size, std::string_view field) {
  U64(count, field);
  if (!ok()) return false;
  if (!reading_) return true;
  const size_t available = end_ - pos_;
  element_size = std::max<size_t>(element_size, 1);
  if (count > available / element_size) {
    Fail(field, internal::Cat("length ", count, " exceeds remaining ", available, " bytes"));
    return false;
  }
  return true;
}

template <typename T>
void Codec::ScalarVec(std::vector<T>& v, std::string_view field) {
  uint64_t count = v.size();
  if (!SequenceLength(count, sizeof(T), field)) return;
  if (reading_) {
    // Checked above: count · sizeof(T) bytes are present, so this allocation is backed by input.
    v.resize(static_cast<size_t>(count));
    if (count != 0) std::memcpy(v.data(), in_.data() + pos_, count * sizeof(T));
    pos_ += count * sizeof(T);
  } else if (count != 0) {
    Append(reinterpret_cast<const uint8_t*>(v.data()), count * sizeof(T));
  }
}

void Codec::VecU64(std::vector<uint64_t>& v, std::string_view field) { ScalarVec(v, field); }
void Codec::VecU128(std::vector<u128>& v, std::string_view field) { ScalarVec(v, field); }
void Codec::VecF64(std::vector<double>& v, std::string_view field) { ScalarVec(v, field); }
void Codec::VecU8(std::vector<uint8_t>& v, std::string_view field) { ScalarVec(v, field); }

void Codec::String(std::string& v, std::string_view field) {
  uint64_t count = v.size();
  if (!SequenceLength(count, 1, field)) return;
  if (reading_) {
    v.assign(reinterpret_cast<const char*>(in_.data() + pos_), static_cast<size_t>(count));
    pos_ += count;
  } else {
    Append(reinterpret_cast<const uint8_t*>(v.data()), v.size());
  }
}

}  // namespace kms::tfhe
