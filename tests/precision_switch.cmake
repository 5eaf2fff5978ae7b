# A library indexed by the real `vidx daemon` with model.precision int8, then switched back to
# fp32: a fingerprint change, reindexed blue/green (vidx_tiny_clip fixture).
vidx_add_binary_test(precision_switch_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/precision_switch_test.cpp
  LABELS model
  TIMEOUT 600)
