# vidx_daemon: the service (scan/watch -> pipeline -> catalog/index, blue/green reindex,
# the API routes). What the command line shares with it is in app/ (vidx_app).
find_package(spdlog REQUIRED)
add_library(vidx_daemon STATIC
  search_service.cpp
  library_indexer.cpp
  daemon.cpp)
vidx_project_target(vidx_daemon)
target_link_libraries(vidx_daemon
  PUBLIC vidx_app vidx_search vidx_config vidx_daemon_api vidx_daemon_watch nlohmann_json::nlohmann_json
  PRIVATE spdlog::spdlog)
