# The real `vidx daemon` on temporary directories with the tiny model (vidx_tiny_clip fixture).
vidx_add_binary_test(daemon_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/daemon_test.cpp
  LABELS model
  TIMEOUT 900)

# The daemon's web listener on 127.0.0.1:0 (web/): token, address file, auth, `vidx web`.
vidx_add_binary_test(web_daemon_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/web_daemon_test.cpp
  LIBS vidx_web_test_client
  LABELS model
  TIMEOUT 600)
