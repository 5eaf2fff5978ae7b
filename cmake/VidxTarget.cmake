# vidx_project_target(TARGET): the warning policy for the project's own code.
# Warnings are always on; they are errors when VIDX_WERROR is ON (the Makefile's builds and
# CI), so that a packager's or user's build with another compiler does not fail on a new
# warning. Third-party headers come in as SYSTEM includes and do not count.
function(vidx_project_target target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(VIDX_WERROR)
    target_compile_options(${target} PRIVATE -Werror -Wno-error=deprecated-declarations)
  endif()
endfunction()

# vidx_add_test(NAME SOURCES ... LIBS ... [LABELS ...] [FIXTURES ...] [TIMEOUT s] [PREFIX p]):
# one gtest binary whose tests CTest discovers (named PREFIX + the gtest name, so that two
# binaries built from one test source do not clash). FIXTURES names CTest fixtures (FIXTURES_SETUP
# steps such as the Python reference generators) that must run first.
# Tests run from the source tree root so that ../shared resolves as documented.
function(vidx_add_test name)
  cmake_parse_arguments(T "" "TIMEOUT;PREFIX" "SOURCES;LIBS;LABELS;FIXTURES" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  vidx_project_target(${name})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 600)
  endif()
  # One variable only: a second one would need a ';' that the property list would split.
  # Tests run in the source root, so the source directory is '.'.
  set(props TIMEOUT ${T_TIMEOUT} ENVIRONMENT "VIDX_BINARY_DIR=${PROJECT_BINARY_DIR}")
  if(T_LABELS)
    list(APPEND props LABELS "${T_LABELS}")
  endif()
  if(T_FIXTURES)
    list(APPEND props FIXTURES_REQUIRED "${T_FIXTURES}")
  endif()
  gtest_discover_tests(${name}
    TEST_PREFIX "${T_PREFIX}"
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    PROPERTIES ${props}
    DISCOVERY_TIMEOUT 60)
endfunction()
