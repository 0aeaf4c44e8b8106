#include "storage/s3_internal.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "storage/absl_compat_internal.h"

namespace kms::storage::s3_internal {

using ::kms::storage::internal::Av;
namespace {

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

bool IsNameChar(char c) {
  return !(c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '/' || c == '>' || c == '<' ||
           c == '=' || c == '"' || c == '\'' || c == '&');
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Decodes character data with entity and character references into `out`.
absl::Status DecodeText(std::string_view raw, std::string& out) {
  size_t i = 0;
  while (i < raw.size()) {
    const char c = raw[i];
    if (c == '<') return absl::InvalidArgumentError("XML: '<' in character data");
    if (c != '&') {
      out.push_back(c);
      ++i;
      continue;
    }
    const size_t semi = raw.find(';', i);
    if (semi == std::string_view::npos || semi - i > 12) {
      return absl::InvalidArgumentError("XML: unterminated entity reference");
    }
    const std::string_view ref = raw.substr(i + 1, semi - i - 1);
    if (ref == "amp") {
      out.push_back('&');
    } else if (ref == "lt") {
      out.push_back('<');
    } else if (ref == "gt") {
      out.push_back('>');
    } else if (ref == "quot") {
      out.push_back('"');
    } else if (ref == "apos") {
      out.push_back('\'');
    } else if (ref.size() >= 2 && ref[0] == '#') {
      const bool hex = ref[1] == 'x' || ref[1] == 'X';
      const std::string_view digits = ref.substr(hex ? 2 : 1);
      if (digits.empty()) return absl::InvalidArgumentError("XML: empty character reference");
      uint32_t cp = 0;
      for (char d : digits) {
        int v;
        if (d >= '0' && d <= '9') {
          v = d - '0';
        } else if (hex && d >= 'a' && d <= 'f') {
          v = d - 'a' + 10;
        } else if (hex && d >= 'A' && d <= 'F') {
          v = d - 'A' + 10;
        } else {
          return absl::InvalidArgumentError("XML: bad character reference");
        }
        cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(v);
        if (cp > 0x10FFFF) return absl::InvalidArgumentError("XML: character reference too large");
      }
      if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return absl::InvalidArgumentError("XML: invalid character reference");
      }
      AppendUtf8(out, cp);
    } else {
      return absl::InvalidArgumentError("XML: unknown entity reference");
    }
    i = semi + 1;
  }
  return absl::OkStatus();
}

std::string JoinPath(const std::vector<std::string_view>& stack) {
  std::string path;
  for (size_t i = 0; i < stack.size(); ++i) {
    if (i > 0) path.push_back('/');
    path.append(stack[i]);
  }
  return path;
}

}  // namespace

std::string UriEncode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(c);
    } else {
      const auto u = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

std::string CanonicalQuery(std::vector<std::pair<std::string, std::string>> params) {
  for (auto& [name, value] : params) {
    name = UriEncode(name, false);
    value = UriEncode(value, false);
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out.push_back('&');
    absl::StrAppend(&out, name, "=", value);
  }
  return out;
}

std::string Sha256Hex(ByteSpan data) {
  std::array<uint8_t, 32> digest;
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &len, EVP_sha256(), nullptr);
  return ToHex(digest);
}

