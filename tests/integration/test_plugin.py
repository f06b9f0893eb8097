#!/usr/bin/env python3
"""Black-box test of clickd_plugin.so inside Debian's mosquitto, without clickd.

It builds a throwaway PKI with the openssl CLI (EC P-256 CA, a server
certificate for 127.0.0.1/localhost, two device certificates), writes the
files clickd would write (registry.snapshot, broker.secret), starts
/usr/sbin/mosquitto with the plugin on a TLS listener and a plain one, and
drives it with mosquitto_pub / mosquitto_sub. Every wait has a deadline.

Checks:
  - dev1 (active certificate, client id dev1) publishes to iotbutton/dev1 at
    QoS 1; the record is in DATA/journal as soon as mosquitto_pub has its
    PUBACK;
  - a payload over 64 KiB is journaled without its bytes, with its size;
  - the right certificate with the wrong client id is refused (the default
    button policy allows iot:Connect only as the certificate's thing);
  - the inactive certificate is refused;
  - dev1 publishing to iotbutton/other is refused (MQTT 5: PUBACK 0x87;
    MQTT 3.1.1: disconnected, no PUBACK) and not journaled;
  - while another process holds the journal directory's lock (flock) when
    the broker starts, a publish is not acknowledged as a success (MQTT 5:
    PUBACK 0x87; MQTT 3.1.1: disconnected), nothing is journaled, the
    episode is logged once; once the lock is released the plugin opens the
    journal on its own, appends work again and the recovery is logged once;
  - dev1 may subscribe to iotbutton/dev1/feedback and receives what the
    clickd account publishes there, but may not subscribe to iotbutton/#;
  - the clickd account (no certificate, plain listener) with the password
    from broker.secret can publish and is not journaled; a wrong password
    is refused;
  - making dev1's certificate inactive in the snapshot disconnects its
    connected client.

Environment: CK_BIN_DIR is the build directory holding clickd_plugin.so
(default build/debug of this checkout).
"""

import base64
import fcntl
import hashlib
import os
import queue
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import journal_file  # noqa: E402

BIN_DIR = os.environ.get("CK_BIN_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", "..", "build", "debug"))
PLUGIN = os.path.join(BIN_DIR, "clickd_plugin.so")
MOSQUITTO = "/usr/sbin/mosquitto"
CMD_TIMEOUT = 20  # seconds for any one client command
START_TIMEOUT = 15  # seconds for the broker to listen
KICK_TIMEOUT = 10  # seconds for a deactivation to take effect


class CheckFailed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise CheckFailed(what)
    print("ok: " + what)


def run(args, timeout=CMD_TIMEOUT, stdin=None):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, input=stdin)


def openssl(*args, cwd):
    r = run(["openssl", *args], timeout=60)
    if r.returncode != 0:
        raise CheckFailed("openssl %s failed: %s" % (" ".join(args), r.stderr.strip()))


def make_pki(d):
    """CA, server certificate and two device certificates, all EC P-256."""
    def key(name):
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-out", os.path.join(d, name + ".key"), cwd=d)

    key("ca")
    openssl("req", "-x509", "-new", "-key", os.path.join(d, "ca.key"), "-subj", "/CN=clickd test CA",
            "-days", "2", "-out", os.path.join(d, "ca.pem"),
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)

    def leaf(name, cn, ext):
        key(name)
        csr = os.path.join(d, name + ".csr")
        extfile = os.path.join(d, name + ".ext")
        with open(extfile, "w") as f:
            f.write(ext)
        openssl("req", "-new", "-key", os.path.join(d, name + ".key"), "-subj", "/CN=" + cn,
                "-out", csr, cwd=d)
        openssl("x509", "-req", "-in", csr, "-CA", os.path.join(d, "ca.pem"),
                "-CAkey", os.path.join(d, "ca.key"), "-CAcreateserial", "-days", "2",
                "-out", os.path.join(d, name + ".pem"), "-extfile", extfile, cwd=d)

    leaf("server", "localhost",
         "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    leaf("dev1", "dev1", "extendedKeyUsage=clientAuth\n")
    leaf("dev2", "dev2", "extendedKeyUsage=clientAuth\n")


def fingerprint(pem_path):
    """Lowercase hex SHA-256 of the certificate's DER encoding."""
    r = subprocess.run(["openssl", "x509", "-in", pem_path, "-outform", "DER"],
                       capture_output=True, timeout=30)
    der = r.stdout
    if r.returncode != 0 or not der:
        raise CheckFailed("cannot convert %s to DER" % pem_path)
    return hashlib.sha256(der).hexdigest()


def write_snapshot(d, records):
    """Writes registry.snapshot atomically, as clickd does."""
    tmp = os.path.join(d, "registry.snapshot.tmp")
    with open(tmp, "w") as f:
        f.write("clickd-registry 2\n")
        for line in records:
            f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, os.path.join(d, "registry.snapshot"))


