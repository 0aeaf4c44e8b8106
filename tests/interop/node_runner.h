// File: tests/interop/node_runner.h
//
// Runs the scripts of tests/interop/node (tfhe_interop.js, tfhe_expand.js) under node and parses
// its `name = value` lines, for the interop tests that check our tfhe layer against the real
// node-tfhe packages. Also says why the packages cannot run here (no node, node too old, `npm ci`
// not run), so that the test program can report itself skipped (CTest SKIP_RETURN_CODE) instead of
// passing.
#ifndef KMS_TESTS_INTEROP_NODE_RUNNER_H_
#define KMS_TESTS_INTEROP_NODE_RUNNER_H_

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>

#ifndef KMS_INTEROP_NODE_DIR
#error "KMS_INTEROP_NODE_DIR must name tests/interop/node (tests/interop/CMakeLists.txt)"
#endif

namespace kms::testing {

inline const std::string kInteropNodeDir = KMS_INTEROP_NODE_DIR;

// The exit status that tells CTest the program skipped (SKIP_RETURN_CODE in CMakeLists.txt).
inline constexpr int kSkipReturnCode = 77;

// Why node-tfhe cannot run here, or "" if it can.
inline std::string NodeTfheMissing() {
  if (std::system("command -v node >/dev/null 2>&1") != 0) return "node is not installed";
  // node-tfhe declares no engine; it is verified with node 20 (interop-tfhe*.md).
  if (std::system("node -e \"process.exit(Number(process.versions.node.split('.')[0]) >= 20 "
                  "? 0 : 1)\"") != 0)
    return "node is older than 20, the version node-tfhe is verified with";
  for (const char* pkg : {"tfhe14", "tfhe17"}) {
    if (!std::filesystem::exists(kInteropNodeDir + "/node_modules/" + pkg + "/tfhe.js"))
      return kInteropNodeDir + "/node_modules/" + pkg +
             " is missing: run `npm ci` there (scripts/setup.sh does)";
  }
  return "";
}

struct NodeResult {
  bool ok = false;
  std::string output;                         // stdout and stderr
  std::map<std::string, std::string> values;  // the `name = value` lines
};

// node SCRIPT VERSION PROFILE ARGS, SCRIPT a file of tests/interop/node (each argument
// single-quoted; none may hold ').
inline NodeResult RunNodeScript(const std::string& script, const std::string& version,
                                const std::string& profile, const std::string& args) {
  const std::string command = "node '" + kInteropNodeDir + "/" + script + "' " + version + " " +
                              profile + " " + args + " 2>&1";
  NodeResult r;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    r.output = "cannot run " + command;
    return r;
  }
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof(buffer), pipe)) > 0;) r.output.append(buffer, n);
  r.ok = pclose(pipe) == 0;
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);) {
    const size_t eq = line.find(" = ");
    if (eq != std::string::npos) r.values[line.substr(0, eq)] = line.substr(eq + 3);
  }
  return r;
}

// node tfhe_interop.js VERSION PROFILE ARGS.
inline NodeResult RunNodeTfhe(const std::string& version, const std::string& profile,
                              const std::string& args) {
  return RunNodeScript("tfhe_interop.js", version, profile, args);
}

}  // namespace kms::testing

#endif  // KMS_TESTS_INTEROP_NODE_RUNNER_H_
