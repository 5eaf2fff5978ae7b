# vidx_daemon: the service (scan/watch -> pipeline -> catalog/index, blue/green reindex,
# the API routes). What the command line shares with it is in app/ (vidx_app).
find_package(spdlog REQUIRED)

# vidx_daemon_scheduler: the indexing thread's queues and timers (no clock, no LibTorch).
add_library(vidx_daemon_scheduler STATIC ${CMAKE_CURRENT_LIST_DIR}/scheduler.cpp)
vidx_project_target(vidx_daemon_scheduler)
target_link_libraries(vidx_daemon_scheduler PUBLIC vidx_daemon_watch)

# vidx_daemon_priority: per-thread niceness (daemon.index_nice), without LibTorch.
add_library(vidx_daemon_priority STATIC ${CMAKE_CURRENT_LIST_DIR}/thread_priority.cpp)
vidx_project_target(vidx_daemon_priority)
target_link_libraries(vidx_daemon_priority PUBLIC vidx_common)

add_library(vidx_daemon STATIC
  search_service.cpp
  generation_manager.cpp
  library_indexer.cpp
  daemon.cpp)
vidx_project_target(vidx_daemon)
target_link_libraries(vidx_daemon
  PUBLIC vidx_app vidx_search vidx_config vidx_daemon_api vidx_daemon_watch vidx_daemon_scheduler
         vidx_web vidx_daemon_priority nlohmann_json::nlohmann_json
  PRIVATE vidx_thumbs spdlog::spdlog)

if(VIDX_BUILD_TESTS)
  vidx_add_test(scheduler_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/scheduler_test.cpp
    LIBS vidx_daemon_scheduler
    TIMEOUT 60)
  # Niceness of the threads an indexing thread starts: std::thread and an OpenMP team.
  find_package(OpenMP REQUIRED)
  vidx_add_test(thread_priority_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/thread_priority_test.cpp
    LIBS vidx_daemon_priority OpenMP::OpenMP_CXX
    TIMEOUT 60)
  # With the bundled demo model (models/demo); tests run from the source root.
  vidx_add_test(generation_manager_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/generation_manager_test.cpp
    LIBS vidx_daemon
    LABELS model
    TIMEOUT 300)
endif()
