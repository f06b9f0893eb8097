#!/usr/bin/env python3
"""Sustained presses per second through mosquitto + the clickd plugin +
clickd into committed work orders (TLS, QoS 1, per-device certificates),
next to bare mosquitto with the same TLS passing the same messages to a
plain subscriber, measured in the same run.

    cmake --preset release && cmake --build --preset release
    python3 bench/bench_pipeline.py [--count N] [--devices D] [--inflight I]

Prints one line per system and the ratio.
"""

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
os.environ.setdefault("CK_BIN_DIR", os.path.join(HERE, "..", "build", "release"))

from harness import BIN, Site, free_port, wait_for  # noqa: E402

LOAD = os.path.join(BIN, "bench", "bench_mqtt_load")


def publishers(devs, port, count, inflight):
    per = count // len(devs)
    procs = []
    for name, d in devs.items():
        procs.append(subprocess.Popen(
            [LOAD, "pub", "127.0.0.1", str(port), os.path.join(d, "ca.pem"),
             os.path.join(d, "cert.pem"), os.path.join(d, "key.pem"), name,
             "iotbutton/" + name, str(per), str(inflight)],
            stdout=subprocess.PIPE, text=True))
    return procs, per * len(devs)


def wait_all(procs):
    for p in procs:
        out, _ = p.communicate(timeout=600)
        if p.returncode != 0:
            raise SystemExit("a publisher failed")


def workorder_count(site):
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(site.data, "clickd.db"), uri=True,
                         timeout=10)
    try:
        return db.execute("SELECT count(*) FROM workorder").fetchone()[0]
    finally:
        db.close()


def run_clickd(site, devs, count, inflight):
    t0 = time.monotonic()
    procs, total = publishers(devs, site.mqtt_port, count, inflight)
    wait_all(procs)
    acked = time.monotonic()
    wait_for("all work orders", lambda: workorder_count(site) >= total, timeout=600,
             interval=0.05)
    done = time.monotonic()
    return total, acked - t0, done - t0


def run_bare(site, devs, count, inflight):
    tmp = tempfile.mkdtemp(prefix="bench-bare-")
    port = free_port()
    ca = os.path.join(site.data, "ca")
    conf = os.path.join(tmp, "mosquitto.conf")
    with open(conf, "w") as f:
        f.write("per_listener_settings false\nallow_anonymous true\npersistence false\n"
                "log_dest none\nmax_inflight_messages 20\n"
                "max_queued_messages 0\n"
                "listener %d 127.0.0.1\ncafile %s/ca.pem\ncertfile %s/server.pem\n"
                "keyfile %s/server.key\nrequire_certificate true\nset_tcp_nodelay true\n"
                % (port, ca, ca, ca))
        if os.geteuid() == 0:
            f.write("user root\n")
    broker = subprocess.Popen(["/usr/sbin/mosquitto", "-c", conf])
    try:
        import socket

        def up():
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return True
            except OSError:
                return False
        wait_for("bare mosquitto", up)
        any_dev = next(iter(devs.values()))
        total = (count // len(devs)) * len(devs)
        sub = subprocess.Popen(
            [LOAD, "sub", "127.0.0.1", str(port), os.path.join(any_dev, "ca.pem"),
             os.path.join(any_dev, "cert.pem"), os.path.join(any_dev, "key.pem"),
             "bench-subscriber", "iotbutton/#", str(total)],
            stdout=subprocess.PIPE, text=True)
        if sub.stdout.readline().strip() != "subscribed":
            raise SystemExit("subscriber failed")
        time.sleep(0.2)  # let the SUBSCRIBE reach the broker before publishing
        t0 = time.monotonic()
        procs, total = publishers(devs, port, count, inflight)
        wait_all(procs)
        acked = time.monotonic()
        sub.communicate(timeout=600)
        done = time.monotonic()
        return total, acked - t0, done - t0
    finally:
        broker.terminate()
        broker.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=20000)
    ap.add_argument("--devices", type=int, default=4)
    ap.add_argument("--inflight", type=int, default=20)
    ap.add_argument("--extra", default="", help="extra clickd flags")
    a = ap.parse_args()

    site = Site("bench").start(extra=a.extra.split() if a.extra else ())
    try:
        site.request("POST", "/rules", {
            "name": "pickup", "sql": "SELECT * FROM 'iotbutton/+' WHERE clickType = 'SINGLE'",
            "actions": [{"type": "workorder", "kind": "pickup"}]})
        devs = {"bench-%d" % i: site.device("bench-%d" % i, location="Bay %d" % i)
                for i in range(a.devices)}
        bare = run_bare(site, devs, a.count, a.inflight)
        ck = run_clickd(site, devs, a.count, a.inflight)
    finally:
        site.cleanup()
    print("machine: %d cores, %s" % (os.cpu_count(), open("/proc/cpuinfo").read().split(
        "model name")[1].split(":")[1].split("\n")[0].strip()))
    print("%d messages, %d devices, QoS 1, TLS, %d in flight per connection" %
          (bare[0], a.devices, a.inflight))
    print("bare mosquitto -> subscriber:        %8.0f msg/s delivered (publishers acked at %.0f/s)"
          % (bare[0] / bare[2], bare[0] / bare[1]))
    print("mosquitto + plugin + clickd -> work orders: %8.0f presses/s committed "
          "(publishers acked at %.0f/s)" % (ck[0] / ck[2], ck[0] / ck[1]))
    print("ratio: %.0f%% of bare mosquitto" % (100.0 * (ck[0] / ck[2]) / (bare[0] / bare[2])))


if __name__ == "__main__":
    main()