absl::Status WalkXml(std::string_view xml,
                     const std::function<void(std::string_view, std::string)>& on_element) {
  std::vector<std::string_view> stack;
  std::string text;  // character data of the innermost open element
  bool seen_root = false;
  size_t pos = 0;
  while (pos < xml.size()) {
    const size_t lt = xml.find('<', pos);
    const std::string_view raw =
        xml.substr(pos, lt == std::string_view::npos ? std::string_view::npos : lt - pos);
    if (stack.empty()) {
      if (!std::all_of(raw.begin(), raw.end(), IsSpace)) {
        return absl::InvalidArgumentError("XML: text outside the root element");
      }
    } else {
      KMS_RETURN_IF_ERROR(DecodeText(raw, text));
    }
    if (lt == std::string_view::npos) break;
    const std::string_view rest = xml.substr(lt);
    if (rest.starts_with("<?")) {
      const size_t end = xml.find("?>", lt + 2);
      if (end == std::string_view::npos) return absl::InvalidArgumentError("XML: unterminated <?");
      pos = end + 2;
    } else if (rest.starts_with("<!--")) {
      const size_t end = xml.find("-->", lt + 4);
      if (end == std::string_view::npos) {
        return absl::InvalidArgumentError("XML: unterminated comment");
      }
      pos = end + 3;
    } else if (rest.starts_with("<![CDATA[")) {
      if (stack.empty()) return absl::InvalidArgumentError("XML: CDATA outside the root element");
      const size_t end = xml.find("]]>", lt + 9);
      if (end == std::string_view::npos)
        return absl::InvalidArgumentError("XML: unterminated CDATA");
      text.append(xml.substr(lt + 9, end - lt - 9));
      pos = end + 3;
    } else if (rest.starts_with("<!")) {
      return absl::InvalidArgumentError("XML: DOCTYPE and declarations are not accepted");
    } else if (rest.starts_with("</")) {
      size_t i = lt + 2;
      const size_t name_start = i;
      while (i < xml.size() && IsNameChar(xml[i])) ++i;
      const std::string_view name = xml.substr(name_start, i - name_start);
      while (i < xml.size() && IsSpace(xml[i])) ++i;
      if (i >= xml.size() || xml[i] != '>') {
        return absl::InvalidArgumentError("XML: malformed end tag");
      }
      if (stack.empty() || stack.back() != name) {
        return absl::InvalidArgumentError(
            absl::StrCat("XML: end tag </", Av(name.substr(0, 64)), "> does not match"));
      }
      on_element(JoinPath(stack), std::move(text));
      text.clear();
      stack.pop_back();
      pos = i + 1;
    } else {
      size_t i = lt + 1;
      const size_t name_start = i;
      while (i < xml.size() && IsNameChar(xml[i])) ++i;
      const std::string_view name = xml.substr(name_start, i - name_start);
      if (name.empty()) return absl::InvalidArgumentError("XML: element without a name");
      // Skip attributes, honouring quotes (a '>' inside a quoted value does not end the tag).
      char quote = 0;
      while (i < xml.size()) {
        const char c = xml[i];
        if (quote != 0) {
          if (c == quote) quote = 0;
        } else if (c == '"' || c == '\'') {
          quote = c;
        } else if (c == '>' || c == '<') {
          break;
        }
        ++i;
      }
      if (i >= xml.size() || xml[i] != '>') {
        return absl::InvalidArgumentError("XML: unterminated start tag");
      }
      const bool self_closing = xml[i - 1] == '/' && i - 1 >= name_start + name.size();
      if (stack.empty() && seen_root) {
        return absl::InvalidArgumentError("XML: more than one root element");
      }
      seen_root = true;
      if (stack.size() >= kMaxXmlDepth) return absl::InvalidArgumentError("XML: nested too deeply");
      stack.push_back(name);
      text.clear();
      if (self_closing) {
        on_element(JoinPath(stack), std::string());
        stack.pop_back();
      }
      pos = i + 1;
    }
  }
  if (!stack.empty()) return absl::InvalidArgumentError("XML: document ends inside an element");
  if (!seen_root) return absl::InvalidArgumentError("XML: no root element");
  return absl::OkStatus();
}

absl::StatusOr<ListObjectsPage> ParseListObjectsV2(std::string_view xml) {
  ListObjectsPage page;
  std::string root;
  bool truncated_seen = false;
  std::string truncated_text;
  KMS_RETURN_IF_ERROR(WalkXml(xml, [&](std::string_view path, std::string text) {
    if (path == "ListBucketResult/Contents/Key") {
      page.keys.push_back(std::move(text));
    } else if (path == "ListBucketResult/IsTruncated") {
      truncated_seen = true;
      truncated_text = std::move(text);
    } else if (path == "ListBucketResult/NextContinuationToken") {
      page.next_continuation_token = std::move(text);
    } else if (path.find('/') == std::string_view::npos) {
      root = std::string(path);
    }
  }));
  if (root != "ListBucketResult") {
    return absl::InvalidArgumentError(
        absl::StrCat("XML: expected a ListBucketResult, got <", root.substr(0, 64), ">"));
  }
  if (truncated_seen && truncated_text != "true" && truncated_text != "false") {
    return absl::InvalidArgumentError("XML: IsTruncated is neither true nor false");
  }
  page.truncated = truncated_text == "true";
  if (page.truncated && page.next_continuation_token.empty()) {
    return absl::InvalidArgumentError("XML: truncated listing without a NextContinuationToken");
  }
  return page;
}

