# SPDX-License-Identifier: BSD-2-Clause
# Thin wrapper over CMake + Ninja (cmark style). Build trees:
#   build/        release build (the binary users run: build/rebound)
#   build-asan/   ASan + UBSan build: `make check` runs every test there
#   build-fuzz/   clang-14 libFuzzer targets
.PHONY: deps-note all release check asan fuzz fuzz-run bench lint format format-check clean install sample

NPROC := $(shell nproc 2>/dev/null || echo 2)

all: release

release: deps-note

deps-note:
	@command -v ninja >/dev/null || { echo "run tools/install-deps.sh first (as root)"; exit 1; }
	cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build build -j $(NPROC)

asan:
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DREBOUND_SANITIZE=ON \
	  -DREBOUND_WERROR=ON >/dev/null
	cmake --build build-asan -j $(NPROC)

# The whole test suite, under ASan + UBSan.
check: asan
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(NPROC)

fuzz:
	cmake -S . -B build-fuzz -G Ninja -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
	  -DCMAKE_BUILD_TYPE=Debug -DREBOUND_FUZZ=ON -DREBOUND_SANITIZE=ON \
	  -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link >/dev/null
	cmake --build build-fuzz -j $(NPROC)

# FUZZ_SECONDS per target (CI uses about 60).
FUZZ_SECONDS ?= 60
fuzz-run: fuzz
	./fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

bench: release
	./bench/run.sh
	./bench/run_parse.sh
	./bench/run_ingest.sh

# Run the main jobs on the bundled sample data: explain sample replies, decode sample bounces,
# read sample logs and webhook payloads, and diagnose a generated month of traffic (a list
# decays, an IP is blocklisted, Gmail throttles, DMARC breaks: tools/gen_scenario.py).
sample: release
	./build/rebound explain < tests/golden/sample-replies.txt
	./build/rebound parse tests/golden/parse/rfc3464-postfix-1.eml tests/golden/parse/arf-1.eml
	./build/rebound parse --format tsv tests/golden/parse
	./build/rebound ingest --output tsv tests/golden/ingest/postfix-basic.in \
	  tests/golden/ingest/exim-mainlog.in tests/golden/ingest/sendgrid.in
	python3 tools/gen_scenario.py --per-day 5000 -q | ./build/rebound report --top 5 -

lint: asan
	./tools/checksrc.sh
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr \
	  --suppress=missingIncludeSystem -I include -I src src cli

format:
	clang-format-14 -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format-14 --dry-run --Werror $$(git ls-files '*.c' '*.h')

install: release
	cmake --install build

clean:
	rm -rf build build-asan build-fuzz
