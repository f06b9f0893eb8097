#!/bin/sh
# Runs the whole clickd test suite on a fresh Debian 12 machine: installs
# what is missing, checks formatting and banned functions, builds with
# -Werror, runs unit, fuzz-corpus, integration and browser tests (debug
# build), runs the unit, fuzz-corpus and integration tests again under
# ASan+UBSan, and checks that the release build (the one the demo runs)
# compiles. Ends with one line "N passed, N failed" and exits non-zero on
# any failure.
set -u
cd "$(dirname "$0")/.."

./scripts/install-deps.sh || exit 1

jobs=$(nproc 2>/dev/null || echo 2)
passed=0
failed=0

# A check that is not a ctest test counts as one test.
check() {
	name=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
	else
		echo "test.sh: FAILED: $name" >&2
		failed=$((failed + 1))
	fi
}

build() {
	cmake --preset "$1" >/dev/null && cmake --build --preset "$1" -j "$jobs"
}

# Adds the tests of the ctest summary in log $1 to the counts.
count() {
	# "100% tests passed, 0 tests failed out of 12"
	line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$1" | tail -n 1)
	if [ -z "$line" ]; then
		echo "test.sh: ctest printed no summary in $1" >&2
		failed=$((failed + 1))
		return
	fi
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/')
	t=$(echo "$line" | sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\2/')
	passed=$((passed + t - f))
	failed=$((failed + f))
}

run_preset() {
	preset=$1
	shift
	if ! build "$preset"; then
		echo "test.sh: FAILED: the $preset build" >&2
		failed=$((failed + 1))
		return
	fi
	log="build/$preset/ctest.log"
	ctest --preset "$preset" -j "$jobs" "$@" 2>&1 | tee "$log"
	count "$log"
}

# The integration tests on the asan build (after run_preset asan built it).
# Debian's mosquitto is not sanitized, so the sanitizer runtimes are
# preloaded for it to load the sanitized plugin. Leak checks are off
# (mosquitto and Python exit without freeing). A report from a process
# whose death a test might not see (clickd restarts a dead broker) still
# fails the step: every report is written under $reports.
asan_integration() {
	reports=$(mktemp -d) || return
	cc=$(sed -n 's/^CMAKE_C_COMPILER:FILEPATH=//p' build/asan/CMakeCache.txt)
	rt="$($cc -print-file-name=libasan.so):$($cc -print-file-name=libubsan.so)"
	log=build/asan/ctest-integration.log
	env LD_PRELOAD="$rt" ASAN_OPTIONS="detect_leaks=0:log_path=$reports/asan" \
	    UBSAN_OPTIONS="print_stacktrace=1:log_path=$reports/ubsan" \
	    ctest --preset asan -j "$jobs" -L integration 2>&1 | tee "$log"
	count "$log"
	if [ -n "$(ls -A "$reports")" ]; then
		echo "test.sh: FAILED: sanitizer reports during the integration tests:" >&2
		cat "$reports"/* >&2
		failed=$((failed + 1))
	fi
	rm -rf "$reports"
}

check "lint (clang-format, banned functions)" ./scripts/lint.sh
run_preset debug
run_preset asan -L 'unit|fuzz'
asan_integration
check "release build" build release

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
