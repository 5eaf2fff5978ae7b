# Retrieval at scale: 200 generated videos indexed by the real `vidx index` with the tiny model
# tiny_c (vidx_tiny_clip fixture), then 400 --image / --like queries answered in-process by the
# QueryEngine (the model loaded once), each expected to find its video and moment.
vidx_add_test(retrieval_scale_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/retrieval_scale_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/run_command.cpp
  LIBS vidx_daemon vidx_search vidx_config vidx_test_fixtures nlohmann_json::nlohmann_json
  FIXTURES vidx_tiny_clip
  LABELS model)
target_compile_definitions(retrieval_scale_test PRIVATE VIDX_BINARY="$<TARGET_FILE:vidx>"
  VIDX_TINY_MODELS_DIR="${PROJECT_BINARY_DIR}/tiny_models")
add_dependencies(retrieval_scale_test vidx)
