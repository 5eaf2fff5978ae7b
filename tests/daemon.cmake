# The real `vidx daemon` on temporary directories with the tiny model (vidx_tiny_clip fixture).
vidx_add_binary_test(daemon_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/daemon_test.cpp
  LABELS model
  TIMEOUT 900)
