# `vidx model ...` end to end on the tiny transformers-made models (vidx_tiny_clip fixture).
vidx_add_test(model_cli_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/model_cli_test.cpp ${CMAKE_CURRENT_LIST_DIR}/run_command.cpp
  LIBS vidx_common nlohmann_json::nlohmann_json
  FIXTURES vidx_tiny_clip
  LABELS model)
target_compile_definitions(model_cli_test PRIVATE VIDX_BINARY="$<TARGET_FILE:vidx>"
  VIDX_TINY_MODELS_DIR="${PROJECT_BINARY_DIR}/tiny_models")
add_dependencies(model_cli_test vidx)
