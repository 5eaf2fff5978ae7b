# Scale-out: `vidx index --shard I/N` and `vidx merge` through the real binary on the tiny CLIP
# model (scale_out_test), and the same driven by a private single-node Slurm cluster through
# deploy/slurm/ (slurm_test; skipped, saying why, where slurm-wlm and munge are missing or the
# test is not root). docs/scale-out.md.
vidx_add_binary_test(scale_out_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/scale_out_test.cpp ${CMAKE_CURRENT_LIST_DIR}/scale_out_support.cpp
  LABELS model)
vidx_add_binary_test(slurm_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/slurm_test.cpp ${CMAKE_CURRENT_LIST_DIR}/scale_out_support.cpp
  LABELS model)
target_compile_definitions(slurm_test PRIVATE
  VIDX_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