# The default button policy clickd ships (src/store/store_policies.h).
BUTTON_POLICY = (
    '{"Version":"2012-10-17","Statement":['
    '{"Effect":"Allow","Action":"iot:Connect",'
    '"Resource":"arn:aws:iot:*:*:client/${iot:Connection.Thing.ThingName}"},'
    '{"Effect":"Allow","Action":"iot:Publish",'
    '"Resource":"arn:aws:iot:*:*:topic/iotbutton/${iot:Connection.Thing.ThingName}"},'
    '{"Effect":"Allow","Action":"iot:Subscribe",'
    '"Resource":"arn:aws:iot:*:*:topicfilter/iotbutton/${iot:Connection.Thing.ThingName}/feedback"},'
    '{"Effect":"Allow","Action":"iot:Receive",'
    '"Resource":"arn:aws:iot:*:*:topic/iotbutton/${iot:Connection.Thing.ThingName}/feedback"}]}')


def policy_lines(fps):
    """The policy record and one attachment per fingerprint."""
    doc = base64.b64encode(BUTTON_POLICY.encode()).decode()
    return ["policy clickd-button " + doc] + ["attach %s clickd-button" % fp for fp in fps]


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(cond, timeout, what, interval=0.05):
    """Polls cond until it returns a true value or the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise CheckFailed("timed out after %ss waiting for %s" % (timeout, what))
        time.sleep(interval)


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class LineReader:
    """Collects a process's stdout lines on a thread, for waits with deadlines."""

    def __init__(self, proc):
        self.proc = proc
        self.lines = queue.Queue()
        self.seen = []
        t = threading.Thread(target=self._pump, daemon=True)
        t.start()

    def _pump(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_line(self, pred, timeout, what):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CheckFailed("timed out waiting for %s; output so far: %r" % (what, self.seen))
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise CheckFailed("process ended while waiting for %s; output: %r" % (what, self.seen))
            self.seen.append(line)
            if pred(line):
                return line


class Broker:
    def __init__(self, d):
        self.d = d
        self.tls_port = free_port()
        self.plain_port = free_port()
        while self.plain_port == self.tls_port:
            self.plain_port = free_port()
        self.log_path = os.path.join(d, "mosquitto.log")
        self.conf = os.path.join(d, "mosquitto.conf")
        lines = [
            "per_listener_settings false",
            "allow_anonymous false",
            "persistence false",
            "set_tcp_nodelay true",
            "log_dest stderr",
            "log_type all",
            "connection_messages true",
            "plugin " + PLUGIN,
            "plugin_opt_data_dir " + d,
        ]
        if os.geteuid() == 0:
            lines.append("user root")
        lines += [
            "listener %d 127.0.0.1" % self.tls_port,
            "cafile " + os.path.join(d, "ca.pem"),
            "certfile " + os.path.join(d, "server.pem"),
            "keyfile " + os.path.join(d, "server.key"),
            "require_certificate true",
            "listener %d 127.0.0.1" % self.plain_port,
        ]
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.proc = None
        self.logf = None

    def start(self):
        self.logf = open(self.log_path, "a")  # a restart keeps the earlier log
        self.proc = subprocess.Popen([MOSQUITTO, "-c", self.conf], stdout=self.logf,
                                     stderr=subprocess.STDOUT)

        def ready():
            if self.proc.poll() is not None:
                raise CheckFailed("mosquitto exited with %s:\n%s" % (self.proc.returncode, self.log()))
            return port_open(self.tls_port) and port_open(self.plain_port)

        wait_for(ready, START_TIMEOUT, "mosquitto to listen")

    def log(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.logf:
            self.logf.close()


def tls_args(d, dev, client_id, port):
    return ["--cafile", os.path.join(d, "ca.pem"), "--cert", os.path.join(d, dev + ".pem"),
            "--key", os.path.join(d, dev + ".key"), "-i", client_id, "-h", "127.0.0.1",
            "-p", str(port)]


def pub_device(d, b, dev, client_id, topic, msg, version="mqttv5", stdin=None):
    args = ["mosquitto_pub", *tls_args(d, dev, client_id, b.tls_port), "-t", topic, "-q", "1",
            "-V", version]
    args += ["-s"] if stdin is not None else ["-m", msg]
    return run(args, stdin=stdin)


def pub_account(b, password, topic, msg):
    return run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(b.plain_port), "-u", "clickd",
                "-P", password, "-i", "clickd-test", "-t", topic, "-m", msg, "-q", "1",
                "-V", "mqttv5"])


