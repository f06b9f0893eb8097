"""Integration test harness: real clickd, mosquitto, clickctl and clickbtn
processes on loopback with ephemeral ports, each site in its own temporary
directory. Python standard library only.

Every wait has a deadline; nothing synchronises on a bare sleep.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import journal_file

BIN = os.environ.get("CK_BIN_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build", "debug"))
BIN = os.path.abspath(BIN)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, fn, timeout=10.0, interval=0.02):
    """Polls fn until it returns a truthy value; fails with what after timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out after %.1f s waiting for %s (last: %r)" % (timeout, what, last))


class Failure(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Failure(message)


class Site:
    """One clickd with its own data directory and ports."""

    def __init__(self, name="site"):
        self.tmp = tempfile.mkdtemp(prefix="clickd-%s-" % name)
        self.data = os.path.join(self.tmp, "data")
        self.http_port = free_port()
        self.mqtt_port = free_port()
        self.proc = None
        self.log_path = os.path.join(self.tmp, "clickd.log")
        self.log = None

    # -- processes -------------------------------------------------------
    def start(self, extra=(), wait=True):
        self.log = open(self.log_path, "ab")
        cmd = [os.path.join(BIN, "clickd"), "--data-dir", self.data,
               "--http", "127.0.0.1:%d" % self.http_port,
               "--mqtt", "127.0.0.1:%d" % self.mqtt_port] + list(extra)
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        if wait:
            wait_for("clickd and its broker to be ready", self.ready, timeout=15)
        return self

    def ready(self):
        if self.proc.poll() is not None:
            raise Failure("clickd exited with %d:\n%s" % (self.proc.returncode, self.log_text()))
        try:
            h = self.get("/health", auth=False)
        except (OSError, urllib.error.URLError):
            return False
        return h.get("broker") == "running"

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log:
            self.log.close()
            self.log = None

    def broker_pid(self):
        try:
            with open(os.path.join(self.data, "mosquitto.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def cleanup(self):
        self.stop()
        pid = self.broker_pid()
        if pid:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        if os.environ.get("CK_KEEP_TMP"):
            print("kept", self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")[-4000:]
        except OSError:
            return ""

    # -- API -------------------------------------------------------------
    def token(self):
        with open(os.path.join(self.data, "admin.token")) as f:
            return f.read().strip()

    def request(self, method, path, body=None, auth=True):
        url = "http://127.0.0.1:%d/api/v1%s" % (self.http_port, path)
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if auth:
            req.add_header("Authorization", "Bearer " + self.token())
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def get(self, path, auth=True):
        status, doc = self.request("GET", path, auth=auth)
        if status != 200:
            raise Failure("GET %s: %d %r" % (path, status, doc))
        return doc

    def workorders(self, **q):
        qs = "&".join("%s=%s" % kv for kv in q.items())
        return self.get("/workorders" + ("?" + qs if qs else ""))["items"]

    def events(self, **q):
        qs = "&".join("%s=%s" % kv for kv in q.items())
        return self.get("/events" + ("?" + qs if qs else ""))["items"]

    def journal_dir(self):
        return os.path.join(self.data, "journal")

    def journal(self):
        """Every record in the broker's journal, in order (journal_file.py)."""
        return journal_file.read_records(self.journal_dir())

    def journal_count(self):
        return journal_file.count(self.journal_dir())

    # -- tools -----------------------------------------------------------
    def env(self):
        e = dict(os.environ)
        e["CLICKD_SERVER"] = "http://127.0.0.1:%d" % self.http_port
        e["CLICKD_DATA_DIR"] = self.data
        return e

    def clickctl(self, *args, check_rc=True):
        r = subprocess.run([os.path.join(BIN, "clickctl")] + list(args), env=self.env(),
                           capture_output=True, text=True, timeout=30)
        if check_rc and r.returncode != 0:
            raise Failure("clickctl %s -> %d\n%s%s" % (" ".join(args), r.returncode, r.stdout, r.stderr))
        return r

    def device(self, name, location=None):
        out = os.path.join(self.tmp, "dev-" + name)
        args = ["thing", "create", name, "--out", out]
        if location:
            args += ["--attr", "location=" + location]
        self.clickctl(*args)
        return out

    def press(self, devdir, click="single", *extra):
        return subprocess.run([os.path.join(BIN, "clickbtn"), "--config", devdir, "press", click,
                               "--timeout", "10"] + list(extra),
                              capture_output=True, text=True, timeout=30)

    def mqtt_pub(self, devdir, client_id, topic, payload_file=None, message=None):
        """Publishes raw bytes with mosquitto_pub using a device's credentials."""
        cmd = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.mqtt_port), "-V", "mqttv5",
               "-q", "1", "--cafile", os.path.join(devdir, "ca.pem"),
               "--cert", os.path.join(devdir, "cert.pem"), "--key", os.path.join(devdir, "key.pem"),
               "-i", client_id, "-t", topic]
        cmd += ["-f", payload_file] if payload_file else ["-m", message]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30)


def run(tests):
    """Runs test functions (each gets nothing and raises on failure)."""
    failed = 0
    for t in tests:
        start = time.monotonic()
        try:
            t()
            print("PASS %s (%.2f s)" % (t.__name__, time.monotonic() - start), flush=True)
        except Exception as e:  # report every failure, keep going
            failed += 1
            print("FAIL %s: %s" % (t.__name__, e), flush=True)
    print("%d passed, %d failed" % (len(tests) - failed, failed))
    sys.exit(1 if failed else 0)
