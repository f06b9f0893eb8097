#!/bin/sh
# Installs every Debian package that building, running and testing clickd
# needs. Idempotent: packages already present are not touched, and apt-get
# runs only when something is missing.
set -eu

PKGS="build-essential cmake ninja-build pkg-config clang clang-format \
libclang-rt-14-dev \
mosquitto mosquitto-clients libmosquitto-dev mosquitto-dev \
libssl-dev openssl libsqlite3-dev sqlite3 libcjson-dev libmicrohttpd-dev \
libcurl4-openssl-dev python3 ca-certificates procps iproute2 \
libevdev-dev libgpiod-dev liblua5.4-dev"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi

echo "install-deps: installing:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
