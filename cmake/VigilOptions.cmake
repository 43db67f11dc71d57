# Shared compile settings and the helper that declares a unit test next to its code.

add_library(vigil_options INTERFACE)
target_compile_options(vigil_options INTERFACE
  -Wall -Wextra -Wpedantic -Wno-missing-field-initializers
  # PDQ must be bit-exact with the reference: never fuse multiply-adds behind our back.
  -ffp-contract=off)
target_compile_features(vigil_options INTERFACE cxx_std_20)

if(VIGIL_SANITIZE)
  target_compile_options(vigil_options INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(vigil_options INTERFACE -fsanitize=address,undefined)
endif()

# vigil_test(NAME src1.cpp ... LIBS lib1 ...): a GoogleTest binary registered with ctest.
function(vigil_test name)
  cmake_parse_arguments(T "" "" "LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_UNPARSED_ARGUMENTS})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main vigil_options)
  target_compile_definitions(${name} PRIVATE
    VIGIL_TESTDATA_DIR="${VIGIL_TESTDATA_DIR}"
    VIGIL_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
    VIGIL_BINARY_DIR="${CMAKE_BINARY_DIR}")
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 600)
  if(T_LABELS)
    set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}")
  endif()
endfunction()

if(VIGIL_BUILD_FUZZ)
  # Coverage instrumentation for everything linked into a fuzz target.
  target_compile_options(vigil_options INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  target_link_options(vigil_options INTERFACE -fsanitize=address,undefined)
endif()
