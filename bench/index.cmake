# vidx_index_bench: indexing throughput (video-seconds per wall-second) of IndexPipeline into a
# real Catalog + IndexService, against the same files through the FrameSampler alone (decode
# only, same options and workers) in the same run, for a sweep of inference batch sizes, with
# the shares of time in decoding, inference and writing. Clips are generated with the ffmpeg
# CLI into <build>/bench-cache; the model defaults to the vidx_tiny_clip fixture's tiny_c
# (`ctest -R model_tiny_clip_fixture` makes it). Not a unit test:
#   build/bench/vidx_index_bench [--model DIR] [--videos 30] [--seconds 30]
#                                [--batches 1,4,16,64] [--workers 2] [--csv FILE]
#                                [--library moving|mixed] [--skip 0,2] [--precision fp32|int8]
# --library mixed makes the second half of the clips still shots; --skip sweeps
# sampling.skip_similar (0 = off); --precision goes to the model as model.precision.
if(TARGET vidx_search AND TARGET vidx_model)
  add_executable(vidx_index_bench ${CMAKE_CURRENT_LIST_DIR}/index_bench.cpp)
  vidx_project_target(vidx_index_bench)
  target_link_libraries(vidx_index_bench PRIVATE vidx_search)
  target_compile_definitions(vidx_index_bench PRIVATE
    VIDX_BENCH_CACHE_DIR="${PROJECT_BINARY_DIR}/bench-cache"
    VIDX_TINY_MODELS_DIR="${PROJECT_BINARY_DIR}/tiny_models"
    VIDX_BENCH_VOCAB="${PROJECT_SOURCE_DIR}/../shared/data/clip/bpe_simple_vocab_16e6.txt.gz")
  set_target_properties(vidx_index_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
endif()
