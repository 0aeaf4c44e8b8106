// File: service/server_main.h
//
// kms-server --config-file F: one KMS party (threshold mode) or the whole KMS (centralized mode);
// see service/kms_server.h for the boot sequence and docs/server.md for operation.
//
// Signals: SIGTERM and SIGINT are blocked in every thread and taken by the main thread with
// sigwait. The first one starts a graceful shutdown (health NOT_SERVING, no new requests, running
// work finishes or is abandoned within kShutdownBound) and the process exits 0; a second one
// exits at once with status 1.
//
// Exit codes: 0 clean shutdown; 1 start-up refused (bad configuration, a parameter set failing
// its noise budget, storage verification, missing signing key, port in use) or a second signal.
#ifndef KMS_SERVICE_SERVER_MAIN_H_
#define KMS_SERVICE_SERVER_MAIN_H_

#include "service/kms_server.h"

namespace kms::service {

// Runs kms-server with `argc`/`argv` until it is shut down; returns the exit code. `options` go
// to KmsServer::Start (kms-server passes none). REQUIRES: called once, from the main thread,
// before any other thread exists (it blocks SIGTERM/SIGINT for the threads it starts).
int RunKmsServer(int argc, char** argv, const KmsServer::StartOptions& options);

}  // namespace kms::service

#endif  // KMS_SERVICE_SERVER_MAIN_H_
