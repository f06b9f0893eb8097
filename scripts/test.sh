#!/bin/sh
# Runs the whole clickd test suite on a fresh Debian 12 machine: installs
# what is missing, checks formatting and banned functions, builds with
# -Werror, runs unit, fuzz-corpus and integration tests (debug build), then
# the unit and fuzz-corpus tests again under ASan+UBSan. Ends with one line
# "N passed, N failed" and exits non-zero on any failure.
set -eu
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
./scripts/lint.sh

jobs=$(nproc 2>/dev/null || echo 2)
passed=0
failed=0

run_preset() {
	preset=$1
	shift
	cmake --preset "$preset" >/dev/null
	cmake --build --preset "$preset" -j "$jobs"
	log="build/$preset/ctest.log"
	if ctest --preset "$preset" -j "$jobs" "$@" 2>&1 | tee "$log"; then :; fi
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

run_preset debug
run_preset asan -L 'unit|fuzz'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
