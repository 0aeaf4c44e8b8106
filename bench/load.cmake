# kms-load: the end-to-end load benchmark (service-spec §10) against running kms-server
# processes; scripts/load-test.sh starts the clusters and runs it (docs/performance.md).
file(GLOB KMS_LOAD_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/load/*.cc)
add_executable(kms-load ${KMS_LOAD_SOURCES})
kms_project_flags(kms-load)
target_include_directories(kms-load PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(kms-load PRIVATE kms_client kms_lwe kms_crypto kms_proto kms_grpc_proto
                                       CLI11::CLI11 nlohmann_json::nlohmann_json gRPC::grpc++)
# The CI load smoke test (tests/e2e/load_smoke.sh): a few concurrent decryptions at 13 parties,
# failing on errors, never on time. Registered here because it needs kms-load (bench/ is
# configured after tests/); labels as the other cluster tests.
if(TARGET kms-local AND TARGET kms-server)
  add_test(NAME e2e_load_smoke
           COMMAND bash ${PROJECT_SOURCE_DIR}/tests/e2e/load_smoke.sh $<TARGET_FILE_DIR:kms-load>)
  set_tests_properties(e2e_load_smoke PROPERTIES LABELS "tools;e2e" TIMEOUT 600 RUN_SERIAL TRUE)
endif()
