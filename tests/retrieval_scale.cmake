# Retrieval at scale: 200 generated videos indexed by the real `vidx index` with the tiny model
# tiny_c (vidx_tiny_clip fixture), then 400 --image / --like queries answered in-process by the
# QueryEngine (the model loaded once), each expected to find its video and moment.
vidx_add_binary_test(retrieval_scale_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/retrieval_scale_test.cpp
  LIBS vidx_app vidx_search vidx_config vidx_test_fixtures
  LABELS model)
