# vidx_gpu_check: the checks of the CUDA path that need a GPU (bench/gpu_check.cpp): CUDA
# fp32/fp16/bf16 against CPU fp32 on models/demo, the determinism probe on CUDA, ViT-B/32 fp16
# throughput at batch 64/256. Built in the full tree and in a model-only tree
# (-DVIDX_MODEL_ONLY=ON, what bench/gpu_check.sh builds against a libtorch zip). Without CUDA it
# prints "no CUDA device, skipping" and exits 0:
#   bench/gpu_check.sh /path/to/libtorch
if(TARGET vidx_model_verifier AND NOT TARGET vidx_gpu_check)
  find_package(Torch REQUIRED)
  add_executable(vidx_gpu_check ${CMAKE_CURRENT_LIST_DIR}/gpu_check.cpp)
  vidx_project_target(vidx_gpu_check)
  target_link_libraries(vidx_gpu_check PRIVATE vidx_model_verifier ${TORCH_LIBRARIES})
  target_compile_definitions(vidx_gpu_check PRIVATE
    VIDX_SOURCE_DIR_DEFAULT="${PROJECT_SOURCE_DIR}")
  set_target_properties(vidx_gpu_check PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
endif()

# The script end to end on this machine's LibTorch: configure and build the model-only tree in
# its own build directory, run the check; where LibTorch sees no CUDA device it must exit 0 and
# say "no CUDA device, skipping" (where it sees one, every check must pass). It builds its own
# uninstrumented tree, so the sanitizer run leaves it out (no-sanitizer): once is enough.
if(VIDX_BUILD_TESTS AND NOT VIDX_MODEL_ONLY AND Torch_DIR)
  add_test(NAME gpu_check_script
    COMMAND sh -c "out=$(VIDX_GPU_CHECK_CMAKE_ARGS=-DVIDX_WERROR=ON bash '${CMAKE_CURRENT_LIST_DIR}/gpu_check.sh' '${Torch_DIR}' --build-dir '${PROJECT_BINARY_DIR}/gpu_check_build' --jobs 2 2>&1); rc=$?; printf '%s\\n' \"$out\"; [ $rc -eq 0 ] && printf '%s\\n' \"$out\" | grep -q -e 'no CUDA device, skipping' -e 'all GPU checks passed'")
  set_tests_properties(gpu_check_script PROPERTIES TIMEOUT 1800 LABELS "model;slow;no-sanitizer")
endif()
