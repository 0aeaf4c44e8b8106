// File: tools/kms_gen_keys.cc
//
// kms-gen-keys --config-file F [--force] [--show]: creates what a party needs before kms-server
// can start (service-spec §1, §5):
//   - a secp256k1 signing key in the private vault (SigningKey/<signer_id>), and its
//     verification key and EIP-55 address in the public vault (VerfKey/, VerfAddress/);
//   - in threshold mode, the party's TLS key (written 0600, atomically) and self-signed
//     certificate (CN and SAN = this party's mpc_identity) at threshold.tls.key / .cert, and a
//     copy of the certificate at CACert/<signer_id> in the public vault.
//   - with [service.tls], the client port's TLS key and certificate at service.tls.key / .cert
//     (CN = the first of --client-port-names, all of them in the SAN; default: this party's
//     mpc_identity, or in centralized mode service.listen_address unless it is a wildcard, else
//     "localhost"). Clients verify it by name, so list every name they dial.
//
// kms-gen-keys --caller NAME --out-dir DIR [--force]: a caller's TLS identity for the client port
// (DIR/NAME.pem, DIR/NAME.key with mode 0600; CN and SAN NAME), to list in the server's
// [[service.callers]] and to give to the tools (--tls-cert, --tls-key).
//
// It reads the server's own configuration loader (without requiring the TLS files to exist: this
// tool makes them) to find the vaults and paths. Existing keys are never overwritten without
// --force; with --force the old signing key's objects are removed, so exactly one remains.
// --show prints what exists (address, certificate CN, paths), never a secret.
//
// For a local cluster: run kms-gen-keys for every party first, then point each configuration's
// [[threshold.peers]] tls_cert at the other parties' certificate files.
//
// Exit codes: 0 done (or --show); 1 refused or failed.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "crypto/secp256k1_signer.h"
#include "crypto/secure_zero.h"
#include "crypto/tls_certificate.h"
#include "service/config.h"
#include "service/key_material.h"
#include "storage/vault.h"

namespace kms::tools {
namespace {

using service::ServerConfig;

// Writes `data` to `path` atomically: a temporary file in the same folder, created with `mode`,
// written, fsynced and renamed over `path`, then the folder fsynced.
absl::Status WriteFileAtomic(const std::string& path, ByteSpan data, mode_t mode) {
  const std::filesystem::path target(path);
  std::filesystem::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return absl::UnavailableError(absl::StrCat("cannot create ", dir.string(), ": ", ec.message()));
  std::string tmpl = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot create a file in ", dir.string(), ": ", std::strerror(errno)));
  }
  auto fail = [&](const char* what) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmpl.c_str());
    return absl::UnavailableError(absl::StrCat(what, " ", path, ": ", std::strerror(err)));
  };
  if (::fchmod(fd, mode) != 0) return fail("cannot set the mode of");
  size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write");
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("cannot sync");
  if (::close(fd) != 0) {
    ::unlink(tmpl.c_str());
    return absl::UnavailableError(absl::StrCat("cannot close ", path));
  }
  if (::rename(tmpl.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmpl.c_str());
    return absl::UnavailableError(
        absl::StrCat("cannot rename onto ", path, ": ", std::strerror(err)));
  }
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return absl::OkStatus();
}

std::optional<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return data;
}

std::string Identity(const ServerConfig& config) {
  const service::PeerConfig* me = config.threshold->me();
  if (me == nullptr) return "";
  return me->mpc_identity.empty() ? me->address : me->mpc_identity;
}

