# vidx_sampler_bench: FrameSampler vs. the ffmpeg CLI sampling one frame every 2 s from
# 10-minute 1080p H.264 files (keyframe every 1, 2, 5 s). Not a unit test; run by hand:
#   build/bench/vidx_sampler_bench [--quick] [--cache DIR] [--resize swscale|crop|squash]
add_executable(vidx_sampler_bench ${CMAKE_CURRENT_LIST_DIR}/sampler_bench.cpp)
vidx_project_target(vidx_sampler_bench)
target_link_libraries(vidx_sampler_bench PRIVATE vidx_video vidx_model_base)
target_compile_definitions(vidx_sampler_bench PRIVATE
  VIDX_BENCH_CACHE_DIR="${PROJECT_BINARY_DIR}/bench-cache")
