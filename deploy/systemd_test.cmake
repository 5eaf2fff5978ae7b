# Tests of the install layer (included from daemon/watch.cmake): the cmake --install layout,
# `systemd-analyze verify` on the installed unit plus its sysusers/tmpfiles snippets, and the
# `systemd-analyze security --offline` exposure score. They install the built `vidx`, so they
# need it built (CTest reports them "Not Run" otherwise) and skip (77) without systemd tools.
foreach(mode layout verify security)
  add_test(NAME vidx_install_${mode}
    COMMAND bash ${PROJECT_SOURCE_DIR}/deploy/check_install.sh ${mode}
            ${PROJECT_BINARY_DIR} ${PROJECT_BINARY_DIR}/deploy/test-${mode}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(vidx_install_${mode} PROPERTIES
    SKIP_RETURN_CODE 77
    TIMEOUT 120
    LABELS "install"
    REQUIRED_FILES $<TARGET_FILE:vidx>
    # They share install_manifest.txt in the build directory.
    RESOURCE_LOCK vidx_install)
endforeach()
