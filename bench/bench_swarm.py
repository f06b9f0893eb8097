#!/usr/bin/env python3
"""Swarm benchmark: clickbtn swarm against a real clickd (mosquitto, plugin,
journal, ingest, rules) on loopback, at 1, 100 and 1,000 presses per second,
over persistent connections and with a new TLS connection per press.
Prints each run's report and the presses clickd ingested. Not a test.

usage: bench/bench_swarm.py [--bin build/release] [--duration 10]
"""

import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
import harness  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.environ.get("CK_BIN_DIR", "build/release"))
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--things", type=int, default=1000)
    args = ap.parse_args()
    harness.BIN = os.path.abspath(args.bin)
    site = harness.Site("bench-swarm").start()
    try:
        site.clickctl("rules", "create", "pickup", "--sql",
                      "SELECT * FROM 'iotbutton/+' WHERE clickType = 'SINGLE'",
                      "--action", "workorder", "--kind", "pickup")
        devices = os.path.join(site.tmp, "devices")
        os.makedirs(devices)
        t0 = time.monotonic()
        for i in range(args.things):
            name = "sw-%04d" % i
            site.clickctl("thing", "create", name, "--out", os.path.join(devices, name))
        print("created %d things in %.1f s" % (args.things, time.monotonic() - t0))
        runs = [(1, 100, False), (100, 100, False), (1000, args.things, False),
                (1, 100, True), (100, 100, True), (1000, args.things, True)]
        for rate, things, per_press in runs:
            before = site.journal_count()
            cmd = [os.path.join(harness.BIN, "clickbtn"), "swarm", "--devices", devices,
                   "--things", str(things), "--rate", str(rate),
                   "--duration", str(args.duration)]
            if per_press:
                cmd.append("--connect-per-press")
            print("\n$ " + " ".join(cmd[1:]), flush=True)
            r = subprocess.run(cmd, capture_output=True, text=True)
            print(r.stdout + r.stderr, end="")
            harness.wait_for("clickd to ingest", lambda: site.journal_count() > before,
                             timeout=30)
            journaled = site.journal_count() - before
            print("journaled by the broker: %d" % journaled, flush=True)
    finally:
        site.cleanup()


if __name__ == "__main__":
    main()