// --show
int Show(const ServerConfig& config, storage::VaultSet& vaults) {
  std::cout << "mode: " << (config.centralized() ? "centralized" : "threshold") << "\n";
  if (!config.centralized()) {
    std::cout << "party: " << config.threshold->my_id << " of " << config.threshold->num_parties()
              << " (identity " << Identity(config) << ")\n";
  }
  std::cout << "private vault: " << vaults.private_vault->Describe() << "\n";
  std::cout << "public vault: " << vaults.public_vault->Describe() << "\n";
  absl::StatusOr<std::optional<crypto::SigningKey>> key =
      service::LoadSigningKey(*vaults.private_vault);
  if (!key.ok()) {
    std::cout << "signing key: unreadable: " << key.status().message() << "\n";
  } else if (!key->has_value()) {
    std::cout << "signing key: none\n";
  } else {
    const crypto::VerificationKey& vk = (*key)->verification_key();
    std::cout << "signing key: present, address " << vk.EthereumAddressChecksummed()
              << " (signer id " << service::SignerId(vk) << ")\n";
    absl::Status published = service::VerifyPublishedVerificationKey(*vaults.public_vault, **key);
    std::cout << "verification key and address: "
              << (published.ok() ? std::string("published, matching")
                                 : std::string(published.message()))
              << "\n";
  }
  if (!config.centralized()) {
    const std::string cert_path = config.ResolvePath(config.threshold->tls.cert);
    const std::string key_path = config.ResolvePath(config.threshold->tls.key);
    std::optional<std::string> pem = ReadSmallFile(cert_path);
    if (!pem.has_value()) {
      std::cout << "tls certificate: none at " << cert_path << "\n";
    } else {
      absl::StatusOr<std::string> cn = crypto::CertificateCommonName(*pem);
      std::cout << "tls certificate: " << cert_path << ", CN "
                << (cn.ok() ? *cn : std::string("unreadable")) << "\n";
    }
    struct stat st;
    if (::stat(key_path.c_str(), &st) != 0) {
      std::cout << "tls key: none at " << key_path << "\n";
    } else {
      char mode[8];
      std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
      std::cout << "tls key: " << key_path << " (mode " << mode << ")\n";
    }
  }
  return 0;
}

absl::Status RemoveOldSigningKeys(storage::VaultSet& vaults) {
  KMS_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                       vaults.private_vault->List(storage::kSigningKey));
  for (const std::string& id : ids) {
    for (std::string_view type : {storage::kVerfKey, storage::kVerfAddress, storage::kCACert}) {
      absl::Status s = vaults.public_vault->Delete(type, id);
      if (!s.ok() && !absl::IsNotFound(s)) return s;
    }
    KMS_RETURN_IF_ERROR(vaults.private_vault->Delete(storage::kSigningKey, id));
  }
  return absl::OkStatus();
}

// The names the client port's certificate carries (see the file comment).
std::vector<std::string> ClientPortNames(const ServerConfig& config,
                                         const std::vector<std::string>& given) {
  if (!given.empty()) return given;
  if (!config.centralized()) return {Identity(config)};
  const std::string& listen = config.service.listen_address;
  if (listen != "0.0.0.0" && listen != "::") return {listen};
  return {"localhost"};
}

absl::Status WriteIdentity(const crypto::TlsIdentity& tls, const std::string& cert_path,
                           const std::string& key_path) {
  KMS_RETURN_IF_ERROR(WriteFileAtomic(key_path, tls.private_key_pem.span(), 0600));
  return WriteFileAtomic(cert_path, AsBytes(tls.certificate_pem), 0644);
}

// --caller NAME --out-dir DIR
int GenerateCaller(const std::string& name, const std::string& out_dir, bool force) {
  if (absl::Status s = crypto::ValidateIdentity(name); !s.ok()) {
    std::cerr << "error: caller name \"" << name
              << "\" cannot be a certificate name: " << s.message() << "\n";
    return 1;
  }
  const std::string cert_path = (std::filesystem::path(out_dir) / (name + ".pem")).string();
  const std::string key_path = (std::filesystem::path(out_dir) / (name + ".key")).string();
  if (!force && (std::filesystem::exists(cert_path) || std::filesystem::exists(key_path))) {
    std::cerr << "refusing to overwrite " << cert_path << " / " << key_path
              << " (use --force to replace them)\n";
    return 1;
  }
  absl::StatusOr<crypto::TlsIdentity> tls = crypto::GenerateSelfSignedCertificate(name);
  if (!tls.ok()) {
    std::cerr << "error: cannot make the certificate: " << tls.status().message() << "\n";
    return 1;
  }
  if (absl::Status s = WriteIdentity(*tls, cert_path, key_path); !s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return 1;
  }
  std::cout << "caller certificate: " << cert_path << " (CN and SAN " << name << ")\n";
  std::cout << "caller key: " << key_path << " (mode 0600)\n";
  std::cout << "list it in the server configuration:\n  [[service.callers]]\n  name = \"" << name
            << "\"\n  cert = \"" << cert_path << "\"\n  roles = [\"read\"]\n";
  return 0;
}

