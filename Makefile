# vigil: the two commands are `make run` and `make test`; everything else is optional.
# Each target installs missing Debian packages first (scripts/install-deps.sh), so a fresh
# Debian 12 machine needs nothing else.

JOBS        ?= $(shell nproc)
RELEASE_DIR ?= build/release
ASAN_DIR    ?= build/asan
FUZZ_DIR    ?= build/fuzz
FUZZ_SECONDS ?= 300
CMAKE_GEN   := -G Ninja

.PHONY: all deps build console run test test-only bench fuzz fuzz-smoke format check-format clean help

all: build

help:
	@echo "make run          install deps, build (release) and run vigil on the demo data"
	@echo "make console     npm ci (when the lockfile changed) and build the web console"
	@echo "make test         install deps, build with ASan+UBSan, run every test under ctest"
	@echo "make bench        build (release) and run the benchmarks in bench/"
	@echo "make fuzz         run every fuzz target for FUZZ_SECONDS (default 300) each"
	@echo "make format       clang-format the tree; make check-format checks it"

deps:
	@./scripts/install-deps.sh

$(RELEASE_DIR)/build.ninja:
	cmake -S . -B $(RELEASE_DIR) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release

# `make run` needs only the binary and the demo generator; `make bench` builds everything.
build: deps $(RELEASE_DIR)/build.ninja
	cmake --build $(RELEASE_DIR) -j $(JOBS) --target vigil make_demo_images

# The web console (console/): npm ci when the lockfile changed, a build when sources did.
CONSOLE_SRC := $(shell find console/src console/index.html console/vite.config.ts console/tsconfig.json -type f 2>/dev/null)
console/node_modules/.package-lock.json: console/package.json console/package-lock.json
	cd console && npm ci --no-audit --no-fund
console/dist/index.html: console/node_modules/.package-lock.json $(CONSOLE_SRC)
	cd console && npm run build
console: console/dist/index.html

run: build console
	@./scripts/run-demo.sh $(RELEASE_DIR)

$(ASAN_DIR)/build.ninja:
	cmake -S . -B $(ASAN_DIR) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DVIGIL_SANITIZE=ON \
	  -DVIGIL_BUILD_BENCH=OFF -DCMAKE_CXX_FLAGS_DEBUG="-g1 -O1" -DCMAKE_C_FLAGS_DEBUG="-g1 -O1"

test: deps console/node_modules/.package-lock.json $(ASAN_DIR)/build.ninja
	cmake --build $(ASAN_DIR) -j $(JOBS)
	$(MAKE) --no-print-directory test-only check-format

test-only:
	cd $(ASAN_DIR) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS)

$(FUZZ_DIR)/build.ninja:
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug \
	  -DVIGIL_BUILD_FUZZ=ON -DVIGIL_BUILD_BENCH=OFF \
	  -DCMAKE_CXX_FLAGS_DEBUG="-g1 -O1" -DCMAKE_C_FLAGS_DEBUG="-g1 -O1"

# Every fuzz target also runs briefly under ctest in the ASan build (fuzz_smoke_*, part of
# `make test`); this runs the clang libFuzzer builds for 20 s each.
fuzz-smoke: $(FUZZ_DIR)/build.ninja
	cmake --build $(FUZZ_DIR) --target fuzzers -j $(JOBS)
	./scripts/run-fuzz.sh $(FUZZ_DIR) 20

fuzz: deps $(FUZZ_DIR)/build.ninja
	cmake --build $(FUZZ_DIR) --target fuzzers -j $(JOBS)
	./scripts/run-fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

bench: build
	cmake --build $(RELEASE_DIR) -j $(JOBS)
	./scripts/run-bench.sh $(RELEASE_DIR)

format:
	find src bench fuzz tools -name '*.cpp' -o -name '*.h' | xargs clang-format -i

check-format:
	@find src bench fuzz tools -name '*.cpp' -o -name '*.h' | xargs clang-format --dry-run --Werror

clean:
	rm -rf build
