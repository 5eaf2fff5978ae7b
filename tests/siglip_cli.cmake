# `vidx model verify | tokenize | embed` on the tiny SigLIP-2-style model (fixture
# vidx_tiny_siglip2, indexer/model/tools/make_tiny_siglip2.py): a multilingual Gemma tokenizer,
# and "dog", "Hund", "犬", "собака" that embed alike. The model directory:
set(VIDX_TINY_SIGLIP2_MODEL ${PROJECT_BINARY_DIR}/tiny_siglip2/model)
vidx_add_test(siglip_cli_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/siglip_cli_test.cpp
  LIBS vidx_binary_test_support
  FIXTURES vidx_tiny_siglip2
  LABELS model)
target_compile_definitions(siglip_cli_test PRIVATE VIDX_BINARY="$<TARGET_FILE:vidx>"
  VIDX_TINY_SIGLIP2_MODEL="${VIDX_TINY_SIGLIP2_MODEL}")
add_dependencies(siglip_cli_test vidx)
