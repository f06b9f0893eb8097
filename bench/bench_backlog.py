#!/usr/bin/env python3
"""Backlog drain: clickd is down for an hour at 100 presses a second, then
restarts while new presses keep arriving. Measures how fast it drains the
journal, against the goal of ten times the arrival rate (1,000/s).

The hour of presses is written straight into the journal in the plugin's
row format (360,000 rows over the last hour, each a distinct button press
with its own seq): pressing them through the broker would take the hour
being simulated. The presses that arrive during the drain are real: a
`clickbtn swarm` at 100 presses/s through mosquitto and the plugin.

    cmake --preset release && cmake --build --preset release
    python3 bench/bench_backlog.py [--rate 100] [--hours 1.0]
"""

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
os.environ.setdefault("CK_BIN_DIR", os.path.join(HERE, "..", "build", "release"))

from harness import BIN, Site, wait_for  # noqa: E402


def count(site, sql):
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(site.data, "clickd.db"), uri=True,
                         timeout=30)
    try:
        return db.execute(sql).fetchone()[0]
    finally:
        db.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, default=100.0, help="presses per second")
    ap.add_argument("--hours", type=float, default=1.0, help="how long clickd is down")
    ap.add_argument("--things", type=int, default=50)
    a = ap.parse_args()

    site = Site("backlog").start()
    swarm = None
    try:
        status, doc = site.request("POST", "/rules", {
            "name": "pickup", "sql": "SELECT * FROM 'iotbutton/+' WHERE clickType = 'SINGLE'",
            "actions": [{"type": "workorder", "kind": "pickup"}]})
        assert status == 201, doc
        devs = [site.device("bay-%d" % i, location="Bay %d" % i) for i in range(a.things)]

        # clickd goes down; the broker keeps running.
        site.proc.send_signal(signal.SIGKILL)
        site.proc.wait()
        backlog = int(a.rate * a.hours * 3600)
        now = int(time.time() * 1000)
        step = 1000.0 / a.rate
        db = sqlite3.connect(os.path.join(site.data, "journal.db"), timeout=30)
        rows = []
        for i in range(backlog):
            thing = "bay-%d" % (i % a.things)
            seq = 1000000 + i // a.things
            payload = json.dumps({"serialNumber": thing, "batteryVoltage": "1600mV",
                                  "clickType": "SINGLE", "seq": seq}).encode()
            rows.append((now - int((backlog - i) * step), thing, thing, "iotbutton/" + thing,
                         payload, len(payload)))
        t_fill = time.monotonic()
        db.executemany("INSERT INTO journal(received_ms, client_id, thing, topic, qos, retain,"
                       " payload, payload_size) VALUES(?, ?, ?, ?, 1, 0, ?, ?)", rows)
        db.commit()
        db.close()
        print("journal holds %d presses (%.0f s to write them)" %
              (backlog, time.monotonic() - t_fill), flush=True)

        # New presses keep flowing while clickd restarts and drains.
        swarm = subprocess.Popen(
            [os.path.join(BIN, "clickbtn"), "swarm", "--devices", site.tmp, "--things", "10",
             "--rate", str(a.rate), "--duration", "600"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        site.log.close()
        site.log = None
        t0 = time.monotonic()
        site.start(wait=False)
        wait_for("the backlog drained", lambda: count(
            site, "SELECT count(*) FROM workorder") >= backlog, timeout=3600, interval=0.5)
        t1 = time.monotonic()
        drained = count(site, "SELECT count(*) FROM workorder")
        live_sql = "SELECT count(*) FROM event WHERE seq > %d" % backlog
        live = count(site, live_sql)
        # The restart replaced the broker the swarm was connected to; once it
        # has reconnected, new presses flow at the arrival rate.
        wait_for("new presses flowing", lambda: count(site, live_sql) > live, timeout=60,
                 interval=0.5)
        l0, s0 = count(site, live_sql), time.monotonic()
        time.sleep(10)
        flow = (count(site, live_sql) - l0) / (time.monotonic() - s0)
        rate = backlog / (t1 - t0)
        print("machine: %d cores" % os.cpu_count())
        print("backlog %d presses (%.1f h at %.0f/s) drained in %.1f s after restart: %.0f/s "
              "(goal >= %.0f/s, %.1fx the arrival rate)"
              % (backlog, a.hours, a.rate, t1 - t0, rate, 10 * a.rate, rate / a.rate))
        print("%d work orders committed by then (%d new presses among them); afterwards new "
              "presses were processed at %.0f/s" % (drained, live, flow))
    finally:
        if swarm:
            swarm.terminate()
            try:
                swarm.wait(timeout=10)
            except subprocess.TimeoutExpired:
                swarm.kill()
        site.cleanup()


if __name__ == "__main__":
    main()
