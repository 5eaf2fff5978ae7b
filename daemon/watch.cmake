# vidx_daemon_watch: what ties the daemon to the operating system without LibTorch or FAISS:
# the recursive inotify watcher, the settle queue, and sd_notify (no libsystemd needed).
find_package(Threads REQUIRED)
find_package(spdlog REQUIRED)

add_library(vidx_daemon_watch STATIC
  ${CMAKE_CURRENT_LIST_DIR}/dir_watcher.cpp
  ${CMAKE_CURRENT_LIST_DIR}/settle_queue.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sd_notify.cpp)
vidx_project_target(vidx_daemon_watch)
target_link_libraries(vidx_daemon_watch PUBLIC vidx_common Threads::Threads
  PRIVATE spdlog::spdlog)

if(VIDX_BUILD_TESTS)
  vidx_add_test(dir_watcher_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/dir_watcher_test.cpp
    LIBS vidx_daemon_watch Threads::Threads
    TIMEOUT 120)
  vidx_add_test(settle_queue_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/settle_queue_test.cpp
    LIBS vidx_daemon_watch
    TIMEOUT 60)
  vidx_add_test(sd_notify_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/sd_notify_test.cpp
    LIBS vidx_daemon_watch
    TIMEOUT 60)
  # The unit file, its hardening and the install layout (systemd-analyze, cmake --install).
  include(${PROJECT_SOURCE_DIR}/deploy/systemd_test.cmake OPTIONAL)
endif()
