# vidx_model_base: the model's I/O that needs no LibTorch — safetensors and torch.save readers,
# CLIP BPE tokenizer (with its generated Unicode tables and ftfy text cleaning), sha256 and the
# image resize and crop (preprocess.cpp; the frame sampler's frames go through it too).
# vidx_sentencepiece: the SigLIP / SigLIP 2 tokenizers. Debian's libsentencepiece.so exports
# the protobuf-lite 3.14 it embeds, which interposes on LibTorch's libprotobuf 3.21 and crashes
# a process linking both at start-up (docs/model-formats.md, "Tokenizers"). So only the module
# libvidx_sentencepiece.so (vidx_sentencepiece_module, a C interface) links libsentencepiece;
# vidx_sentencepiece loads it at run time with dlopen(RTLD_LOCAL | RTLD_DEEPBIND) and may be
# linked anywhere. The module is found next to the executable, at
# VIDX_SENTENCEPIECE_MODULE_RELDIR from it (the installed layout) or where the build wrote it.
#
# zlib (gzip vocabularies), minizip (Debian libminizip-dev: the zip container of torch.save
# checkpoints) and SentencePiece are required in the full build. A model-only build
# (VIDX_MODEL_ONLY, e.g. bench/gpu_check.sh against a libtorch zip) uses each where it is found
# and otherwise leaves that reader out: the code then answers Unsupported, naming the file and
# what the build lacks (VIDX_HAVE_ZLIB, VIDX_HAVE_MINIZIP, VIDX_HAVE_SENTENCEPIECE).
if(VIDX_MODEL_ONLY)
  set(VIDX_MODEL_DEPS_REQUIRED "")
else()
  set(VIDX_MODEL_DEPS_REQUIRED REQUIRED)
endif()
find_package(ZLIB ${VIDX_MODEL_DEPS_REQUIRED})
find_package(PkgConfig ${VIDX_MODEL_DEPS_REQUIRED})
if(PkgConfig_FOUND)
  pkg_check_modules(SENTENCEPIECE ${VIDX_MODEL_DEPS_REQUIRED} IMPORTED_TARGET sentencepiece)
  pkg_check_modules(MINIZIP ${VIDX_MODEL_DEPS_REQUIRED} IMPORTED_TARGET minizip)
endif()
if(ZLIB_FOUND)
  set(VIDX_HAVE_ZLIB ON)
else()
  set(VIDX_HAVE_ZLIB OFF)
endif()
if(ZLIB_FOUND AND MINIZIP_FOUND)
  set(VIDX_HAVE_MINIZIP ON)
else()
  set(VIDX_HAVE_MINIZIP OFF)
endif()
if(SENTENCEPIECE_FOUND)
  set(VIDX_HAVE_SENTENCEPIECE ON)
else()
  set(VIDX_HAVE_SENTENCEPIECE OFF)
endif()
message(STATUS "vidx model readers: zlib (gzip vocabularies) ${VIDX_HAVE_ZLIB}, "
  "minizip (torch.save checkpoints) ${VIDX_HAVE_MINIZIP}, "
  "SentencePiece (SigLIP tokenizers) ${VIDX_HAVE_SENTENCEPIECE}")

add_library(vidx_model_base STATIC
  ${CMAKE_CURRENT_LIST_DIR}/checkpoint_file.cpp
  ${CMAKE_CURRENT_LIST_DIR}/safetensors.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pickle_reader.cpp
  ${CMAKE_CURRENT_LIST_DIR}/torch_checkpoint.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sha256.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tokenizer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/text_clean.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ftfy_encoding.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ftfy_tables.cpp
  ${CMAKE_CURRENT_LIST_DIR}/unicode_text.cpp
  ${CMAKE_CURRENT_LIST_DIR}/unicode_tables.cpp
  ${CMAKE_CURRENT_LIST_DIR}/preprocess.cpp
)
vidx_project_target(vidx_model_base)
target_link_libraries(vidx_model_base PUBLIC vidx_common PRIVATE nlohmann_json::nlohmann_json)
if(VIDX_HAVE_ZLIB)
  target_link_libraries(vidx_model_base PRIVATE ZLIB::ZLIB)
  target_compile_definitions(vidx_model_base PRIVATE VIDX_HAVE_ZLIB=1)
endif()
if(VIDX_HAVE_MINIZIP)
  target_link_libraries(vidx_model_base PRIVATE PkgConfig::MINIZIP)
  target_compile_definitions(vidx_model_base PRIVATE VIDX_HAVE_MINIZIP=1)
endif()

