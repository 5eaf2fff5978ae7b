# The real `vidx daemon` on temporary directories with the tiny model (vidx_tiny_clip fixture).
vidx_add_test(daemon_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/daemon_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/daemon_process.cpp
          ${CMAKE_CURRENT_LIST_DIR}/run_command.cpp
  LIBS vidx_catalog vidx_daemon_api vidx_common nlohmann_json::nlohmann_json
  FIXTURES vidx_tiny_clip
  LABELS model
  TIMEOUT 900)
target_compile_definitions(daemon_test PRIVATE VIDX_BINARY="$<TARGET_FILE:vidx>"
  VIDX_TINY_MODELS_DIR="${PROJECT_BINARY_DIR}/tiny_models")
add_dependencies(daemon_test vidx)
