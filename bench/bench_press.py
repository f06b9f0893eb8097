#!/usr/bin/env python3
"""Press-to-PUBACK benchmark for one button against a real clickd on
loopback: a new connection per press (TCP, TLS 1.3, MQTT CONNECT, PUBLISH
QoS 1, PUBACK) with a full TLS handshake and with TLS session resumption,
over a persistent connection, and the one-shot `clickbtn press` process
from start to exit. Not a test.

usage: bench/bench_press.py [--bin build/release] [--presses 200]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
import harness  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.environ.get("CK_BIN_DIR", "build/release"))
    ap.add_argument("--presses", type=int, default=200)
    args = ap.parse_args()
    harness.BIN = os.path.abspath(args.bin)
    site = harness.Site("bench-press").start()
    try:
        devices = os.path.join(site.tmp, "devices")
        os.makedirs(devices)
        dev = os.path.join(devices, "b1")
        site.clickctl("thing", "create", "b1", "--out", dev)
        rate, duration = 10, args.presses / 10.0
        swarm = [os.path.join(harness.BIN, "clickbtn"), "swarm", "--devices", devices,
                 "--things", "1", "--rate", str(rate), "--duration", str(duration)]
        for label, extra in (("new connection, full TLS handshake",
                              ["--connect-per-press", "--no-resume"]),
                             ("new connection, TLS session resumed", ["--connect-per-press"]),
                             ("persistent connection", [])):
            print("\n== %s\n$ %s" % (label, " ".join(swarm[1:] + extra)), flush=True)
            r = subprocess.run(swarm + extra, capture_output=True, text=True)
            print(r.stdout + r.stderr, end="", flush=True)
        times = []
        for _ in range(min(args.presses, 50)):
            t = time.monotonic()
            r = site.press(dev, "single")
            times.append((time.monotonic() - t) * 1000)
            if r.returncode != 0:
                print("press failed: " + r.stderr)
                break
        times.sort()
        print("\n== clickbtn press (process start to exit, full handshake), %d runs" % len(times))
        print("ms: p50 %.2f  p90 %.2f  max %.2f  mean %.2f" % (
            times[len(times) // 2], times[int(len(times) * 0.9)], times[-1],
            statistics.mean(times)))
    finally:
        site.cleanup()


if __name__ == "__main__":
    main()
