# vidx_model: CLIP and SigLIP towers (LibTorch), strict loader, key maps, preprocessing config,
# ClipEncoder facade, the CLIP and SigLIP Embedders and the model-family registry
# (embedder_registry.h). The SigLIP tokenizer comes from vidx_sentencepiece, which loads
# libvidx_sentencepiece.so at run time.
# Only clip_model.cpp, strict_loader.cpp and clip_encoder.cpp include LibTorch; they share a
# precompiled <torch/torch.h>. Everything else (config, key maps, report) and all tests use
# torch-free headers; the image resize and crop live in vidx_model_base (base.cmake).
find_package(Torch REQUIRED)
# oneDNN (Debian libdnnl-dev): the int8 Linear kernel (linear_kernel.h) calls it directly; it is
# the library LibTorch's own CPU int8 path runs on. Required in the full build; a model-only
# build without it refuses model.precision int8 (VIDX_HAVE_DNNL unset), as base.cmake does for
# its optional readers.
if(VIDX_MODEL_ONLY)
  find_package(dnnl CONFIG QUIET)
else()
  find_package(dnnl CONFIG REQUIRED)
endif()
if(dnnl_FOUND)
  set(VIDX_HAVE_DNNL ON)
else()
  set(VIDX_HAVE_DNNL OFF)
endif()
message(STATUS "vidx int8 kernel: oneDNN ${VIDX_HAVE_DNNL}")

add_library(vidx_model STATIC
  ${CMAKE_CURRENT_LIST_DIR}/clip_config.cpp
  ${CMAKE_CURRENT_LIST_DIR}/key_map.cpp
  ${CMAKE_CURRENT_LIST_DIR}/key_proposal.cpp
  ${CMAKE_CURRENT_LIST_DIR}/load_report.cpp
  ${CMAKE_CURRENT_LIST_DIR}/clip_model.cpp
  ${CMAKE_CURRENT_LIST_DIR}/linear_kernel.cpp
  ${CMAKE_CURRENT_LIST_DIR}/strict_loader.cpp
  ${CMAKE_CURRENT_LIST_DIR}/clip_encoder.cpp
  ${CMAKE_CURRENT_LIST_DIR}/clip_embedder.cpp
  ${CMAKE_CURRENT_LIST_DIR}/embedder_registry.cpp
  ${CMAKE_CURRENT_LIST_DIR}/siglip_config.cpp
  ${CMAKE_CURRENT_LIST_DIR}/siglip_model.cpp
  ${CMAKE_CURRENT_LIST_DIR}/siglip_embedder.cpp
)
vidx_project_target(vidx_model)
target_link_libraries(vidx_model
  PUBLIC vidx_model_base vidx_common vidx_sentencepiece
  PRIVATE ${TORCH_LIBRARIES} nlohmann_json::nlohmann_json)
if(VIDX_HAVE_DNNL)
  target_link_libraries(vidx_model PRIVATE DNNL::dnnl)
  set_property(SOURCE ${CMAKE_CURRENT_LIST_DIR}/linear_kernel.cpp APPEND PROPERTY
    COMPILE_DEFINITIONS VIDX_HAVE_DNNL=1)
endif()
# linear_kernel.cpp quantizes activations with at::parallel_for, which is an inline OpenMP loop:
# without the compiler's OpenMP flag in this file it runs on one thread. The file gets no
# precompiled header (that one is built without the flag) and no fused multiply-add (the
# rounding must see the float product, as ATen's does). The full build uses the system OpenMP,
# the one Debian's LibTorch runs on; a model-only build against a LibTorch zip (which carries its
# own libgomp) does not add a second runtime, and its loop runs serially.
set(VIDX_LINEAR_KERNEL_OPTIONS -ffp-contract=off)
if(NOT VIDX_MODEL_ONLY)
  find_package(OpenMP REQUIRED COMPONENTS CXX)
  list(APPEND VIDX_LINEAR_KERNEL_OPTIONS ${OpenMP_CXX_FLAGS})
  target_link_libraries(vidx_model PRIVATE ${OpenMP_CXX_LIBRARIES})
