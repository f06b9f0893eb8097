"""Queue long polling against a real clickd: with N receives parked (each
waiting up to 20 s, spread over 10 queues), how long GET /health takes, and how
long from a send's reply to the waiting receiver's reply (wake-up).
Prints medians and 99th percentiles. Usage:
  CK_BIN_DIR=build/release python3 bench/bench_queues.py [WAITERS] [ROUNDS]
"""

import http.client
import json
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
from harness import Site, wait_for  # noqa: E402


def conn(site):
    return http.client.HTTPConnection("127.0.0.1", site.http_port, timeout=30)


def call(c, token, method, path, body=None):
    c.request(method, "/api/v1" + path, body=json.dumps(body) if body is not None else None,
              headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    r = c.getresponse()
    return r.status, json.loads(r.read() or b"null")


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))]


def main():
    waiters = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    site = Site("bench-queues").start()
    try:
        token = site.token()
        c = conn(site)
        queues = min(waiters, 10)  # waitingReceives counts up to 64 queues
        for i in range(queues):
            call(c, token, "POST", "/queues", {"name": "idle-%d" % i})
        call(c, token, "POST", "/queues", {"name": "wake"})
        stop = threading.Event()

        def idle(i):
            ic = conn(site)
            while not stop.is_set():
                call(ic, token, "POST", "/queues/idle-%d/receive" % (i % queues),
                     {"waitTimeSeconds": 20})

        threads = [threading.Thread(target=idle, args=(i,), daemon=True) for i in range(waiters)]
        for t in threads:
            t.start()
        def parked():
            n = sum(call(c, token, "GET", "/queues/idle-%d" % i)[1]["waitingReceives"]
                    for i in range(queues))
            return n == waiters

        wait_for("%d parked receives" % waiters, parked, timeout=30, interval=0.5)

        health = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            call(c, token, "GET", "/health")
            health.append((time.perf_counter() - t0) * 1e3)

        wake = []
        rc = conn(site)
        for _ in range(rounds):
            got = {}

            def receiver():
                got["r"] = call(rc, token, "POST", "/queues/wake/receive", {"waitTimeSeconds": 20})
                got["t"] = time.perf_counter()

            t = threading.Thread(target=receiver)
            t.start()
            wait_for("the wake receive to park",
                     lambda: call(c, token, "GET", "/queues/wake")[1]["waitingReceives"] == 1,
                     interval=0.001)
            t0 = time.perf_counter()
            call(c, token, "POST", "/queues/wake/messages", {"body": "x"})
            t.join()
            wake.append((got["t"] - t0) * 1e3)
            m = got["r"][1]["messages"][0]
            call(c, token, "DELETE", "/queues/wake/messages/" + m["receiptHandle"])
        stop.set()
        print("parked receives: %d" % waiters)
        print("GET /health while they wait: median %.2f ms, p99 %.2f ms (%d requests)"
              % (statistics.median(health), pct(health, 0.99), rounds))
        print("send -> waiting receiver answered: median %.2f ms, p99 %.2f ms (%d rounds)"
              % (statistics.median(wake), pct(wake, 0.99), rounds))
    finally:
        site.cleanup()


if __name__ == "__main__":
    main()
