# vidx_daemon: the service (scan/watch -> pipeline -> catalog/index, blue/green reindex,
# the API handlers). Placeholder until daemon.cpp lands.
add_library(vidx_daemon INTERFACE)
target_link_libraries(vidx_daemon INTERFACE vidx_search)
