# vidx_test_fixtures: test videos made with the ffmpeg CLI and cached under the build tree
# (tests/fixtures/video_fixtures.h). Used by the sampler tests and, later, pipeline tests.
add_library(vidx_test_fixtures STATIC ${CMAKE_CURRENT_LIST_DIR}/fixtures/video_fixtures.cpp)
vidx_project_target(vidx_test_fixtures)
target_link_libraries(vidx_test_fixtures PUBLIC vidx_common)
