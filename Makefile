# The two commands of README.md:
#   make demo   install what is missing, build vidx (only what the demo runs), and run it on a
#               generated sample library
#   make test   install what is missing, build, and run every test (normal + ASan/UBSan builds)
# Other targets: demo-web (the demo, then its web UI until Ctrl-C), build, test-fast (normal build only), format-check, asan, tsan (threaded parts under
# ThreadSanitizer; not part of `make test`, it adds ~20 minutes), bench, clean.

BUILD      ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
JOBS       ?= $(shell nproc)
CMAKE_GEN  := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")
# The Makefile's builds (and so CI's) treat warnings as errors; a plain cmake build does not.
# The main build is the Release build users get (-O3), so CI exercises it.
CMAKE_OPTS := $(CMAKE_GEN) -DVIDX_WERROR=ON
# ccache: share hits between clones in different folders (paths relative to the parent).
export CCACHE_BASEDIR ?= $(abspath $(CURDIR)/..)
export CCACHE_NOHASHDIR ?= 1

.PHONY: deps deps-test configure build build-demo test test-fast format-check asan tsan demo demo-web bench clean

deps:
	bash deploy/install-deps.sh

deps-test:
	bash deploy/install-deps.sh --test

configure: deps
	cmake -S . -B $(BUILD) $(CMAKE_OPTS) -DCMAKE_BUILD_TYPE=Release

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# What the demo runs, and nothing of the tests or benchmarks: the vidx command (its target
# brings vidx-core, the SentencePiece module, the completions and the man page).
build-demo: configure
	cmake --build $(BUILD) -j $(JOBS) --target vidx

test-fast: deps-test
	cmake -S . -B $(BUILD) $(CMAKE_OPTS) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

asan: deps-test
	cmake -S . -B $(ASAN_BUILD) $(CMAKE_OPTS) -DCMAKE_BUILD_TYPE=Debug \
	  -DVIDX_SANITIZE=address,undefined -DVIDX_BUILD_BENCH=OFF
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=0:detect_odr_violation=0 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS) -LE no-sanitizer

# The threaded parts: the API server, the watcher and settle queue, the daemon (its indexing
# loop, pipeline, searches and reindex swaps, driven through the real binary), the one-shot
# indexer, the pipeline stages and the gate that puts searches before indexing, the scheduler and
# generation manager, and the crash and fault tests. tests/tsan.supp says what is suppressed
# and why.
TSAN_TARGETS := vidx vidx_core api_server_test dir_watcher_test settle_queue_test sd_notify_test \
  http_message_test pipeline_test pipeline_stages_test scheduler_test generation_manager_test \
  daemon_test index_search_cli_test crash_harness_test fault_injection_test vidx_thumbs_test \
  inference_gate_test
TSAN_TESTS := ThumbCache|InferenceGate|Thumbnailer|ApiServer|CallApi|DirWatcher|SettleQueue|SdNotify|Http|PoolSegments|ContentHash|ExpandPaths|PipelineStages|SchedulerTest|GenerationManager|DaemonTest|IndexSearchCli|CrashHarness|FaultTest|vidx_tiny_clip
tsan: deps-test
	cmake -S . -B $(TSAN_BUILD) $(CMAKE_OPTS) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DVIDX_SANITIZE=thread -DVIDX_BUILD_BENCH=OFF
	cmake --build $(TSAN_BUILD) -j $(JOBS) --target $(TSAN_TARGETS)
	TSAN_OPTIONS="halt_on_error=1 suppressions=$(CURDIR)/tests/tsan.supp" \
	  ctest --test-dir $(TSAN_BUILD) --output-on-failure -R '$(TSAN_TESTS)'

# Every tracked C++ file is formatted as .clang-format says (fails fast, before any build).
format-check: deps-test
	bash deploy/check_format.sh

test: format-check test-fast asan

demo: build-demo
	bash deploy/demo.sh $(BUILD)

# The demo, then the daemon keeps running with the web UI on 127.0.0.1:8421 until Ctrl-C.
demo-web: build-demo
	bash deploy/demo.sh --web $(BUILD)

bench: build
	@echo "benchmarks: see docs/benchmarks.md"; ls $(BUILD)/bench

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD)
