#include "client/config_sanitizer.h"

#include <toml++/toml.h>

#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/absl_compat_internal.h"

namespace kms::client {
namespace {

bool LooksLikePrivateKey(std::string_view value) {
  return absl::StrContains(Av(value), "PRIVATE KEY") || absl::StrContains(Av(value), "-----BEGIN");
}

void SanitizeNode(toml::node& node, std::string_view key);

void SanitizeTable(toml::table& table) {
  for (auto&& [k, v] : table) SanitizeNode(v, k.str());
}

void SanitizeNode(toml::node& node, std::string_view key) {
  if (toml::table* t = node.as_table()) {
    SanitizeTable(*t);
    return;
  }
  if (toml::array* a = node.as_array()) {
    for (toml::node& element : *a) SanitizeNode(element, key);
    return;
  }
  if (IsSecretKeyName(key)) {
    if (toml::value<std::string>* secret = node.as_string()) *secret = std::string(kRedacted);
    return;
  }
  if (toml::value<std::string>* s = node.as_string()) {
    if (absl::AsciiStrToLower(Av(key)) == "dsn") {
      *s = RedactDsn(s->get());
    } else if (LooksLikePrivateKey(s->get())) {
      *s = std::string(kRedacted);
    }
  }
}

// Non-string secrets (an integer "token") cannot be turned into a string in place; they are
// replaced in their parent table.
void ReplaceNonStringSecrets(toml::table& table) {
  std::vector<std::string> to_replace;
  for (auto&& [k, v] : table) {
    if (toml::table* t = v.as_table()) {
      ReplaceNonStringSecrets(*t);
    } else if (toml::array* a = v.as_array()) {
      for (toml::node& element : *a) {
        if (toml::table* et = element.as_table()) ReplaceNonStringSecrets(*et);
      }
      if (IsSecretKeyName(k.str())) to_replace.emplace_back(k.str());
    } else if (IsSecretKeyName(k.str()) && !v.is_string()) {
      to_replace.emplace_back(k.str());
    }
  }
  for (const std::string& k : to_replace) table.insert_or_assign(k, std::string(kRedacted));
}

}  // namespace

bool IsSecretKeyName(std::string_view key) {
  const std::string k = absl::AsciiStrToLower(Av(key));
  static constexpr std::string_view kWords[] = {"secret",      "password",   "passwd",
                                                "token",       "credential", "access_key",
                                                "private_key", "api_key",    "passphrase"};
  for (std::string_view w : kWords) {
    if (absl::StrContains(k, Av(w))) return true;
  }
  return false;
}

std::string RedactDsn(std::string_view dsn) {
  std::string out(dsn);
  // URI form: scheme://user:password@host...
  const size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    const size_t start = scheme + 3;
    const size_t at = out.find('@', start);
    const size_t slash = out.find('/', start);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      const size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) {
        out.replace(colon + 1, at - colon - 1, std::string(kRedacted));
      }
    }
  }
  // key=value form, and ?password=... in a URI query.
  std::string lower = absl::AsciiStrToLower(out);
  size_t pos = 0;
  while ((pos = lower.find("password", pos)) != std::string::npos) {
    size_t eq = pos + 8;
    while (eq < out.size() && out[eq] == ' ') ++eq;
    if (eq >= out.size() || out[eq] != '=') {
      pos += 8;
      continue;
    }
    size_t vstart = eq + 1;
    while (vstart < out.size() && out[vstart] == ' ') ++vstart;
    size_t vend = vstart;
    if (vstart < out.size() && out[vstart] == '\'') {
      vend = vstart + 1;
      while (vend < out.size() && out[vend] != '\'') vend += (out[vend] == '\\') ? 2 : 1;
      vend = std::min(vend + 1, out.size());
    } else {
      while (vend < out.size() && out[vend] != ' ' && out[vend] != '&') ++vend;
    }
    out.replace(vstart, vend - vstart, std::string(kRedacted));
    lower = absl::AsciiStrToLower(out);
    pos = vstart + kRedacted.size();
  }
  return out;
}

absl::StatusOr<std::string> SanitizeConfigToml(std::string_view toml_text) {
  toml::table table;
  try {
    table = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat("configuration does not parse as TOML (line ",
                                                   e.source().begin.line, ", column ",
                                                   e.source().begin.column, "); not copied"));
  }
  ReplaceNonStringSecrets(table);
  SanitizeTable(table);
  std::ostringstream out;
  out << "# Sanitized copy: secrets replaced by " << kRedacted << " (kms-health-check sanitize)\n";
  out << toml::toml_formatter(table) << "\n";
  return out.str();
}

}  // namespace kms::client