def journal_rows(d):
    """(seq, received_ms, client_id, thing, topic, qos, retain, payload,
    payload_size) of every journal record, in order; payload None when not
    kept."""
    return [(r["seq"], r["received_ms"], r["client_id"], r["thing"], r["topic"], r["qos"],
             r["retain"], r["payload"], r["payload_size"])
            for r in journal_file.read_records(os.path.join(d, "journal"))]


def take_journal_lock(d):
    """Takes the journal directory's flock as a second writer would; returns
    the descriptor (closing it releases the lock). Fails unless the lock is
    free within a few seconds."""
    fd = os.open(os.path.join(d, "journal"), os.O_RDONLY | os.O_DIRECTORY)

    def locked():
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False
    try:
        wait_for(locked, 10, "the journal lock to be free")
    except CheckFailed:
        os.close(fd)
        raise
    return fd


def start_sub(d, b, dev, client_id, topic, extra=()):
    # stdbuf: mosquitto_sub's debug lines are block-buffered on a pipe.
    args = ["stdbuf", "-oL", "mosquitto_sub", *tls_args(d, dev, client_id, b.tls_port),
            "-t", topic, "-q", "1", "-V", "mqttv5", "-d", *extra]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc, LineReader(proc)


def stop_proc(proc):
    """Ends a client we are done with. SIGKILL, not SIGTERM: mosquitto_sub's
    SIGTERM handler can hang when the signal arrives while it is exiting."""
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)


