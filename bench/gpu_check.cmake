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

# The script end to end on this machine's LibTorch, as the person with the GPU runs it: the
# bundle is made, unpacked, and its own gpu_check.sh configures and builds the model-only tree
# with zlib, minizip, SentencePiece, oneDNN and the system's nlohmann-json hidden from CMake,
# then runs the check; the CPU check must pass, int8 must be reported absent and, where
# LibTorch sees no CUDA device, the CUDA checks must say "no CUDA device, skipping" (where it
# sees one, every check must pass). It builds its own uninstrumented tree, so the sanitizer
# run leaves it out (no-sanitizer): once is enough.
if(VIDX_BUILD_TESTS AND NOT VIDX_MODEL_ONLY AND Torch_DIR)
  add_test(NAME gpu_check_script
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/gpu_check_test.sh ${Torch_DIR}
      ${PROJECT_BINARY_DIR}/gpu_check_bundle)
  set_tests_properties(gpu_check_script PROPERTIES TIMEOUT 1800 LABELS "model;slow;no-sanitizer")
endif()

# The program of this build (which has oneDNN) on the demo model: the CPU fp32 check and the
# int8 one (strict load, probe, cosine >= 0.99 to fp32) must both pass.
if(VIDX_BUILD_TESTS AND NOT VIDX_MODEL_ONLY AND TARGET vidx_gpu_check)
  add_test(NAME gpu_check_program COMMAND vidx_gpu_check)
  set_tests_properties(gpu_check_program PROPERTIES LABELS "model"
    PASS_REGULAR_EXPRESSION "ok    cpu int8 vs cpu fp32" FAIL_REGULAR_EXPRESSION "FAIL|not in this build")
endif()
