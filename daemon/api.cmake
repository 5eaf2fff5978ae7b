# vidx_daemon_api: the local API transport, HTTP/1.1 + JSON over a unix socket (server, client,
# message parsing). Needs only the standard library, threads and nlohmann-json: no LibTorch,
# no FAISS, so the CLI can talk to the daemon without pulling in the model.
find_package(Threads REQUIRED)

add_library(vidx_daemon_api STATIC
  ${CMAKE_CURRENT_LIST_DIR}/http_message.cpp
  ${CMAKE_CURRENT_LIST_DIR}/api_server.cpp
  ${CMAKE_CURRENT_LIST_DIR}/api_client.cpp)
vidx_project_target(vidx_daemon_api)
target_link_libraries(vidx_daemon_api
  PUBLIC vidx_common Threads::Threads
  PRIVATE nlohmann_json::nlohmann_json)

if(VIDX_BUILD_TESTS)
  vidx_add_test(http_message_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/http_message_test.cpp
    LIBS vidx_daemon_api nlohmann_json::nlohmann_json
    TIMEOUT 120)
  vidx_add_test(api_server_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/api_server_test.cpp
    LIBS vidx_daemon_api nlohmann_json::nlohmann_json
    TIMEOUT 120)
endif()