def tests(d, b, fp1, fp2):
    # 1. An accepted press is journaled before the PUBACK.
    msg = '{"serialNumber":"dev1","batteryVoltage":"1700mV","clickType":"SINGLE"}'
    r = pub_device(d, b, "dev1", "dev1", "iotbutton/dev1", msg)
    check(r.returncode == 0 and "failed" not in r.stderr,
          "dev1 publishes to iotbutton/dev1 (rc=%d %s)" % (r.returncode, r.stderr.strip()))
    rows = journal_rows(d)
    check(len(rows) == 1, "exactly one journal row once the PUBACK arrived (got %d)" % len(rows))
    _, received_ms, client_id, thing, topic, qos, retain, payload, size = rows[0]
    check((client_id, thing, topic, qos, retain) == ("dev1", "dev1", "iotbutton/dev1", 1, 0),
          "row fields: %r" % ((client_id, thing, topic, qos, retain),))
    check(payload == msg.encode() and size == len(msg), "row payload and payload_size")
    check(abs(received_ms - time.time() * 1000) < 60000, "received_ms is the broker's clock")

    # 2. Oversized payloads keep their size but not their bytes.
    big = "x" * (70 * 1024)
    r = pub_device(d, b, "dev1", "dev1", "iotbutton/dev1", None, stdin=big)
    check(r.returncode == 0, "dev1 publishes a 70 KiB payload (rc=%d %s)" %
          (r.returncode, r.stderr.strip()))
    rows = journal_rows(d)
    check(len(rows) == 2 and rows[-1][7] is None and rows[-1][8] == len(big),
          "over-cap payload journaled without its bytes, with payload_size %d" % len(big))

    # 3. Wrong client id for the certificate.
    r = pub_device(d, b, "dev1", "dev2", "iotbutton/dev2", "x")
    check(r.returncode != 0, "dev1's certificate with client id dev2 is refused (rc=%d %s)" %
          (r.returncode, r.stderr.strip()))
    check(("refused certificate %s" % fp1[:16]) in b.log(),
          "the refusal is logged with the fingerprint prefix")

    # 4. Inactive certificate.
    r = pub_device(d, b, "dev2", "dev2", "iotbutton/dev2", "x")
    check(r.returncode != 0, "inactive certificate dev2 is refused (rc=%d %s)" %
          (r.returncode, r.stderr.strip()))
    check(("refused certificate %s... for client dev2: inactive" % fp2[:16]) in b.log(),
          "the inactive refusal is logged with its reason")

    # 5. Foreign topic: MQTT 5 gets PUBACK 0x87, MQTT 3.1.1 is disconnected.
    r = pub_device(d, b, "dev1", "dev1", "iotbutton/other", "x")
    check("Publish 1 failed: Not authorized" in r.stderr,
          "MQTT 5 publish to iotbutton/other is refused (rc=%d %s)" %
          (r.returncode, r.stderr.strip()))
    r = pub_device(d, b, "dev1", "dev1", "iotbutton/other", "x", version="mqttv311")
    check(r.returncode != 0, "MQTT 3.1.1 publish to iotbutton/other ends in an error, not a "
          "PUBACK (rc=%d %s)" % (r.returncode, r.stderr.strip()))
    check("Client dev1 disconnected, not authorised" in b.log(),
          "the MQTT 3.1.1 publisher was disconnected")
    check(len(journal_rows(d)) == 2, "refused publishes are not journaled")

    # 6. A failed append withholds the success PUBACK: the writer holds
    # flock(LOCK_EX) on the journal directory for as long as it runs, so a
    # broker that starts while another process holds it finds the journal
    # locked. MQTT 5 gets PUBACK 0x87, MQTT 3.1.1 is disconnected; the
    # episode is logged once. The plugin retries the open about once a
    # second, so releasing the lock is enough.
    b.stop()
    lock = take_journal_lock(d)
    try:
        b.start()
        r = pub_device(d, b, "dev1", "dev1", "iotbutton/dev1", "locked-out")
        check("Publish 1 failed: Not authorized" in r.stderr,
              "MQTT 5 publish while the journal is locked gets PUBACK 0x87 (rc=%d %s)" %
              (r.returncode, r.stderr.strip()))
        r = pub_device(d, b, "dev1", "dev1", "iotbutton/dev1", "locked-out", version="mqttv311")
        check(r.returncode != 0, "MQTT 3.1.1 publish while the journal is locked ends in an "
              "error, not a PUBACK (rc=%d %s)" % (r.returncode, r.stderr.strip()))
        check(b.log().count("cannot store device messages (locked)") == 1,
              "the failure episode is logged once")
    finally:
        os.close(lock)
    check(len(journal_rows(d)) == 2, "nothing journaled while locked")

    def accepted():
        r = pub_device(d, b, "dev1", "dev1", "iotbutton/dev1", "after-lock")
        return r.returncode == 0 and "failed" not in r.stderr
    wait_for(accepted, 10, "a publish to be accepted once the lock is released", interval=0.3)
    rows = journal_rows(d)
    check(len(rows) == 3 and rows[-1][7] == b"after-lock" and rows[-1][0] == rows[-2][0] + 1,
          "the journal accepts appends again once the lock is gone, numbered on (%r)" %
          [r[0] for r in rows])
    check(b.log().count("cannot store device messages (locked)") == 1,
          "still one log line for the episode")
    check(len(re.findall(r"stores device messages again after \d+ refused", b.log())) == 1,
          "the recovery is logged once")

    # 7. Feedback: dev1 may subscribe to its feedback topic and receive from it.
    sub, lines = start_sub(d, b, "dev1", "dev1", "iotbutton/dev1/feedback", ["-C", "1"])
    try:
        lines.wait_line(lambda l: l.startswith("Subscribed (mid: 1):"), CMD_TIMEOUT, "SUBACK")
        check(lines.seen[-1] == "Subscribed (mid: 1): 1", "feedback subscription granted QoS 1")
        r = pub_account(b, b.secret, "iotbutton/dev1/feedback", "ack-1")
        check(r.returncode == 0, "clickd account publishes feedback (rc=%d %s)" %
              (r.returncode, r.stderr.strip()))
        lines.wait_line(lambda l: l == "ack-1", CMD_TIMEOUT, "the feedback message")
        print("ok: dev1 received its feedback message")
        sub.wait(timeout=CMD_TIMEOUT)  # -C 1: exits after one message
    finally:
        stop_proc(sub)
    sub, lines = start_sub(d, b, "dev1", "dev1", "iotbutton/#")
    try:
        lines.wait_line(lambda l: l.startswith("Subscribed (mid: 1):"), CMD_TIMEOUT, "SUBACK")
        check(lines.seen[-1] == "Subscribed (mid: 1): 135",
              "subscription to iotbutton/# refused with 0x87")
        sub.wait(timeout=CMD_TIMEOUT)  # gives up when every subscription is denied
    finally:
        stop_proc(sub)

    # 8. The local clickd account.
    r = pub_account(b, b.secret, "iotbutton/dev1", "from-clickd")
    check(r.returncode == 0 and "failed" not in r.stderr,
          "clickd account with the right password publishes (rc=%d %s)" %
          (r.returncode, r.stderr.strip()))
    check(len(journal_rows(d)) == 3, "the clickd account's messages are not journaled")
    r = pub_account(b, b.secret + "x", "iotbutton/dev1", "x")
    check(r.returncode != 0, "clickd account with a wrong password is refused (rc=%d %s)" %
          (r.returncode, r.stderr.strip()))
    check(b.secret not in b.log(), "the password never reaches the broker log")

    # 9. Deactivation disconnects a connected device.
    sub, lines = start_sub(d, b, "dev1", "dev1", "iotbutton/dev1/feedback")
    try:
        lines.wait_line(lambda l: l.startswith("Subscribed (mid: 1):"), CMD_TIMEOUT, "SUBACK")
        write_snapshot(d, ["cert %s dev1 inactive" % fp1, "cert %s dev2 inactive" % fp2] +
                       policy_lines([fp1, fp2]))
        wait_for(lambda: "disconnecting client dev1" in b.log(), KICK_TIMEOUT,
                 "the plugin to kick dev1")
        wait_for(lambda: sub.poll() is not None, KICK_TIMEOUT,
                 "mosquitto_sub to give up after its reconnect is refused")
        print("ok: deactivated dev1 was disconnected and cannot reconnect")
    finally:
        stop_proc(sub)
    r = pub_device(d, b, "dev1", "dev1", "iotbutton/dev1", "x")
    check(r.returncode != 0, "dev1 is refused after deactivation")
    check(len(journal_rows(d)) == 3, "nothing journaled after deactivation")


