# Environment faults against the real `vidx daemon` with the tiny model (vidx_tiny_clip
# fixture): disk full under the state directory, unreadable files and directories, files
# vanishing mid-decode, a state directory owned by another user, and the API socket's exposure.
# Most cases need root (CI runs as root) and skip with the reason otherwise.
vidx_add_binary_test(fault_injection_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/fault_injection_test.cpp
  LABELS model
  TIMEOUT 600)

# The unit's hardening: `systemd-analyze security --offline` exposure at most 1.3 (measured
# 1.3 "OK"; 0.6 before the web UI's loopback TCP listener, which costs PrivateNetwork= 0.5,
# AF_INET/AF_INET6 0.3 and the localhost-only IPAddressAllow= 0.1, less IPAddressDeny's own
# share; docs/systemd.md); the score is printed. Skipped (77) without systemd-analyze.
if(TARGET vidx)
  add_test(NAME vidx_install_security_strict
    COMMAND ${CMAKE_COMMAND} -E env VIDX_MAX_EXPOSURE=1.3
            bash ${PROJECT_SOURCE_DIR}/deploy/check_install.sh security
            ${PROJECT_BINARY_DIR} ${PROJECT_BINARY_DIR}/deploy/test-security-strict
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(vidx_install_security_strict PROPERTIES
    SKIP_RETURN_CODE 77
    TIMEOUT 120
    LABELS "install"
    REQUIRED_FILES $<TARGET_FILE:vidx>
    RESOURCE_LOCK vidx_install)
endif()
