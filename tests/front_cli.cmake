# The front binary `vidx` against `vidx-core` (cli/front_main.cpp): what it links and maps with a
# daemon answering (readelf, LD_DEBUG=files), and that without one it reads as vidx-core.
vidx_add_binary_test(front_cli_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/front_cli_test.cpp
  LABELS model
  TIMEOUT 600)
