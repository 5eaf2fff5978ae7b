# vidx_merge_bench: `vidx merge`'s catalog step (Catalog::MergeFrom) over three synthetic shards,
# written as one ingested SST file (what vidx merge does) against the same records written as
# synced WriteBatches of ~8 MiB (the peer), then the FAISS Flat index built once from the
# merged catalog. Prints seconds per 100k vectors and the ratio. Not a unit test:
#   build/bench/vidx_merge_bench [--vectors N] [--dim D] [--per-file S] [--rounds R] [--dir DIR]
add_executable(vidx_merge_bench ${CMAKE_CURRENT_LIST_DIR}/merge_bench.cpp)
vidx_project_target(vidx_merge_bench)
target_link_libraries(vidx_merge_bench PRIVATE vidx_catalog)
set_target_properties(vidx_merge_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
