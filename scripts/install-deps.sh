#!/bin/sh
# Installs every Debian package that building, running and testing clickd
# needs. Idempotent: packages already present are not touched, and apt-get
# runs only when something is missing.
set -eu

PKGS="build-essential cmake ninja-build pkg-config clang clang-format \
libclang-rt-14-dev \
mosquitto mosquitto-clients libmosquitto-dev mosquitto-dev \
libssl-dev openssl zlib1g-dev libsqlite3-dev sqlite3 libcjson-dev libmicrohttpd-dev \
libcurl4-openssl-dev python3 python3-aiosmtpd ca-certificates procps iproute2 \
libevdev-dev libgpiod-dev libargon2-dev liblua5.4-dev \
chromium chromium-driver nodejs"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive

# npm comes with some nodejs builds; Debian's own nodejs needs the npm package.
if ! command -v npm >/dev/null 2>&1; then
	missing="$missing npm"
fi

if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
else
	echo "install-deps: installing:$missing"
	$SUDO apt-get update -q
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -q --no-install-recommends $missing
fi

# The browser tests' node packages (playwright-core, which drives Debian's
# chromium; it downloads no browser), pinned by tests/e2e/package-lock.json.
e2e="$(dirname "$0")/../tests/e2e"
if [ ! -f "$e2e/node_modules/playwright-core/package.json" ] ||
	[ "$e2e/package-lock.json" -nt "$e2e/node_modules/.package-lock.json" ]; then
	echo "install-deps: npm ci in tests/e2e"
	(cd "$e2e" && npm ci --no-audit --no-fund --loglevel=error)
fi