def main():
    for tool in (MOSQUITTO, shutil.which("mosquitto_pub"), shutil.which("mosquitto_sub"),
                 shutil.which("openssl"), shutil.which("stdbuf")):
        if not tool or not os.path.exists(tool):
            print("FAIL: missing tool (mosquitto, mosquitto-clients, openssl, stdbuf)")
            return 1
    if not os.path.exists(PLUGIN):
        print("FAIL: %s not found (set CK_BIN_DIR to the build directory)" % PLUGIN)
        return 1
    d = tempfile.mkdtemp(prefix="ck-plugin-")
    b = None
    try:
        make_pki(d)
        fp1 = fingerprint(os.path.join(d, "dev1.pem"))
        fp2 = fingerprint(os.path.join(d, "dev2.pem"))
        write_snapshot(d, [
            "cert %s dev1 active" % fp1,
            "cert %s dev2 inactive" % fp2,
            "cert not-a-fingerprint dev3 active",  # malformed: skipped with a warning
        ] + policy_lines([fp1, fp2]))
        secret = secrets.token_hex(16)
        with open(os.path.join(d, "broker.secret"), "w") as f:
            f.write(secret + "\n")
        os.chmod(os.path.join(d, "broker.secret"), 0o600)
        b = Broker(d)
        b.secret = secret
        b.start()
        check("registry loaded" in b.log() and "line 4 skipped" in b.log(),
              "snapshot loaded, malformed line skipped with a warning")
        tests(d, b, fp1, fp2)
        print("PASS: test_plugin")
        return 0
    except (CheckFailed, subprocess.TimeoutExpired, OSError) as e:
        print("FAIL: %s" % e)
        if b:
            print("---- mosquitto log (tail) ----")
            print("\n".join(b.log().splitlines()[-40:]))
        return 1
    finally:
        if b:
            b.stop()
        if not os.environ.get("CK_KEEP_TMP"):
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
