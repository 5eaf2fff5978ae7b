# vidx_latency_bench: search latency with a ViT-B/32-shaped random CLIP (CLIPConfig() defaults,
# the real vocabulary): the text tower in process (to end of text vs all 77 positions), the
# Python reference's get_text_features on the same checkpoint, and searches through a daemon's
# socket, idle and during a reindex (docs/benchmarks.md). Not a test; the model (~600 MB) is
# written into the build directory on the first run:
#   build/bench/vidx_latency_bench [--queries 500] [--threads 2] [--videos 8] [--chunks 8,0]
if(TARGET vidx AND TARGET vidx_daemon_api AND TARGET vidx_model)
  add_executable(vidx_latency_bench ${CMAKE_CURRENT_LIST_DIR}/latency_bench.cpp
    ${PROJECT_SOURCE_DIR}/tests/daemon_process.cpp ${PROJECT_SOURCE_DIR}/tests/run_command.cpp)
  vidx_project_target(vidx_latency_bench)
  target_link_libraries(vidx_latency_bench PRIVATE vidx_model vidx_daemon_api
    nlohmann_json::nlohmann_json)
  target_compile_definitions(vidx_latency_bench PRIVATE VIDX_BINARY="$<TARGET_FILE:vidx>"
    VIDX_SOURCE_DIR_DEFAULT="${PROJECT_SOURCE_DIR}"
    VIDX_BENCH_BUILD_DIR="${PROJECT_BINARY_DIR}"
    VIDX_BENCH_VOCAB="${PROJECT_SOURCE_DIR}/../shared/data/clip/bpe_simple_vocab_16e6.txt.gz")
  set_target_properties(vidx_latency_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
  add_dependencies(vidx_latency_bench vidx)
endif()
