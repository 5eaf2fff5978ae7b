# `vidx index | search | status` end to end on the tiny transformers-made model tiny_c (the
# vidx_tiny_clip fixture) over small generated videos; the catalog is read back directly for
# the brute-force comparison.
vidx_add_binary_test(index_search_cli_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/index_search_cli_test.cpp
  LABELS model)
