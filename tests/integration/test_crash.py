"""Crash test: publishers press continuously while clickd and mosquitto are
killed with SIGKILL at random moments, many times. Afterwards every press
that received a PUBACK has exactly one work order, and the webhook receiver
has seen every work order's webhook at least once (repeats recognisable by
their idempotency key). Prints the counts.

CK_CRASH_SECONDS and CK_CRASH_KILLS scale it (bench/soak_crash.sh runs it
longer)."""

import json
import os
import random
import signal
import subprocess
import threading
import time

from harness import BIN, Site, check, run, wait_for
from receiver import Receiver

SECONDS = float(os.environ.get("CK_CRASH_SECONDS", "25"))
KILLS = int(os.environ.get("CK_CRASH_KILLS", "10"))
DEVICES = 3


def read_seq(devdir):
    with open(os.path.join(devdir, "clickbtn.state")) as f:
        for line in f:
            k, _, v = line.partition("=")
            if k.strip() == "seq":
                return int(v.strip())
    raise AssertionError("no seq in clickbtn.state")


def publisher(site, name, devdir, stop, acked, attempts):
    while not stop.is_set():
        r = subprocess.run([os.path.join(BIN, "clickbtn"), "--config", devdir, "press", "single",
                            "--timeout", "5"], capture_output=True, text=True, timeout=30)
        attempts[name] += 1
        if r.returncode == 0:
            acked.append((name, read_seq(devdir)))


def kill_clickd(site):
    site.proc.send_signal(signal.SIGKILL)
    site.proc.wait()
    site.log.close()
    site.log = None
    site.start(wait=False)


def kill_broker(site):
    pid = site.broker_pid()
    if pid:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_presses_survive_random_kills():
    rx = Receiver()
    site = Site("crash").start()
    try:
        status, doc = site.request("POST", "/rules", {
            "name": "crash",
            "sql": "SELECT * FROM 'iotbutton/+' WHERE clickType = 'SINGLE'",
            "actions": [{"type": "workorder", "kind": "pickup"},
                        {"type": "webhook", "url": rx.url("/hook")}]})
        check(status == 201, doc)
        devs = {("dev-%d" % i): site.device("dev-%d" % i, location="Bay %d" % i)
                for i in range(DEVICES)}
        stop = threading.Event()
        acked = []
        attempts = {n: 0 for n in devs}
        threads = [threading.Thread(target=publisher, args=(site, n, d, stop, acked, attempts))
                   for n, d in devs.items()]
        for t in threads:
            t.start()
        rng = random.Random(int(os.environ.get("CK_CRASH_SEED", "7")))
        deadline = time.monotonic() + SECONDS
        kills = {"clickd": 0, "mosquitto": 0}
        for _ in range(KILLS):
            time.sleep(max(0.0, min(rng.uniform(0.5, 2.0), deadline - time.monotonic())))
            if rng.random() < 0.5:
                kill_clickd(site)
                kills["clickd"] += 1
            else:
                kill_broker(site)
                kills["mosquitto"] += 1
        while time.monotonic() < deadline:
            time.sleep(0.2)
        stop.set()
        for t in threads:
            t.join()
        wait_for("clickd ready after the storm", site.ready, timeout=60)

        # Map every acknowledged (thing, device seq) to its journal row, then
        # to work orders.
        def journal_rows():
            out = {}
            for r in site.journal():
                try:
                    p = json.loads(r["payload"])
                except (TypeError, ValueError):
                    continue
                out.setdefault((r["thing"], p.get("seq")), []).append(r["seq"])
            return out

        journal = journal_rows()
        missing = [a for a in acked if a not in journal]
        check(not missing, "acknowledged presses not in the journal: %r" % missing[:5])
        wait_for("every journaled press processed",
                 lambda: site.get("/events?limit=1")["items"] and
                 site.get("/events?limit=1")["items"][0]["seq"] >= max(
                     s for seqs in journal.values() for s in seqs), timeout=60)
        wos = []
        after = 0
        while True:
            page = site.get("/workorders?limit=500" + ("&after=%d" % after if after else ""))
            wos += page["items"]
            if not page["next"]:
                break
            after = page["next"]
        by_event = {}
        for w in wos:
            by_event.setdefault(w["eventSeq"], []).append(w)
        for a in acked:
            n = sum(len(by_event.get(s, [])) for s in journal[a])
            check(n == 1, "press %r has %d work orders" % (a, n))
        per_press = {}
        for key, seqs in journal.items():
            per_press[key] = sum(len(by_event.get(s, [])) for s in seqs)
        doubled = [k for k, n in per_press.items() if n > 1]
        check(not doubled, "presses with more than one work order: %r" % doubled[:5])

        # Every work order's webhook arrives at least once.
        want = {"%d/crash/1" % w["eventSeq"] for w in wos}
        def seen():
            keys = {r["headers"].get("Idempotency-Key") for r in rx.got("/hook")}
            return want <= keys
        wait_for("every webhook delivered", seen, timeout=90, interval=0.5)
        deliveries = rx.got("/hook")
        keys = [r["headers"].get("Idempotency-Key") for r in deliveries]
        print("crash test: %d press attempts, %d acknowledged, %d journaled, %d work orders, "
              "%d webhook deliveries (%d repeats), kills: %d clickd, %d mosquitto"
              % (sum(attempts.values()), len(acked), len(journal), len(wos), len(deliveries),
                 len(keys) - len(set(keys)), kills["clickd"], kills["mosquitto"]), flush=True)
        check(len(acked) > 0, "no press was acknowledged at all")
    finally:
        site.cleanup()
        rx.close()


if __name__ == "__main__":
    run([test_presses_survive_random_kills])
