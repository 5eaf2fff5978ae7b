# End-to-end tests of the vidx binary: exit codes, error sentences, JSON contracts.
vidx_add_test(cli_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/cli_test.cpp ${CMAKE_CURRENT_LIST_DIR}/run_command.cpp
  LIBS vidx_common nlohmann_json::nlohmann_json)
target_compile_definitions(cli_test PRIVATE VIDX_BINARY="$<TARGET_FILE:vidx>")
add_dependencies(cli_test vidx)
