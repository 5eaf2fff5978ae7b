# One picture through the frame path (sampler, pipeline) and the query path (--image) gives the
# same vector, for the tiny CLIP model tiny_c and the tiny SigLIP model siglip_a (both fixtures,
# through vidx_tiny_models); the lossless video is made with the ffmpeg CLI.
vidx_add_test(frame_query_parity_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/frame_query_parity_test.cpp
  LIBS vidx_pipeline vidx_model vidx_video vidx_test_fixtures
  LABELS model
  FIXTURES vidx_tiny_models)
target_compile_definitions(frame_query_parity_test PRIVATE
  VIDX_TINY_MODELS_DIR="${PROJECT_BINARY_DIR}/tiny_models"
  VIDX_TINY_SIGLIP_DIR="${PROJECT_BINARY_DIR}/tiny_siglip")