endif()
set_property(SOURCE ${CMAKE_CURRENT_LIST_DIR}/linear_kernel.cpp APPEND PROPERTY
  COMPILE_OPTIONS ${VIDX_LINEAR_KERNEL_OPTIONS})
set_property(SOURCE ${CMAKE_CURRENT_LIST_DIR}/linear_kernel.cpp PROPERTY
  SKIP_PRECOMPILE_HEADERS ON)
# The C++ ABI LibTorch was built with (pip wheels may use the pre-C++11 one) must hold for every
# caller of the std::string-based API too.
if(TORCH_CXX_FLAGS)
  separate_arguments(VIDX_TORCH_CXX_FLAGS UNIX_COMMAND "${TORCH_CXX_FLAGS}")
  target_compile_options(vidx_model PUBLIC ${VIDX_TORCH_CXX_FLAGS})
endif()
set_source_files_properties(
  ${CMAKE_CURRENT_LIST_DIR}/clip_config.cpp ${CMAKE_CURRENT_LIST_DIR}/key_map.cpp
  ${CMAKE_CURRENT_LIST_DIR}/key_proposal.cpp
  ${CMAKE_CURRENT_LIST_DIR}/load_report.cpp
  ${CMAKE_CURRENT_LIST_DIR}/clip_embedder.cpp ${CMAKE_CURRENT_LIST_DIR}/embedder_registry.cpp
  ${CMAKE_CURRENT_LIST_DIR}/siglip_config.cpp
  PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
target_precompile_headers(vidx_model PRIVATE <torch/torch.h>)

if(VIDX_BUILD_TESTS)
  # Tiny random CLIP models + reference embeddings from transformers, made once per build dir
  # (the script keeps a stamp of itself and skips the work when nothing changed).
  set(VIDX_TINY_MODELS ${PROJECT_BINARY_DIR}/tiny_models)
  set(VIDX_MODEL_PYTHON ${PROJECT_SOURCE_DIR}/.venv/bin/python)
  add_test(NAME model_tiny_clip_fixture
    COMMAND sh -c "if [ ! -x '${VIDX_MODEL_PYTHON}' ]; then echo 'the Python reference environment ${VIDX_MODEL_PYTHON} is missing: create it as docs/architecture.md §7 says (venv --system-site-packages with transformers, safetensors, open_clip_torch)' >&2; exit 1; fi; exec '${VIDX_MODEL_PYTHON}' '${CMAKE_CURRENT_LIST_DIR}/tools/make_tiny_clip.py' --out '${VIDX_TINY_MODELS}'"
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(model_tiny_clip_fixture PROPERTIES FIXTURES_SETUP vidx_tiny_clip
    TIMEOUT 300 LABELS model)

  vidx_add_test(vidx_model_test
    SOURCES
      ${CMAKE_CURRENT_LIST_DIR}/clip_config_test.cpp
      ${CMAKE_CURRENT_LIST_DIR}/key_map_test.cpp
      ${CMAKE_CURRENT_LIST_DIR}/preprocess_test.cpp
      ${CMAKE_CURRENT_LIST_DIR}/clip_encoder_test.cpp
    LIBS vidx_model nlohmann_json::nlohmann_json
    LABELS model
    FIXTURES vidx_tiny_clip)
  target_compile_definitions(vidx_model_test PRIVATE
    VIDX_TINY_MODELS_DIR="${VIDX_TINY_MODELS}")

  # The int8 kernel's activation quantization against ATen's, value for value.
  vidx_add_test(linear_kernel_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/linear_kernel_test.cpp
    LIBS vidx_model ${TORCH_LIBRARIES}
    LABELS model)

  # Tiny random SigLIP models + reference embeddings and broken variants from transformers.
  set(VIDX_TINY_SIGLIP ${PROJECT_BINARY_DIR}/tiny_siglip)
  add_test(NAME model_tiny_siglip_fixture
    COMMAND ${VIDX_MODEL_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/tools/make_tiny_siglip.py
      --out ${VIDX_TINY_SIGLIP}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(model_tiny_siglip_fixture PROPERTIES FIXTURES_SETUP vidx_tiny_siglip
    TIMEOUT 300 LABELS model)
  # Includes LibTorch (the towers are tested below the Embedder facade).
  vidx_add_test(siglip_model_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/siglip_model_test.cpp
    LIBS vidx_model ${TORCH_LIBRARIES} nlohmann_json::nlohmann_json
    LABELS model
    FIXTURES vidx_tiny_siglip)
  target_compile_definitions(siglip_model_test PRIVATE VIDX_TINY_SIGLIP_DIR="${VIDX_TINY_SIGLIP}")

  # A tiny SigLIP-2-style model (Gemma tokenizer.model, multilingual: "dog", "Hund", "犬" and
  # "собака" give the same text embedding, "cat" another): the model directory is
  # ${VIDX_TINY_SIGLIP2}/model, made by fixture model_tiny_siglip2_fixture (vidx_tiny_siglip2).
  # tests/ finds it at ${PROJECT_BINARY_DIR}/tiny_siglip2/model too.
  set(VIDX_TINY_SIGLIP2 ${PROJECT_BINARY_DIR}/tiny_siglip2)
  add_test(NAME model_tiny_siglip2_fixture
    COMMAND ${VIDX_MODEL_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/tools/make_tiny_siglip2.py
      --out ${VIDX_TINY_SIGLIP2}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(model_tiny_siglip2_fixture PROPERTIES FIXTURES_SETUP vidx_tiny_siglip2
    TIMEOUT 300 LABELS model)
  vidx_add_test(siglip2_embedder_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/siglip2_embedder_test.cpp
    LIBS vidx_model_verifier nlohmann_json::nlohmann_json
    LABELS model
    FIXTURES vidx_tiny_siglip2)
  target_compile_definitions(siglip2_embedder_test PRIVATE
    VIDX_TINY_SIGLIP2_DIR="${VIDX_TINY_SIGLIP2}")

  # torch.save twins of the tiny models, hostile pickles and renamed-key checkpoints.
  set(VIDX_TORCH_CHECKPOINTS ${PROJECT_BINARY_DIR}/torch_checkpoints)
  add_test(NAME model_torch_checkpoints_fixture
    COMMAND ${VIDX_MODEL_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/tools/make_torch_checkpoints.py
      --clip ${VIDX_TINY_MODELS} --siglip ${VIDX_TINY_SIGLIP} --out ${VIDX_TORCH_CHECKPOINTS}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(model_torch_checkpoints_fixture PROPERTIES
    FIXTURES_SETUP vidx_torch_checkpoints
    FIXTURES_REQUIRED "vidx_tiny_clip;vidx_tiny_siglip"
    TIMEOUT 300 LABELS model)
  vidx_add_test(torch_checkpoint_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/torch_checkpoint_test.cpp
      ${CMAKE_CURRENT_LIST_DIR}/key_proposal_test.cpp
    LIBS vidx_model vidx_model_base
    LABELS model
    FIXTURES vidx_torch_checkpoints)
  target_compile_definitions(torch_checkpoint_test PRIVATE
    VIDX_TORCH_CHECKPOINTS_DIR="${VIDX_TORCH_CHECKPOINTS}"
    VIDX_TINY_MODELS_DIR="${VIDX_TINY_MODELS}"
    VIDX_TINY_SIGLIP_DIR="${VIDX_TINY_SIGLIP}")

  # The SentencePiece tokenizers in a process that links LibTorch (its libprotobuf 3.21 loaded
  # first): the same parity tests, plus torch running before and after tokenizing.
  vidx_add_test(sentencepiece_torch_test
    SOURCES
      ${CMAKE_CURRENT_LIST_DIR}/sentencepiece_tokenizer_test.cpp
      ${CMAKE_CURRENT_LIST_DIR}/sentencepiece_torch_test.cpp
    LIBS vidx_sentencepiece vidx_model ${TORCH_LIBRARIES} nlohmann_json::nlohmann_json
    LABELS model
    FIXTURES spm_tokenizer_corpus
    PREFIX "InTorchProcess.")
  target_compile_definitions(sentencepiece_torch_test
    PRIVATE VIDX_TEST_BINARY_DIR="${PROJECT_BINARY_DIR}")
endif()

if(VIDX_MODEL_ONLY AND VIDX_BUILD_BENCH)
  include(${PROJECT_SOURCE_DIR}/bench/model.cmake)
endif()
