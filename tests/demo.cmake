# Retrieval quality of the committed demo model (models/demo) through the real `vidx daemon` and
# `vidx search`, and the same with its text tower randomly re-initialised (must drop to chance).
# Needs the Python reference environment (.venv) for the broken checkpoint. Not run in the
# sanitizer build: it measures the model, not memory safety, and the daemon/search paths it
# drives are covered there by daemon_test and index_search_cli_test.
if(TARGET vidx)
  add_test(NAME demo_model_retrieval
    COMMAND ${PROJECT_SOURCE_DIR}/.venv/bin/python ${CMAKE_CURRENT_LIST_DIR}/demo_model_test.py
            --vidx $<TARGET_FILE:vidx> --model ${PROJECT_SOURCE_DIR}/models/demo
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(demo_model_retrieval PROPERTIES LABELS "model;no-sanitizer" TIMEOUT 300)
  # The same with model.precision int8 (Linear layers dynamically quantized): same bounds.
  add_test(NAME demo_model_retrieval_int8
    COMMAND ${PROJECT_SOURCE_DIR}/.venv/bin/python ${CMAKE_CURRENT_LIST_DIR}/demo_model_test.py
            --vidx $<TARGET_FILE:vidx> --model ${PROJECT_SOURCE_DIR}/models/demo --precision int8
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(demo_model_retrieval_int8 PROPERTIES LABELS "model;no-sanitizer"
    TIMEOUT 300)
endif()
