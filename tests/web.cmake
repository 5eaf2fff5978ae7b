# The web UI in a real browser: headless Chromium driven by Selenium (Debian chromium,
# chromium-driver, python3-selenium) against the real `vidx daemon` with the demo model and
# `web.listen: 127.0.0.1:0` (tests/web/web_ui_test.py). Screenshots go to
# BUILD/tests/web_ui/. It also runs in the sanitizer build: the browser's traffic (ranges,
# thumbnails, picture uploads) exercises the web server there.
if(TARGET vidx AND TARGET vidx_web)
  add_test(NAME web_ui_browser
    COMMAND ${PROJECT_SOURCE_DIR}/.venv/bin/python ${CMAKE_CURRENT_LIST_DIR}/web/web_ui_test.py
            --vidx $<TARGET_FILE:vidx> --model ${PROJECT_SOURCE_DIR}/models/demo
            --out ${CMAKE_CURRENT_BINARY_DIR}/web_ui
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(web_ui_browser PROPERTIES LABELS "web;browser" TIMEOUT 300)
endif()
