# `vidx model keys` and `vidx model verify` end to end on renamed-key checkpoints and on
# torch.save twins (the vidx_torch_checkpoints fixture of indexer/model/torch.cmake, which
# itself requires the tiny CLIP and SigLIP models).
vidx_add_test(model_keys_cli_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/model_keys_cli_test.cpp
  LIBS vidx_binary_test_support
  FIXTURES vidx_torch_checkpoints
  LABELS model)
target_compile_definitions(model_keys_cli_test PRIVATE VIDX_BINARY="$<TARGET_FILE:vidx>"
  VIDX_TORCH_CHECKPOINTS_DIR="${PROJECT_BINARY_DIR}/torch_checkpoints")
add_dependencies(model_keys_cli_test vidx)
