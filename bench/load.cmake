# kms-load: the end-to-end load benchmark (service-spec §10) against running kms-server
# processes; scripts/load-test.sh starts the clusters and runs it (docs/performance.md).
file(GLOB KMS_LOAD_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/load/*.cc)
add_executable(kms-load ${KMS_LOAD_SOURCES})
kms_project_flags(kms-load)
target_include_directories(kms-load PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(kms-load PRIVATE kms_client kms_lwe kms_crypto kms_proto kms_grpc_proto
                                       CLI11::CLI11 nlohmann_json::nlohmann_json gRPC::grpc++)
