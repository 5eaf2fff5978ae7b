# `vidx model ...` end to end on the tiny transformers-made models (vidx_tiny_clip fixture).
vidx_add_binary_test(model_cli_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/model_cli_test.cpp
  LABELS model)
