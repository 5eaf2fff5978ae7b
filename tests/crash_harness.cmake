# Crash consistency: kill -9 the real `vidx daemon` at random moments (first indexing,
# snapshot writes, blue/green reindex and its flip) and check the state after each restart.
# Short mode here (12 kills, VIDX_CRASH_KILLS overrides); the long mode is
#   VIDX_CRASH_KILLS=100 <build>/tests/crash_harness_test
# Corrupt FAISS snapshots and a corrupt RocksDB catalog (refusal, `vidx repair`): corruption_test.
vidx_add_binary_test(crash_harness_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/crash_harness_test.cpp
  LABELS model crash
  TIMEOUT 900)

find_package(RocksDB REQUIRED)  # the test flushes the catalog to have a table to corrupt
vidx_add_binary_test(corruption_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/corruption_test.cpp
  LIBS RocksDB::rocksdb
  LABELS model crash
  TIMEOUT 600)
