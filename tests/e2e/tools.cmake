# End-to-end tests of the operator tools (labels tools and e2e): bash scripts that drive a
# kms-local cluster with the commands of docs/operations/troubleshooting.md and check their
# output and exit codes. Included from tests/tools/CMakeLists.txt (and from
# tests/e2e/CMakeLists.txt where it exists); include_guard keeps the tests registered once.
include_guard(GLOBAL)

if(TARGET kms-local AND TARGET kms-server)
  set(_kms_tools_e2e_dir ${CMAKE_CURRENT_LIST_DIR})
  # name -> CTest timeout (s). Each script uses its own port offset; RUN_SERIAL keeps them from
  # competing for the two cores with other tests (13 servers are heavy).
  foreach(spec "tools_centralized 120" "tools_pinned_keys 240" "guide_four_party 420"
               "guide_thirteen_party 420")
    separate_arguments(spec)
    list(GET spec 0 name)
    list(GET spec 1 timeout)
    add_test(NAME e2e_${name}
             COMMAND bash ${_kms_tools_e2e_dir}/${name}.sh $<TARGET_FILE_DIR:kms-local>)
    set_tests_properties(e2e_${name} PROPERTIES LABELS "tools;e2e" TIMEOUT ${timeout}
                                                       RUN_SERIAL TRUE)
  endforeach()
endif()
