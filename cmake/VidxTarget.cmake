# vidx_project_target(TARGET): the warning policy for the project's own code.
# Warnings are errors here; third-party headers come in as SYSTEM includes and do not count.
function(vidx_project_target target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror
    -Wno-error=deprecated-declarations)
endfunction()

# vidx_add_test(NAME SOURCES... LIBS ...): one gtest binary, discovered by CTest.
# Tests run from the source tree root so that ../shared resolves as documented.
function(vidx_add_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  vidx_project_target(${name})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 600)
  endif()
  gtest_discover_tests(${name}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "${T_LABELS}"
    ENVIRONMENT "VIDX_SOURCE_DIR=${PROJECT_SOURCE_DIR};VIDX_BINARY_DIR=${PROJECT_BINARY_DIR}"
    DISCOVERY_TIMEOUT 60)
endfunction()
