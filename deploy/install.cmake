# `cmake --install`: the vidx binaries, the systemd unit, sysusers.d/tmpfiles.d snippets, the
# example configuration, the shell completions, the man page and the operations docs
# (docs/systemd.md).
#
# Layout for prefix P (default /usr/local; packages use /usr):
#   P/bin/vidx                               the command (the front binary, cli/front_main.cpp)
#   P/LIBDIR/vidx/vidx-core                  the full binary bin/vidx executes, found through the
#                                            relative path from bin/ (cli/core_exec.h)
#   P/LIBDIR/vidx/libvidx_sentencepiece.so   the SentencePiece module, loaded by vidx-core at run
#                                            time from beside itself
#   P/share/bash-completion/completions/vidx, P/share/zsh/site-functions/_vidx, P/share/man/man1/vidx.1
#   P/lib/systemd/system/vidx.service   ExecStart=P/bin/vidx --config C/vidx.yaml daemon
#   P/lib/sysusers.d/vidx.conf          user and group vidx
#   P/lib/tmpfiles.d/vidx.conf          /var/lib/vidx, /run/vidx
#   C/vidx.yaml.example                 C = /etc/vidx for P = /usr or /usr/local, else P/etc/vidx
#   P/share/doc/vidx/{systemd,operations}.md
# The unit is generated at install time, so `cmake --install build --prefix /usr` gets
# ExecStart=/usr/bin/vidx even when the build was configured for /usr/local. DESTDIR=/stage
# prefixes every destination (absolute ones such as /etc/vidx included), for packaging.
include(GNUInstallDirs)

set(VIDX_SYSTEMD_UNIT_DIR "lib/systemd/system" CACHE STRING
  "Where vidx.service is installed: relative to the install prefix, or absolute")
set(VIDX_SYSUSERS_DIR "lib/sysusers.d" CACHE STRING
  "Where the sysusers.d snippet is installed: relative to the install prefix, or absolute")
set(VIDX_TMPFILES_DIR "lib/tmpfiles.d" CACHE STRING
  "Where the tmpfiles.d snippet is installed: relative to the install prefix, or absolute")
set(VIDX_CONFIG_DIR "" CACHE STRING
  "Configuration directory named by the unit's --config (default: /etc/vidx for the /usr and \
/usr/local prefixes, PREFIX/etc/vidx otherwise)")

install(TARGETS vidx RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Where the front binary looks for it (VIDX_CORE_RELPATH, cli/CMakeLists.txt).
install(TARGETS vidx_core RUNTIME DESTINATION ${VIDX_SENTENCEPIECE_MODULE_DIR})
# Generated from the command-line definition (cli/cli_docs.h).
set(VIDX_BASH_COMPLETION_DIR "${CMAKE_INSTALL_DATADIR}/bash-completion/completions" CACHE STRING
  "Where the bash completion is installed: relative to the install prefix, or absolute")
set(VIDX_ZSH_COMPLETION_DIR "${CMAKE_INSTALL_DATADIR}/zsh/site-functions" CACHE STRING
  "Where the zsh completion _vidx is installed (Debian packages: share/zsh/vendor-completions)")
install(FILES ${PROJECT_BINARY_DIR}/cli/vidx.bash DESTINATION ${VIDX_BASH_COMPLETION_DIR}
  RENAME vidx)
install(FILES ${PROJECT_BINARY_DIR}/cli/_vidx DESTINATION ${VIDX_ZSH_COMPLETION_DIR})
install(FILES ${PROJECT_BINARY_DIR}/cli/vidx.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
# Loaded with dlopen, not linked (indexer/model/sentencepiece_module.h): installed where the
# binary looks for it, VIDX_SENTENCEPIECE_MODULE_DIR (set with the module in
# indexer/model/base.cmake).
if(TARGET vidx_sentencepiece_module)
  install(TARGETS vidx_sentencepiece_module LIBRARY DESTINATION ${VIDX_SENTENCEPIECE_MODULE_DIR})
endif()
install(FILES ${CMAKE_CURRENT_LIST_DIR}/vidx.sysusers.conf
  DESTINATION ${VIDX_SYSUSERS_DIR} RENAME vidx.conf)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/vidx.tmpfiles.conf
  DESTINATION ${VIDX_TMPFILES_DIR} RENAME vidx.conf)
install(FILES ${PROJECT_SOURCE_DIR}/docs/systemd.md ${PROJECT_SOURCE_DIR}/docs/operations.md
  DESTINATION ${CMAKE_INSTALL_DOCDIR})

# Configure-time values for the install-time script below.
install(CODE "
set(VIDX_UNIT_TEMPLATE \"${CMAKE_CURRENT_LIST_DIR}/vidx.service.in\")
set(VIDX_CONFIG_EXAMPLE \"${PROJECT_SOURCE_DIR}/config/vidx.example.yaml\")
set(VIDX_STAGING_DIR \"${PROJECT_BINARY_DIR}/deploy\")
set(VIDX_BINDIR_SETTING \"${CMAKE_INSTALL_BINDIR}\")
set(VIDX_DOCDIR_SETTING \"${CMAKE_INSTALL_DOCDIR}\")
set(VIDX_UNIT_DIR_SETTING \"${VIDX_SYSTEMD_UNIT_DIR}\")
set(VIDX_CONFIG_DIR_SETTING \"${VIDX_CONFIG_DIR}\")
")
# Install time: CMAKE_INSTALL_PREFIX is the prefix actually used (`--prefix` included).
install(CODE [[
function(vidx_install_path out setting)
  if(IS_ABSOLUTE "${setting}")
    set(${out} "${setting}" PARENT_SCOPE)
  else()
    set(${out} "${CMAKE_INSTALL_PREFIX}/${setting}" PARENT_SCOPE)
  endif()
endfunction()
vidx_install_path(VIDX_BINDIR "${VIDX_BINDIR_SETTING}")
vidx_install_path(VIDX_DOC_DIR "${VIDX_DOCDIR_SETTING}")
vidx_install_path(vidx_unit_dir "${VIDX_UNIT_DIR_SETTING}")
if(VIDX_CONFIG_DIR_SETTING)
  set(VIDX_CONFIG_DIR "${VIDX_CONFIG_DIR_SETTING}")
elseif(CMAKE_INSTALL_PREFIX STREQUAL "/usr" OR CMAKE_INSTALL_PREFIX STREQUAL "/usr/local")
  set(VIDX_CONFIG_DIR "/etc/vidx")
else()
  set(VIDX_CONFIG_DIR "${CMAKE_INSTALL_PREFIX}/etc/vidx")
endif()
# One staging file per prefix, so concurrent installs to different prefixes do not race.
string(MD5 vidx_key "${CMAKE_INSTALL_PREFIX}|${VIDX_BINDIR}|${VIDX_CONFIG_DIR}")
set(vidx_staged "${VIDX_STAGING_DIR}/unit-${vidx_key}/vidx.service")
configure_file("${VIDX_UNIT_TEMPLATE}" "${vidx_staged}" @ONLY)
# file(INSTALL) prepends DESTDIR, reports, and records the file in install_manifest.txt.
file(INSTALL "${vidx_staged}" DESTINATION "${vidx_unit_dir}"
  FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
file(INSTALL "${VIDX_CONFIG_EXAMPLE}" DESTINATION "${VIDX_CONFIG_DIR}"
  RENAME vidx.yaml.example
  FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
]])
