// File: service/main.cc
//
// kms-server --config-file F: see service/server_main.h (signals, exit codes) and
// service/kms_server.h (boot sequence).
#include "service/server_main.h"

int main(int argc, char** argv) { return kms::service::RunKmsServer(argc, argv, {}); }
