# vidx_search_bench: single-query search latency (p50/p99) of VectorIndex against FAISS
# called directly on the same vectors (Flat, HNSW32; 100k and 1M random unit vectors of
# dimension 512), with build times and HNSW recall against exact search. Not a unit test:
#   build/bench/vidx_search_bench [--quick] [--queries N] [--k K]
add_executable(vidx_search_bench ${CMAKE_CURRENT_LIST_DIR}/search_bench.cpp)
vidx_project_target(vidx_search_bench)
target_link_libraries(vidx_search_bench PRIVATE vidx_catalog faiss)
set_target_properties(vidx_search_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
