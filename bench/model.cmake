# vidx_model_bench: image-tower throughput of the C++ CLIP or SigLIP model vs transformers'
# CLIPModel / SiglipModel (bench/model_reference_bench.py) on the same checkpoint, threads and
# machine, in one run.
#   .venv/bin/python bench/model_reference_bench.py --make /tmp/vitb32   # once: random ViT-B/32
#   build/bench/vidx_model_bench --model /tmp/vitb32 --threads 2 --batch 8 --iters 5
#   .venv/bin/python bench/model_reference_bench.py --make-siglip /tmp/siglip_b16   # ViT-B/16
#   build/bench/vidx_model_bench --model /tmp/siglip_b16 --threads 2 --batch 4 --iters 3
# model.precision int8 against fp32, image and text towers, in one run (no Python):
#   .venv/bin/python bench/model_reference_bench.py --make-b32 /tmp/vidx_b32   # both towers
#   build/bench/vidx_model_bench --model /tmp/vidx_b32 --int8 --threads 1 --batch 8 --iters 3
# The SigLIP tower is used below the Embedder (no tokenizer), so this includes LibTorch.
if(TARGET vidx_model)
  find_package(Torch REQUIRED)
  add_executable(vidx_model_bench ${PROJECT_SOURCE_DIR}/bench/model_bench.cpp)
  vidx_project_target(vidx_model_bench)
  target_link_libraries(vidx_model_bench PRIVATE vidx_model ${TORCH_LIBRARIES})
  target_compile_definitions(vidx_model_bench PRIVATE
    VIDX_SOURCE_DIR_DEFAULT="${PROJECT_SOURCE_DIR}")
  set_target_properties(vidx_model_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
endif()
