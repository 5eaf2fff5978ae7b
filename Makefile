# The two commands of README.md:
#   make demo   install what is missing, build, and run vidx on a generated sample library
#   make test   install what is missing, build, and run every test (normal + ASan/UBSan builds)
# Other targets: build, test-fast (normal build only), asan, bench, clean.

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
CMAKE_GEN  := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")

.PHONY: deps deps-test build test test-fast asan demo bench clean

deps:
	bash deploy/install-deps.sh

deps-test:
	bash deploy/install-deps.sh --test

build: deps
	cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j $(JOBS)

test-fast: deps-test
	cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j $(JOBS)
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

asan: deps-test
	cmake -S . -B $(ASAN_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug \
	  -DVIDX_SANITIZE=address,undefined -DVIDX_BUILD_BENCH=OFF
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=0:detect_odr_violation=0 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS) -LE no-sanitizer

test: test-fast asan

demo: build
	bash deploy/demo.sh $(BUILD)

bench: build
	@echo "benchmarks: see docs/benchmarks.md"; ls $(BUILD)/bench

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
