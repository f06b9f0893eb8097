#!/bin/sh
# The long version of tests/integration/test_crash.py: presses for
# SECONDS (default 600) with KILLS (default 200) random SIGKILLs of clickd
# and mosquitto, then checks every acknowledged press has exactly one work
# order and every webhook arrived. Prints the counts.
#   bench/soak_crash.sh [SECONDS] [KILLS]     (after a debug or release build)
set -eu
cd "$(dirname "$0")/.."
bin=${CK_BIN_DIR:-$PWD/build/release}
[ -x "$bin/clickd" ] || bin=$PWD/build/debug
CK_BIN_DIR=$bin CK_CRASH_SECONDS=${1:-600} CK_CRASH_KILLS=${2:-200} \
	exec python3 tests/integration/test_crash.py
