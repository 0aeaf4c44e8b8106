#include "tfhe/safe_serialize.h"

#include <string>

#include "tfhe/codec_internal.h"

namespace kms::tfhe {

std::string_view RootName(std::string_view type_name) {
  const size_t colon = type_name.rfind("::");
  return colon == std::string_view::npos ? type_name : type_name.substr(colon + 2);
}

void ConvertHeader(Codec& c, std::string_view type_name) {
  Codec::Scope scope(c, "header");
  std::string header_version(kSerializationHeaderVersion);
  c.String(header_version, "header_version");
  if (c.ok() && header_version != kSerializationHeaderVersion) {
    c.Fail("header_version",
           internal::Cat("expected serialization header version ", kSerializationHeaderVersion,
                         ", got version ", header_version));
  }
  // SerializationVersioningMode: 0 Versioned{versioning_version}, 1 Unversioned{crate_version}.
  uint32_t mode = 0;
  c.Variant(mode, 2, "versioning_mode");
  if (c.ok() && mode != 0) {
    c.Fail("versioning_mode", "unversioned serialization is not supported");
  }
  std::string versioning_version(kVersioningVersion);
  c.String(versioning_version, "versioning_version");
  if (c.ok() && versioning_version != kVersioningVersion) {
    c.Fail("versioning_version",
           internal::Cat("expected versioning scheme version ", kVersioningVersion,
                         ", got version ", versioning_version));
  }
  std::string name(type_name);
  c.String(name, "name");
  if (c.ok() && name != type_name) {
    c.Fail("name", internal::Cat("expected type ", type_name, ", got type ", name));
  }
}

}  // namespace kms::tfhe
