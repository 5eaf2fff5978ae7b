# vidx_query_bench: warm query latency through the daemon's socket (POST /v1/search, the model
# already loaded) against the one-shot command-line path (`vidx search` with no daemon: the
# process loads the model and the index for every query), same library, same queries, same
# run; also `vidx search` as a client of the daemon (process start-up + socket). Not a test:
#   build/bench/vidx_query_bench [--model DIR] [--queries 200] [--oneshot 10]
if(TARGET vidx AND TARGET vidx_daemon_api)
  add_executable(vidx_query_bench ${CMAKE_CURRENT_LIST_DIR}/query_bench.cpp
    ${PROJECT_SOURCE_DIR}/tests/daemon_process.cpp ${PROJECT_SOURCE_DIR}/tests/run_command.cpp)
  vidx_project_target(vidx_query_bench)
  target_link_libraries(vidx_query_bench PRIVATE vidx_daemon_api nlohmann_json::nlohmann_json)
  target_compile_definitions(vidx_query_bench PRIVATE VIDX_BINARY="$<TARGET_FILE:vidx>"
    VIDX_TINY_MODELS_DIR="${PROJECT_BINARY_DIR}/tiny_models"
    VIDX_BENCH_VOCAB="${PROJECT_SOURCE_DIR}/../shared/data/clip/bpe_simple_vocab_16e6.txt.gz")
  set_target_properties(vidx_query_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
  add_dependencies(vidx_query_bench vidx)
endif()
