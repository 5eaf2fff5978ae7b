# vidx_flip_bench: search latency (p50/p99/max) through the daemon's SearchService while a
# blue/green flip (snapshot, SetActive, swap, deletion + compaction of the old generation)
# and a reindex (index rebuilt from the catalog) run, against idle searches in the same run;
# `--path old` does the same steps inside the search lock, as the daemon used to. Two
# generations of synthetic vectors (default 300k each) written straight into a catalog; text
# queries through the bundled demo model (models/demo). Not a unit test:
#   build/bench/vidx_flip_bench [--vectors 300000] [--per-file 500] [--idle 3]
#                               [--path new|old|both] [--model DIR]
if(TARGET vidx_daemon)
  add_executable(vidx_flip_bench ${CMAKE_CURRENT_LIST_DIR}/flip_bench.cpp)
  vidx_project_target(vidx_flip_bench)
  target_link_libraries(vidx_flip_bench PRIVATE vidx_daemon)
  target_compile_definitions(vidx_flip_bench PRIVATE
    VIDX_DEMO_MODEL_DIR="${PROJECT_SOURCE_DIR}/models/demo")
  set_target_properties(vidx_flip_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
endif()
