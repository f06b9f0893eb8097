#!/bin/sh
# Runs the whole clickd test suite on a fresh Debian 12 machine: installs
# what is missing, checks formatting and banned functions, builds with
# -Werror, runs unit, fuzz-corpus, integration and browser tests (debug
# build), runs the unit and fuzz-corpus tests again under ASan+UBSan, and
# checks that the release build (the one the demo runs) compiles. Ends with
# one line "N passed, N failed" and exits non-zero on any failure.
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
	# "100% tests passed, 0 tests failed out of 12"
	line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "test.sh: ctest printed no summary for $preset" >&2
		failed=$((failed + 1))
		return
	fi
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/')
	t=$(echo "$line" | sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\2/')
	passed=$((passed + t - f))
	failed=$((failed + f))
}

check "lint (clang-format, banned functions)" ./scripts/lint.sh
run_preset debug
run_preset asan -L 'unit|fuzz'
check "release build" build release

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
