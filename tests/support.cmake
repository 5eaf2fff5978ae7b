# Support for the tests that drive the real `vidx` binary with the tiny models.
#   vidx_binary_test_support: running commands, a `vidx daemon` child process, a recorder
#     of searches across a blue/green reindex, the state checker (catalog vs. vector index) and
#     the tiny library (model copies, videos, config).
#   vidx_add_binary_test(NAME SOURCES ... [LIBS ...] [LABELS ...] [TIMEOUT s]): a gtest binary
#     (vidx_add_test) linked with the support library, told where `vidx` (VIDX_BINARY) and the
#     tiny models (VIDX_TINY_MODELS_DIR from the vidx_tiny_clip fixture, VIDX_TINY_SIGLIP_DIR
#     from vidx_tiny_siglip; it requires vidx_tiny_models) are, and built after `vidx`.
#   vidx_tiny_models: a fixture that requires both tiny-model fixtures (vidx_tiny_clip and
#     vidx_tiny_siglip), for tests that need both (a test takes one fixture name).
add_library(vidx_binary_test_support STATIC
  ${CMAKE_CURRENT_LIST_DIR}/run_command.cpp
  ${CMAKE_CURRENT_LIST_DIR}/daemon_process.cpp
  ${CMAKE_CURRENT_LIST_DIR}/search_recorder.cpp
  ${CMAKE_CURRENT_LIST_DIR}/state_check.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tiny_library.cpp)
vidx_project_target(vidx_binary_test_support)
target_link_libraries(vidx_binary_test_support
  PUBLIC vidx_catalog vidx_daemon_api vidx_common vidx_sentencepiece nlohmann_json::nlohmann_json)

add_test(NAME tiny_models_fixture COMMAND ${CMAKE_COMMAND} -E true)
set_tests_properties(tiny_models_fixture PROPERTIES FIXTURES_SETUP vidx_tiny_models
  FIXTURES_REQUIRED "vidx_tiny_clip;vidx_tiny_siglip" LABELS model)

function(vidx_add_binary_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 600)
  endif()
  vidx_add_test(${name}
    SOURCES ${T_SOURCES}
    LIBS vidx_binary_test_support ${T_LIBS}
    FIXTURES vidx_tiny_models
    LABELS ${T_LABELS}
    TIMEOUT ${T_TIMEOUT})
  target_compile_definitions(${name} PRIVATE VIDX_BINARY="$<TARGET_FILE:vidx>"
    VIDX_TINY_MODELS_DIR="${PROJECT_BINARY_DIR}/tiny_models"
    VIDX_TINY_SIGLIP_DIR="${PROJECT_BINARY_DIR}/tiny_siglip")
  add_dependencies(${name} vidx)
endfunction()