include(GNUInstallDirs)
if(VIDX_HAVE_SENTENCEPIECE)
  add_library(vidx_sentencepiece_module MODULE ${CMAKE_CURRENT_LIST_DIR}/sentencepiece_shim.cpp)
  vidx_project_target(vidx_sentencepiece_module)
  set_target_properties(vidx_sentencepiece_module PROPERTIES
    OUTPUT_NAME vidx_sentencepiece PREFIX lib
    CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  target_include_directories(vidx_sentencepiece_module PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(vidx_sentencepiece_module PRIVATE PkgConfig::SENTENCEPIECE)
  target_link_options(vidx_sentencepiece_module PRIVATE -Wl,-z,defs)
endif()

# Where deploy/install.cmake installs the module; the binary finds it by the relative path from
# its own directory (bin) to there.
set(VIDX_SENTENCEPIECE_MODULE_DIR "${CMAKE_INSTALL_LIBDIR}/vidx" CACHE STRING
  "Where libvidx_sentencepiece.so is installed, relative to the install prefix")
file(RELATIVE_PATH VIDX_SENTENCEPIECE_MODULE_RELDIR
  "/prefix/${CMAKE_INSTALL_BINDIR}" "/prefix/${VIDX_SENTENCEPIECE_MODULE_DIR}")

add_library(vidx_sentencepiece STATIC
  ${CMAKE_CURRENT_LIST_DIR}/sentencepiece_tokenizer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sentencepiece_module.cpp)
vidx_project_target(vidx_sentencepiece)
target_link_libraries(vidx_sentencepiece PUBLIC vidx_model_base
  PRIVATE nlohmann_json::nlohmann_json ${CMAKE_DL_LIBS})
if(VIDX_HAVE_SENTENCEPIECE)
  target_compile_definitions(vidx_sentencepiece PRIVATE
    VIDX_SENTENCEPIECE_MODULE_PATH="$<TARGET_FILE:vidx_sentencepiece_module>"
    VIDX_SENTENCEPIECE_MODULE_RELDIR="${VIDX_SENTENCEPIECE_MODULE_RELDIR}")
  add_dependencies(vidx_sentencepiece vidx_sentencepiece_module)
else()
  target_compile_definitions(vidx_sentencepiece PRIVATE VIDX_NO_SENTENCEPIECE_MODULE=1)
endif()

if(VIDX_BUILD_TESTS)
  vidx_add_test(safetensors_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/safetensors_test.cpp
    LIBS vidx_model_base)
  vidx_add_test(pickle_reader_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/pickle_reader_test.cpp
    LIBS vidx_model_base)
  vidx_add_test(sha256_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/sha256_test.cpp
    LIBS vidx_model_base)

  # Tokenizer parity: a fixture step writes open_clip's ids for a seeded corpus (and the same
  # vocabulary as HF vocab.json + merges.txt); the gtest compares. Without the venv the
  # fixture fails, and so do the parity tests (never a silent skip).
  add_test(NAME tokenizer_corpus
    COMMAND ${PROJECT_SOURCE_DIR}/.venv/bin/python ${CMAKE_CURRENT_LIST_DIR}/tools/tokenizer_reference.py
      --bpe ../shared/data/clip/bpe_simple_vocab_16e6.txt.gz
      --out ${PROJECT_BINARY_DIR}/tokenizer_corpus.json
      --hf-dir ${PROJECT_BINARY_DIR}/tokenizer_hf
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(tokenizer_corpus PROPERTIES FIXTURES_SETUP tokenizer_corpus TIMEOUT 300)
  vidx_add_test(tokenizer_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/tokenizer_test.cpp
    LIBS vidx_model_base nlohmann_json::nlohmann_json
    FIXTURES tokenizer_corpus)
  target_compile_definitions(tokenizer_test PRIVATE VIDX_TEST_BINARY_DIR="${PROJECT_BINARY_DIR}")

  # SentencePiece parity: a fixture step trains two small SentencePiece models with
  # SentencePiece's trainer, saves them as SiglipTokenizer / GemmaTokenizer directories and
  # writes transformers' ids for a seeded corpus; the gtest compares every string.
  add_test(NAME spm_tokenizer_corpus
    COMMAND ${PROJECT_SOURCE_DIR}/.venv/bin/python ${CMAKE_CURRENT_LIST_DIR}/tools/spm_reference.py
      --out-dir ${PROJECT_BINARY_DIR}/spm_tokenizers
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(spm_tokenizer_corpus PROPERTIES FIXTURES_SETUP spm_tokenizer_corpus
    TIMEOUT 300)
  vidx_add_test(sentencepiece_tokenizer_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/sentencepiece_tokenizer_test.cpp
    LIBS vidx_sentencepiece nlohmann_json::nlohmann_json
    FIXTURES spm_tokenizer_corpus)
  target_compile_definitions(sentencepiece_tokenizer_test
    PRIVATE VIDX_TEST_BINARY_DIR="${PROJECT_BINARY_DIR}")
endif()
