# Helpers that give every project target the same flags and register tests with their layer label.

# Project code compiles with all warnings as errors; generated code (protobuf) does not use this.
function(kms_project_flags target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/src)
endfunction()

# kms_library(name SOURCES ... DEPS ...): static library kms_<name>.
function(kms_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(kms_${name} STATIC ${ARG_SOURCES})
  kms_project_flags(kms_${name})
  target_link_libraries(kms_${name} PUBLIC ${ARG_DEPS})
endfunction()

# kms_test(name LABEL layer SOURCES ... DEPS ... [TIMEOUT s] [UNIT]): a GoogleTest executable
# registered with CTest under the label of its layer. UNIT marks tests the sanitizer build runs.
function(kms_test name)
  cmake_parse_arguments(ARG "UNIT" "LABEL;TIMEOUT" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  kms_project_flags(${name})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name})
  set(labels ${ARG_LABEL})
  if(ARG_UNIT)
    list(APPEND labels unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 600)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${labels}" TIMEOUT ${ARG_TIMEOUT})
endfunction()

# kms_bench(name SOURCES ... DEPS ...): a Google Benchmark program in build/bin.
function(kms_bench name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  kms_project_flags(${name})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark)
endfunction()
