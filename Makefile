# temporal-c front door.
#   make          build the library, examples and tests (installs dependencies first)
#   make test     build, then run the whole suite twice: under ASan+UBSan, then a normal
#                 build whose client tests also run under valgrind
#   make demo     the main job, end to end, against a local Temporal dev server
#   make install  install headers, library, pkg-config file and CMake package (PREFIX=...)
#   make clean
SHELL    := /bin/bash
BUILD    ?= build
ASAN     ?= build-asan
PREFIX   ?= /usr/local
CMAKE_GEN = -G Ninja
JOBS     ?= $(shell nproc)

.PHONY: all deps build build-asan test test-asan test-main demo install clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@# Configure quietly, but show what the build is made of (the Temporal API version).
	@set -o pipefail; cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  | { grep "temporal API" || true; }
	@cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	@cmake -S . -B $(ASAN) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DTEMPORAL_SANITIZE=ON \
	  -DTEMPORAL_BUILD_EXAMPLES=OFF >/dev/null
	@cmake --build $(ASAN) -j $(JOBS)

test-asan: build-asan
	@echo "== tests under AddressSanitizer + UndefinedBehaviorSanitizer =="
	@ctest --test-dir $(ASAN) --output-on-failure -LE memcheck

test-main: build
	@echo "== tests (and valgrind memcheck of the client tests) =="
	@ctest --test-dir $(BUILD) --output-on-failure

test: test-asan test-main

demo: build
	@scripts/demo.sh $(BUILD)

install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(ASAN)
