# Helpers that give every project target the same flags and register tests with their layer label.

# Project code compiles with all warnings as errors; generated code (protobuf) does not use this.
function(kms_project_flags target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/src)
endfunction()

# kms_library(name DEPS ...): static library kms_<name> from every .cc file of the calling folder
# (so adding a file never means editing a shared list).
function(kms_library name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  add_library(kms_${name} STATIC ${sources})
  kms_project_flags(kms_${name})
  target_link_libraries(kms_${name} PUBLIC ${ARG_DEPS})
endfunction()

# kms_test(name LABEL layer SOURCES ... DEPS ... [TIMEOUT s] [UNIT]): a GoogleTest executable
# registered with CTest under the label of its layer. UNIT marks tests the sanitizer build runs.
function(kms_test name)
  cmake_parse_arguments(ARG "UNIT" "LABEL;TIMEOUT" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  kms_project_flags(${name})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} rapidcheck rapidcheck_gtest GTest::gtest
                                        GTest::gmock GTest::gtest_main)
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

# kms_layer_tests(layer DEPS ... [UNIT] [NOT_UNIT stems...]): one test executable <layer>_<file>
# per *_test.cc of the calling folder, labelled with the layer. A file may set its own timeout in
# <file>.timeout (seconds, one number). With UNIT every test is also labelled `unit` (the sanitizer
# build runs those) except the stems listed after NOT_UNIT (integration tests too slow there).
function(kms_layer_tests layer)
  cmake_parse_arguments(ARG "UNIT" "" "DEPS;NOT_UNIT" ${ARGN})
  file(GLOB tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cc)
  foreach(src ${tests})
    get_filename_component(stem ${src} NAME_WE)
    set(timeout 600)
    if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${stem}.timeout)
      file(READ ${CMAKE_CURRENT_SOURCE_DIR}/${stem}.timeout timeout)
      string(STRIP "${timeout}" timeout)
    endif()
    if(ARG_UNIT AND NOT stem IN_LIST ARG_NOT_UNIT)
      kms_test(${layer}_${stem} LABEL ${layer} UNIT SOURCES ${src} DEPS ${ARG_DEPS} TIMEOUT ${timeout})
    else()
      kms_test(${layer}_${stem} LABEL ${layer} SOURCES ${src} DEPS ${ARG_DEPS} TIMEOUT ${timeout})
    endif()
  endforeach()
endfunction()

# kms_bench(name SOURCES ... DEPS ...): a Google Benchmark program in build/bin.
function(kms_bench name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  kms_project_flags(${name})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark)
endfunction()
