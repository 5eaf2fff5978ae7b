# vidx_thumb_bench: thumbnail latency -- a cold decode (DecodeFrameAt + EncodeJpeg through the
# Thumbnailer, cache emptied) against a cache hit in the same run -- and what keeping a small
# JPEG per sampled frame at indexing time would cost instead (encode time, bytes). 720p H.264
# made with the ffmpeg CLI. Not a unit test; run by hand:
#   build/bench/vidx_thumb_bench [--quick] [--cache DIR] [--gop SECONDS] [--count N] [--width W]
add_executable(vidx_thumb_bench ${CMAKE_CURRENT_LIST_DIR}/thumb_bench.cpp)
vidx_project_target(vidx_thumb_bench)
target_link_libraries(vidx_thumb_bench PRIVATE vidx_thumbs vidx_video)
target_compile_definitions(vidx_thumb_bench PRIVATE
  VIDX_BENCH_CACHE_DIR="${PROJECT_BINARY_DIR}/bench-cache")
