# vidx_search_bench: single-query search latency (p50/p99) of VectorIndex::Search against FAISS
# searching the very same FAISS object directly (Flat, HNSW32; 10k, 100k and 1M random unit
# vectors of dimension 512, built once each), with build times, HNSW recall against exact
# search, and a CSV of the figures for bench/plot_benchmarks.py. Not a unit test:
#   build/bench/vidx_search_bench [--quick] [--sizes 10000,100000] [--factories Flat,HNSW32]
#                                 [--queries N] [--k K] [--csv FILE] [--peer-build]
add_executable(vidx_search_bench ${CMAKE_CURRENT_LIST_DIR}/search_bench.cpp)
vidx_project_target(vidx_search_bench)
target_link_libraries(vidx_search_bench PRIVATE vidx_catalog faiss)
set_target_properties(vidx_search_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