int Generate(const ServerConfig& config, storage::VaultSet& vaults, bool force,
             const std::vector<std::string>& client_port_names) {
  // ---- what exists ----
  std::vector<std::string> existing;
  absl::StatusOr<std::vector<std::string>> key_ids =
      vaults.private_vault->List(storage::kSigningKey);
  if (!key_ids.ok()) {
    std::cerr << "error: cannot read " << vaults.private_vault->Describe() << ": "
              << key_ids.status().message() << "\n";
    return 1;
  }
  if (!key_ids->empty()) {
    existing.push_back(absl::StrCat("signing key in ", vaults.private_vault->Describe()));
  }
  std::string cert_path, key_path, identity;
  if (!config.centralized()) {
    cert_path = config.ResolvePath(config.threshold->tls.cert);
    key_path = config.ResolvePath(config.threshold->tls.key);
    identity = Identity(config);
    if (absl::Status s = crypto::ValidateIdentity(identity); !s.ok()) {
      std::cerr << "error: this party's mpc_identity \"" << identity
                << "\" cannot be a certificate name: " << s.message() << "\n";
      return 1;
    }
    if (std::filesystem::exists(cert_path)) existing.push_back("TLS certificate " + cert_path);
    if (std::filesystem::exists(key_path)) existing.push_back("TLS key " + key_path);
  }
  std::string port_cert_path, port_key_path;
  const std::vector<std::string> port_names = ClientPortNames(config, client_port_names);
  if (config.service.tls.has_value()) {
    port_cert_path = config.ResolvePath(config.service.tls->cert);
    port_key_path = config.ResolvePath(config.service.tls->key);
    for (const std::string& name : port_names) {
      if (absl::Status s = crypto::ValidateIdentity(name); !s.ok()) {
        std::cerr << "error: client-port name \"" << name
                  << "\" cannot be a certificate name: " << s.message() << "\n";
        return 1;
      }
    }
    if (std::filesystem::exists(port_cert_path)) {
      existing.push_back("client-port TLS certificate " + port_cert_path);
    }
    if (std::filesystem::exists(port_key_path)) {
      existing.push_back("client-port TLS key " + port_key_path);
    }
  }
  if (!existing.empty() && !force) {
    std::cerr << "refusing to overwrite existing keys (use --force to replace them):\n";
    for (const auto& e : existing) std::cerr << "  " << e << "\n";
    return 1;
  }

  // ---- signing key ----
  if (absl::Status s = RemoveOldSigningKeys(vaults); !s.ok()) {
    std::cerr << "error: cannot remove the old signing key: " << s.message() << "\n";
    return 1;
  }
  const crypto::SigningKey key = crypto::SigningKey::Generate();
  if (absl::Status s = service::StoreSigningKey(vaults, key); !s.ok()) {
    std::cerr << "error: cannot store the signing key: " << s.message() << "\n";
    return 1;
  }
  const std::string signer = service::SignerId(key.verification_key());
  std::cout << "signing key: address " << key.verification_key().EthereumAddressChecksummed()
            << " (signer id " << signer << ")\n";
  std::cout << "  private: " << vaults.private_vault->Describe() << "/SigningKey/" << signer
            << "\n";
  std::cout << "  public:  " << vaults.public_vault->Describe() << "/VerfKey/" << signer
            << ", VerfAddress/" << signer << "\n";

  // ---- TLS identity (threshold) ----
  if (!config.centralized()) {
    absl::StatusOr<crypto::TlsIdentity> tls = crypto::GenerateSelfSignedCertificate(identity);
    if (!tls.ok()) {
      std::cerr << "error: cannot make the TLS certificate: " << tls.status().message() << "\n";
      return 1;
    }
    if (absl::Status s = WriteIdentity(*tls, cert_path, key_path); !s.ok()) {
      std::cerr << "error: " << s.message() << "\n";
      return 1;
    }
    if (absl::Status s =
            vaults.public_vault->Put(storage::kCACert, signer, AsBytes(tls->certificate_pem));
        !s.ok()) {
      std::cerr << "error: cannot publish the certificate: " << s.message() << "\n";
      return 1;
    }
    std::cout << "tls certificate: " << cert_path << " (CN and SAN " << identity << ")\n";
    std::cout << "tls key: " << key_path << " (mode 0600)\n";
    std::cout << "  public:  " << vaults.public_vault->Describe() << "/CACert/" << signer << "\n";
  }

  // ---- client-port TLS identity ----
  if (config.service.tls.has_value()) {
    absl::StatusOr<crypto::TlsIdentity> tls = crypto::GenerateSelfSignedCertificate(
        port_names.front(), crypto::kCertificateValidityDays,
        std::vector<std::string>(port_names.begin() + 1, port_names.end()));
    if (!tls.ok()) {
      std::cerr << "error: cannot make the client-port certificate: " << tls.status().message()
                << "\n";
      return 1;
    }
    if (absl::Status s = WriteIdentity(*tls, port_cert_path, port_key_path); !s.ok()) {
      std::cerr << "error: " << s.message() << "\n";
      return 1;
    }
    std::string names;
    for (const std::string& n : port_names) absl::StrAppend(&names, names.empty() ? "" : ", ", n);
    std::cout << "client-port certificate: " << port_cert_path << " (CN " << port_names.front()
              << ", SAN " << names << ")\n";
    std::cout << "client-port key: " << port_key_path << " (mode 0600)\n";
  }
  return 0;
}

}  // namespace
}  // namespace kms::tools