S3Error ParseS3Error(std::string_view body) {
  S3Error error;
  S3Error found;
  std::string root;
  absl::Status s = WalkXml(body, [&](std::string_view path, std::string text) {
    if (path == "Error/Code") {
      found.code = std::move(text);
    } else if (path == "Error/Message") {
      found.message = std::move(text);
    } else if (path.find('/') == std::string_view::npos) {
      root = std::string(path);
    }
  });
  if (s.ok() && root == "Error") error = std::move(found);
  return error;
}

namespace {

// The root element's name, or InvalidArgument when `xml` is not well formed.
absl::StatusOr<std::string> RootOf(std::string_view xml,
                                   const std::function<void(std::string_view, std::string)>& each) {
  std::string root;
  KMS_RETURN_IF_ERROR(WalkXml(xml, [&](std::string_view path, std::string text) {
    if (path.find('/') == std::string_view::npos) root = std::string(path);
    each(path, std::move(text));
  }));
  return root;
}

absl::Status ExpectRoot(const std::string& root, std::string_view expected) {
  if (root == expected) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("XML: expected a ", Av(expected), ", got <", root.substr(0, 64), ">"));
}

void AppendEscaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out.push_back(c);
    }
  }
}

}  // namespace

absl::StatusOr<std::string> ParseInitiateMultipartUpload(std::string_view xml) {
  std::string upload_id;
  KMS_ASSIGN_OR_RETURN(std::string root, RootOf(xml, [&](std::string_view path, std::string text) {
                         if (path == "InitiateMultipartUploadResult/UploadId") {
                           upload_id = std::move(text);
                         }
                       }));
  KMS_RETURN_IF_ERROR(ExpectRoot(root, "InitiateMultipartUploadResult"));
  if (upload_id.empty()) return absl::InvalidArgumentError("XML: no UploadId in the answer");
  return upload_id;
}

absl::Status ParseCompleteMultipartUpload(std::string_view xml) {
  KMS_ASSIGN_OR_RETURN(std::string root, RootOf(xml, [](std::string_view, std::string) {}));
  return ExpectRoot(root, "CompleteMultipartUploadResult");
}

std::string CompleteMultipartUploadXml(const std::vector<std::string>& etags) {
  std::string out = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (size_t i = 0; i < etags.size(); ++i) {
    absl::StrAppend(&out, "<Part><PartNumber>", i + 1, "</PartNumber><ETag>");
    AppendEscaped(out, etags[i]);
    out += "</ETag></Part>";
  }
  out += "</CompleteMultipartUpload>";
  return out;
}

absl::StatusOr<ListUploadsPage> ParseListMultipartUploads(std::string_view xml) {
  ListUploadsPage page;
  std::string truncated_text;
  PendingUpload current;
  KMS_ASSIGN_OR_RETURN(std::string root, RootOf(xml, [&](std::string_view path, std::string text) {
                         if (path == "ListMultipartUploadsResult/Upload/Key") {
                           current.key = std::move(text);
                         } else if (path == "ListMultipartUploadsResult/Upload/UploadId") {
                           current.upload_id = std::move(text);
                         } else if (path == "ListMultipartUploadsResult/Upload") {
                           page.uploads.push_back(std::move(current));
                           current = PendingUpload{};
                         } else if (path == "ListMultipartUploadsResult/IsTruncated") {
                           truncated_text = std::move(text);
                         } else if (path == "ListMultipartUploadsResult/NextKeyMarker") {
                           page.next_key_marker = std::move(text);
                         } else if (path == "ListMultipartUploadsResult/NextUploadIdMarker") {
                           page.next_upload_id_marker = std::move(text);
                         }
                       }));
  KMS_RETURN_IF_ERROR(ExpectRoot(root, "ListMultipartUploadsResult"));
  if (!truncated_text.empty() && truncated_text != "true" && truncated_text != "false") {
    return absl::InvalidArgumentError("XML: IsTruncated is neither true nor false");
  }
  page.truncated = truncated_text == "true";
  if (page.truncated && page.next_key_marker.empty()) {
    return absl::InvalidArgumentError("XML: truncated upload listing without a NextKeyMarker");
  }
  for (const PendingUpload& u : page.uploads) {
    if (u.key.empty() || u.upload_id.empty()) {
      return absl::InvalidArgumentError("XML: an Upload without Key or UploadId");
    }
  }
  return page;
}

}  // namespace kms::storage::s3_internal
