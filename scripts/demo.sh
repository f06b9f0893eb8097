#!/bin/sh
# Runs clickd's main job on embedded defaults: builds clickd, starts it with
# SQLite and its own mosquitto in ./demo-data, sets up a demo site (three
# buttons with locations and a pickup rule), prints how to press a button and
# where to see the work orders, and stays in the foreground until Ctrl-C.
#
# Environment: CLICKD_DATA_DIR (default ./demo-data), CLICKD_HTTP (default
# 127.0.0.1:8080), CLICKD_MQTT (default 0.0.0.0:8883).
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

./scripts/install-deps.sh
echo "demo: building clickd (release preset; the first build takes a minute or two)"
mkdir -p build
if ! { cmake --preset release && cmake --build --preset release -j "$(nproc 2>/dev/null || echo 2)"; } \
	>build/demo-build.log 2>&1; then
	tail -n 30 build/demo-build.log >&2
	echo "demo: the build failed; the whole log is in build/demo-build.log" >&2
	exit 1
fi
bin="$top/build/release"

data=${CLICKD_DATA_DIR:-$top/demo-data}
http=${CLICKD_HTTP:-127.0.0.1:8080}
mqtt=${CLICKD_MQTT:-0.0.0.0:8883}
export CLICKD_DATA_DIR="$data"
export CLICKD_SERVER="http://$http"

"$bin/clickd" --data-dir "$data" --http "$http" --mqtt "$mqtt" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; exit 0' INT TERM

# Wait until the API answers and the broker accepts connections.
python3 - "$http" "$pid" <<'PY'
import json, os, sys, time, urllib.request
addr, pid = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit("demo: clickd exited; see the messages above")
    try:
        with urllib.request.urlopen("http://%s/api/v1/health" % addr, timeout=1) as r:
            if json.load(r).get("broker") == "running":
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.1)
sys.exit("demo: clickd did not become ready within 30 s")
PY

# The demo site, created once and kept across runs.
# A pallet-pickup call kind (SINGLE raises a call, DOUBLE cancels it, LONG
# raises it as urgent) and the rule that sends every press to it.
python3 - "$http" "$data/admin.token" <<'PY'
import json, sys, urllib.error, urllib.request
addr, token_file = sys.argv[1], sys.argv[2]
token = open(token_file).read().strip()
req = urllib.request.Request("http://%s/api/v1/kinds" % addr, method="POST",
    data=json.dumps({"name": "pickup", "template": "pallet-pickup", "title": "Pallet pickup"}).encode(),
    headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
try:
    urllib.request.urlopen(req, timeout=5)
except urllib.error.HTTPError as e:
    if e.code != 409:
        sys.exit("demo: cannot define the pickup kind: HTTP %d %s" % (e.code, e.read()[:200]))
PY
if ! "$bin/clickctl" rules list | grep -q '^pickup '; then
	"$bin/clickctl" rules create pickup --action workorder --kind pickup \
		--sql "SELECT * FROM 'iotbutton/+'"
fi
# A console user for the web pages, with a password kept in the data directory.
if [ ! -f "$data/demo-password" ]; then
	(umask 077 && head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$data/demo-password")
	"$bin/clickctl" users create demo --role admin --password-file "$data/demo-password" >/dev/null
fi
for b in "dock-1:Dock 1" "aisle-7:Aisle 7" "staging:Staging"; do
	name=${b%%:*}
	location=${b#*:}
	if [ ! -f "$data/buttons/$name/clickbtn.conf" ]; then
		"$bin/clickctl" thing create "$name" --attr "location=$location" \
			--out "$data/buttons/$name" >/dev/null
	fi
done

cat <<TXT

clickd demo site is running (data in $data).

  Press a button:      $bin/clickbtn --config $data/buttons/dock-1 press single
                       (also aisle-7 and staging)
  Single press: a pallet-pickup call; double: cancel it; long: urgent.
  See the calls:       http://$http/app/  (user demo, password in $data/demo-password)
                       or CLICKD_DATA_DIR=$data CLICKD_SERVER=http://$http \\
                         $bin/clickctl workorders list
  Or over HTTP:        curl -H "Authorization: Bearer \$(cat $data/admin.token)" \\
                         http://$http/api/v1/workorders

Ctrl-C stops clickd and its broker.
TXT
wait $pid