int main(int argc, char** argv) {
  using namespace kms;
  CLI::App app{"kms-gen-keys: create a KMS party's signing key and TLS identity"};
  std::string config_file;
  bool force = false;
  bool show = false;
  std::vector<std::string> client_port_names;
  std::string caller;
  std::string out_dir = ".";
  app.add_option("--config-file,-c", config_file, "the server's TOML configuration");
  app.add_flag("--force", force, "replace existing keys");
  app.add_flag("--show", show, "print what exists (no secrets) and change nothing");
  app.add_option("--client-port-names", client_port_names,
                 "names clients dial the client port by (first = CN); with [service.tls]")
      ->delimiter(',');
  app.add_option("--caller", caller, "make a caller's TLS identity NAME instead (no config)");
  app.add_option("--out-dir", out_dir, "where --caller writes NAME.pem and NAME.key");
  CLI11_PARSE(app, argc, argv);
  if (!caller.empty()) return tools::GenerateCaller(caller, out_dir, force);
  if (config_file.empty()) {
    std::cerr << "--config-file is required (or --caller NAME to make a caller identity)\n";
    return 1;
  }

  service::ProcessEnvironment env;
  service::ConfigLoadOptions options;
  options.require_tls_files = false;
  absl::StatusOr<service::ServerConfig> config = service::LoadConfig(config_file, env, options);
  if (!config.ok()) {
    std::cerr << config.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<storage::VaultSet> vaults = service::OpenVaults(*config);
  if (!vaults.ok()) {
    std::cerr << "error: cannot open the vaults: " << vaults.status().message() << "\n";
    return 1;
  }
  if (show) return tools::Show(*config, *vaults);
  return tools::Generate(*config, *vaults, force, client_port_names);
}
