# A generated library of >= 50 hostile media files (truncations, bit flips, absurd sizes and
# timestamps, playlists pointing outside, symlink loops, odd names, non-files) indexed by the
# real `vidx index` with the tiny model (vidx_tiny_clip fixture) under a hard time limit.
vidx_add_binary_test(hostile_library_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/hostile_library_test.cpp
  LABELS model
  TIMEOUT 600)
