# `vidx index | search | status` end to end on the tiny transformers-made model tiny_c (the
# vidx_tiny_clip fixture) over small generated videos; the catalog is read back directly for
# the brute-force comparison.
vidx_add_test(index_search_cli_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/index_search_cli_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/run_command.cpp
  LIBS vidx_catalog vidx_common nlohmann_json::nlohmann_json
  FIXTURES vidx_tiny_clip
  LABELS model)
target_compile_definitions(index_search_cli_test PRIVATE VIDX_BINARY="$<TARGET_FILE:vidx>"
  VIDX_TINY_MODELS_DIR="${PROJECT_BINARY_DIR}/tiny_models")
add_dependencies(index_search_cli_test vidx)
