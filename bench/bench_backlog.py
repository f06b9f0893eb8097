#!/usr/bin/env python3
"""Backlog drain: clickd is down for an hour at 100 presses a second, then
restarts while new presses keep arriving. Measures how fast it drains the
journal, against the goal of ten times the arrival rate (1,000/s).

The hour of presses is written straight into the journal in the plugin's
segment format (tests/integration/journal_file.py; 360,000 records over the
last hour, each a distinct button press with its own seq) while both clickd
and its broker are down: pressing them through the broker would take the
hour being simulated. The presses that arrive during the drain are real: a
`clickbtn swarm` at 100 presses/s through mosquitto and the plugin.

    cmake --preset release && cmake --build --preset release
    python3 bench/bench_backlog.py [--rate 100] [--hours 1.0]
"""

import argparse
import fcntl
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

import journal_file  # noqa: E402
from harness import BIN, Site, wait_for  # noqa: E402


def count(site, sql):
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(site.data, "clickd.db"), uri=True,
                         timeout=30)
    try:
        return db.execute(sql).fetchone()[0]
    finally:
        db.close()


def stop_broker(site):
    """Ends the broker clickd left behind and waits until it is gone."""
    pid = site.broker_pid()
    if not pid:
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return

    def gone():
        try:
            with open("/proc/%d/stat" % pid) as f:
                return f.read().rsplit(")", 1)[1].split()[0] == "Z"
        except OSError:
            return True
    wait_for("the broker to exit", gone, timeout=15)


def fill_journal(site, backlog, rate, things):
    """Appends backlog presses, received over the last backlog/rate seconds,
    to the journal as the plugin would have written them: segments of at
    most 16 MiB, each named by its first sequence, numbered on from the
    newest record (or clickd's acknowledged sequence, when higher), which
    is where the plugin continues when it opens the journal. Returns the
    last sequence written."""
    jdir = site.journal_dir()
    segs = journal_file.segments(jdir)
    seq = max(journal_file.last_seq(jdir), journal_file.acked_seq(site.data)) + 1
    # The plugin may have left a newest segment holding no record yet (just
    # its header), named by the sequence it would have written next: the
    # first segment written here replaces it.
    if segs and not journal_file.read_segment(segs[-1][1]):
        seq = max(seq, segs[-1][0])
    # Holding the directory's lock proves nothing else writes the journal.
    fd = os.open(jdir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        now = int(time.time() * 1000)
        step = 1000.0 / rate
        limit = journal_file.MAX_SEGMENT_BYTES - journal_file.SEGMENT_HEADER.size
        first, chunk, size = seq, [], 0
        for i in range(backlog):
            thing = "bay-%d" % (i % things)
            payload = json.dumps({"serialNumber": thing, "batteryVoltage": "1600mV",
                                  "clickType": "SINGLE", "seq": 1000000 + i // things}).encode()
            rec = {"seq": seq, "received_ms": now - int((backlog - i) * step),
                   "client_id": thing, "thing": thing, "topic": "iotbutton/" + thing,
                   "payload": payload}
            n = journal_file.record_size(rec)
            if chunk and size + n > limit:
                journal_file.write_segment(jdir, first, chunk)
                first, chunk, size = seq, [], 0
            chunk.append(rec)
            size += n
            seq += 1
        if chunk:
            journal_file.write_segment(jdir, first, chunk)
    finally:
        os.close(fd)
    return seq - 1


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

        # clickd goes down. Its broker is stopped too: only one process may
        # write the journal (the plugin holds the directory's lock), and the
        # plugin finds where numbering continues when it opens the journal.
        site.proc.send_signal(signal.SIGKILL)
        site.proc.wait()
        stop_broker(site)
        backlog = int(a.rate * a.hours * 3600)
        t_fill = time.monotonic()
        last = fill_journal(site, backlog, a.rate, a.things)
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
        live_sql = "SELECT count(*) FROM event WHERE seq > %d" % last
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
