#!/usr/bin/env python3
"""The journal when it cannot store, with real clickd, mosquitto and the plugin.

Each case publishes through the device listener with clickbtn (MQTT 5) and
mosquitto_pub (MQTT 5 and 3.1.1) and keeps, for every publish, whether it
got a success PUBACK. The invariant checked everywhere: every publish that
got a success PUBACK is in the journal (or, once clickd processed and the
plugin pruned it, in clickd's events); no refused publish is. Refusals are
visible to the client: PUBACK 0x87 over MQTT 5 (clickbtn exits 7,
mosquitto_pub warns "Publish 1 failed"), a closed connection over 3.1.1.

  - retention 0 prunes acknowledged rows, never rows clickd has not
    committed (clickd frozen with SIGSTOP);
  - max_bytes reached: refused, one log line, recovery once clickd
    acknowledges and the plugin prunes;
  - a locked journal (a test connection holds BEGIN EXCLUSIVE): refused,
    one log line, recovery;
  - a torn WAL tail after SIGKILL of clickd and mosquitto: the broker and
    clickd start, every row before the damage is kept, and new presses are
    numbered after what clickd acknowledged, so they are processed;
  - a corrupt journal.db: clickd refuses to start and says why; the broker
    started on its own refuses every press with a clear log line and the
    metric; restoring the file brings it back without a restart;
  - disk full (the data directory on a 4 MiB tmpfs, filled): refused,
    recovery when space returns. Skipped, and said so, when mounting is not
    permitted.

GET /metrics (no token from loopback) shows the counters.
"""

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, Failure, Site, check, run, wait_for  # noqa: E402

MOSQUITTO = "/usr/sbin/mosquitto"


# -- helpers ---------------------------------------------------------------
def pub(site, devdir, thing, payload, version="mqttv5"):
    """Publishes payload (str) at QoS 1; returns (acknowledged, result)."""
    cmd = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(site.mqtt_port), "-V", version,
           "-q", "1", "--cafile", os.path.join(devdir, "ca.pem"),
           "--cert", os.path.join(devdir, "cert.pem"), "--key", os.path.join(devdir, "key.pem"),
           "-i", thing, "-t", "iotbutton/" + thing, "-s"]
    r = subprocess.run(cmd, input=payload, capture_output=True, text=True, timeout=30)
    return r.returncode == 0 and "failed" not in r.stderr, r


class Ledger:
    """What the clients were told, publish by publish."""

    serial = 0

    def __init__(self, site, devdir, thing):
        self.site, self.devdir, self.thing = site, devdir, thing
        self.acked, self.refused = [], []
        self.n = 0

    def publish(self, pad=0, version="mqttv5"):
        self.n += 1
        Ledger.serial += 1  # markers unique across ledgers of a site
        marker = "m-%s-%d-%s" % (self.thing, Ledger.serial, version)
        body = '{"serialNumber":"%s","clickType":"SINGLE","marker":"%s","pad":"%s"}' % (
            self.thing, marker, "x" * pad)
        ok, r = pub(self.site, self.devdir, self.thing, body, version)
        if ok:
            self.acked.append(marker)
        else:
            if version == "mqttv5":
                check("Publish 1 failed: Not authorized" in r.stderr,
                      "an MQTT 5 refusal is PUBACK 0x87, got rc=%d %r" % (r.returncode, r.stderr))
            else:
                check(r.returncode != 0, "an MQTT 3.1.1 refusal closes the connection")
            self.refused.append(marker)
        return ok

    def summary(self, what):
        print("  %s: %d publishes acknowledged, %d refused" %
              (what, len(self.acked), len(self.refused)), flush=True)

    def check_stored(self, processed=()):
        """Every acknowledged publish is in the journal or among processed
        markers; no refused one is anywhere."""
        stored = set(journal_markers(self.site))
        missing = [m for m in self.acked if m not in stored and m not in processed]
        check(not missing, "acknowledged but not stored: %r (journal seqs %r, stats %r)" %
              (missing, [r[0] for r in journal_rows(self.site)], plugin_stats(self.site)))
        leaked = [m for m in self.refused if m in stored]
        check(not leaked, "refused but stored: %r" % leaked)


def journal_rows(site):
    uri = "file:%s?mode=ro" % os.path.join(site.data, "journal.db")
    db = sqlite3.connect(uri, uri=True, timeout=5)
    try:
        return db.execute("SELECT seq, payload FROM journal ORDER BY seq").fetchall()
    finally:
        db.close()


def journal_markers(site):
    out = []
    for _, payload in journal_rows(site):
        m = re.search(rb'"marker":"([^"]+)"', payload or b"")
        if m:
            out.append(m.group(1).decode())
    return out


def plugin_stats(site):
    try:
        with open(os.path.join(site.data, "plugin.stats")) as f:
            lines = f.read().splitlines()
    except OSError:
        return {}
    return dict(l.split(" ", 1) for l in lines[1:] if " " in l)


def metrics(site):
    import urllib.request
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % site.http_port, timeout=5) as r:
        check(r.headers.get("Content-Type", "").startswith("text/plain"),
              "/metrics is Prometheus text")
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            out[k] = float(v)
    return out


def mosquitto_log(site):
    try:
        with open(os.path.join(site.data, "mosquitto.log"), errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def journal_write_locked(site):
    db = sqlite3.connect(os.path.join(site.data, "journal.db"), timeout=0, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        db.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        db.close()


def freeze(site):
    """SIGSTOPs clickd between batches (never while it holds the journal's
    write lock, which would look like a locked journal to the plugin)."""
    def state():
        with open("/proc/%d/stat" % site.proc.pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]

    def stopped_idle():
        site.proc.send_signal(signal.SIGSTOP)
        wait_for("clickd to stop", lambda: state() == "T", timeout=5, interval=0.005)
        if not journal_write_locked(site):
            return True
        site.proc.send_signal(signal.SIGCONT)
        return False
    wait_for("clickd to be frozen outside a batch", stopped_idle, timeout=10, interval=0.05)


def thaw(site):
    site.proc.send_signal(signal.SIGCONT)


def event_count(site):
    return len(site.events(limit=500))


def episode_lines(site, cause):
    return mosquitto_log(site).count("cannot store device messages (%s)" % cause)


def recovery_lines(site):
    return mosquitto_log(site).count("stores device messages again")


# -- site A: sync full, 128 KiB, retention 0 --------------------------------
A = {}


def setup_a():
    site = Site("journal")
    site.start(["--journal-sync", "full", "--journal-max-bytes", "128K",
                "--journal-retention", "0"])
    A["site"] = site
    A["dev"] = site.device("jb1")
    with open(os.path.join(site.data, "mosquitto.conf")) as f:
        conf = f.read()
    check("plugin_opt_sync full\nplugin_opt_max_bytes 131072\nplugin_opt_retention_s 0\n" in conf,
          "clickd passes the journal options to the plugin")


def test_retention_prunes_only_acknowledged():
    site, dev = A["site"], A["dev"]
    for _ in range(3):
        r = site.press(dev)
        check(r.returncode == 0, "press: %d %s" % (r.returncode, r.stderr))
    wait_for("three events", lambda: event_count(site) >= 3)
    # Everything acknowledged is pruned but the newest row, which the plugin
    # keeps so that numbering continues from it after a restart.
    wait_for("acknowledged rows pruned", lambda: len(journal_rows(site)) == 1)
    freeze(site)
    try:
        for _ in range(2):
            r = site.press(dev)
            check(r.returncode == 0, "press while clickd is frozen: %d %s" %
                  (r.returncode, r.stderr))
        # A stats write that saw the new rows comes after a prune pass did.
        wait_for("the plugin to see the two new rows",
                 lambda: plugin_stats(site).get("last_seq") == "5" and
                 plugin_stats(site).get("acked_seq") == "3")
        check([r[0] for r in journal_rows(site)] == [4, 5],
              "rows clickd has not committed are not pruned")
    finally:
        thaw(site)
    wait_for("five events", lambda: event_count(site) >= 5)
    wait_for("the rest pruned after clickd acknowledged it",
             lambda: len(journal_rows(site)) == 1)
    check([r[0] for r in journal_rows(site)] == [5], "the row kept is the newest")
    wait_for("pruned rows in the metrics",
             lambda: metrics(site).get("clickd_journal_pruned_rows_total", 0) >= 4)


def test_journal_full_refuses():
    site, dev = A["site"], A["dev"]
    led = Ledger(site, dev, "jb1")
    events_before = event_count(site)
    freeze(site)
    try:
        # Large rows first, then smaller ones, until even the smallest is
        # refused: the journal is full, not just too full for one row.
        for pad in (12000, 3000, 600, 0):
            for _ in range(60):
                if not led.publish(pad=pad):
                    break
        check(led.refused, "the journal refused a publish once max_bytes was reached")
        lines = episode_lines(site, "journal_full")
        recoveries = recovery_lines(site)
        check(lines >= 1, "the episode is logged")
        check(not led.publish(version="mqttv311"), "MQTT 3.1.1 publish refused too")
        check(not led.publish(), "MQTT 5 publish refused again")
        led.check_stored()
        check(episode_lines(site, "journal_full") == lines,
              "one log line for the episode, not one per message")
        full_recoveries = recoveries
    finally:
        thaw(site)
    wait_for("clickd to process the acknowledged publishes",
             lambda: event_count(site) >= events_before + len(led.acked))
    wait_for("the plugin to prune what clickd acknowledged (all but the newest row)",
             lambda: len(journal_rows(site)) == 1)
    processed = set(led.acked)  # counted in clickd's events above
    check(led.publish(), "publishes are accepted again")
    led.check_stored(processed)
    check(recovery_lines(site) == full_recoveries + 1, "the recovery is logged once")
    wait_for("refusals because full in the metrics", lambda: metrics(site).get(
        'clickd_journal_append_failures_total{cause="journal_full"}', 0) >= len(led.refused))
    check(metrics(site).get("clickd_journal_max_bytes") == 131072, "max_bytes is reported")
    led.summary("journal full")


def test_locked_journal_refuses():
    site, dev = A["site"], A["dev"]
    led = Ledger(site, dev, "jb1")
    recoveries = recovery_lines(site)
    lock = sqlite3.connect(os.path.join(site.data, "journal.db"), timeout=5, isolation_level=None)
    try:
        lock.execute("BEGIN EXCLUSIVE")
        check(not led.publish(), "MQTT 5 publish refused while the journal is locked")
        check(not led.publish(version="mqttv311"), "MQTT 3.1.1 publish refused while locked")
        r = site.press(dev)
        check(r.returncode == 7, "clickbtn reports the refusal (exit 7): %d" % r.returncode)
        check(episode_lines(site, "locked") == 1, "one log line for the locked episode")
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    check(led.publish(), "publishes are accepted once the lock is released")
    led.check_stored(processed=())
    check(recovery_lines(site) == recoveries + 1, "the recovery is logged")
    wait_for("the locked refusals in the metrics", lambda: metrics(site).get(
        'clickd_journal_append_failures_total{cause="locked"}', 0) >= 3)
    led.summary("locked")


def test_torn_wal_tail():
    site, dev = A["site"], A["dev"]
    site.stop()
    site.start()  # default retention: nothing is pruned from here on
    for _ in range(3):
        r = site.press(dev)
        check(r.returncode == 0, "press: %d %s" % (r.returncode, r.stderr))
    last = journal_rows(site)[-1][0]
    ack_path = os.path.join(site.data, "journal.ack")
    wait_for("clickd to acknowledge %d" % last,
             lambda: open(ack_path).read() == "clickd-journal-ack 1\nacked %d\n" % last)
    seqs_before = [s for s, _ in journal_rows(site)]
    # Crash both processes; the WAL keeps the last commits.
    broker = site.broker_pid()
    site.proc.kill()
    site.proc.wait()
    os.kill(broker, signal.SIGKILL)
    wait_for("mosquitto to die", lambda: not os.path.exists("/proc/%d" % broker) or
             open("/proc/%d/stat" % broker).read().split()[2] == "Z")
    wal = os.path.join(site.data, "journal.db-wal")
    with open(wal, "rb") as f:
        data = f.read()
    page = int.from_bytes(data[8:12], "big")
    frame = 24 + page
    nframes = (len(data) - 32) // frame
    commits = [i for i in range(nframes)
               if int.from_bytes(data[32 + i * frame + 4:32 + i * frame + 8], "big")]
    check(len(commits) >= 2, "the WAL holds several commits (%d frames)" % nframes)
    # Tear the last commit in half and add garbage: a torn write.
    cut = 32 + (commits[-2] + 1) * frame + frame // 2
    with open(wal, "r+b") as f:
        f.truncate(cut)
        f.seek(cut)
        f.write(os.urandom(1000))
    site.log.close()
    site.log = None
    site.start()
    seqs_after = [s for s, _ in journal_rows(site)]
    check(seqs_after == [s for s in seqs_before if s < last],
          "every row before the damage kept, the torn one gone: %r -> %r" %
          (seqs_before[-4:], seqs_after[-4:]))
    check("ends at sequence %d but clickd acknowledged %d" % (last - 1, last)
          in mosquitto_log(site), "the lost tail is logged")
    events_before = event_count(site)
    r = site.press(dev)
    check(r.returncode == 0, "a new press is accepted: %d %s" % (r.returncode, r.stderr))
    check(journal_rows(site)[-1][0] == last + 1, "the new row is numbered after the acknowledged")
    wait_for("clickd to process the new press",
             lambda: event_count(site) == events_before + 1)


def test_corrupt_journal():
    site, dev = A["site"], A["dev"]
    events_before = event_count(site)
    site.stop()
    jpath = os.path.join(site.data, "journal.db")
    with open(jpath, "rb") as f:
        good = f.read()
    with open(jpath, "r+b") as f:
        f.write(b"this is not SQLite")
    r = subprocess.run([os.path.join(BIN, "clickd"), "--data-dir", site.data,
                        "--http", "127.0.0.1:%d" % site.http_port,
                        "--mqtt", "127.0.0.1:%d" % site.mqtt_port],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode != 0 and "journal" in r.stderr,
          "clickd refuses a corrupt journal and says so: %d %r" % (r.returncode, r.stderr[-300:]))
    # The broker alone, as a clickd that died would leave it.
    logf = open(os.path.join(site.tmp, "broker.out"), "wb")
    broker = subprocess.Popen([MOSQUITTO, "-c", os.path.join(site.data, "mosquitto.conf")],
                              stdout=logf, stderr=subprocess.STDOUT)
    led = Ledger(site, dev, "jb1")
    try:
        wait_for("the broker's device listener", lambda: broker.poll() is None and
                 pub_ready(site))
        check(not led.publish(), "MQTT 5 publish refused by a corrupt journal")
        check(not led.publish(version="mqttv311"), "MQTT 3.1.1 publish refused")
        check(site.press(dev).returncode == 7, "clickbtn reports the refusal")
        check(episode_lines(site, "corrupt") == 1, "one clear log line for the corrupt journal")
        wait_for("the plugin to report the corruption",
                 lambda: plugin_stats(site).get("failing") == "corrupt")
        tmp = jpath + ".restore"
        with open(tmp, "wb") as f:
            f.write(good)
        os.replace(tmp, jpath)
        wait_for("the restored journal to accept a publish", lambda: led.publish(), timeout=15,
                 interval=0.2)
        led.check_stored()
    finally:
        broker.terminate()
        broker.wait(timeout=10)
        logf.close()
    check("journal %s opened" % jpath in mosquitto_log(site), "the reopen is logged")
    site.start()
    wait_for("clickd to process the press stored after the repair",
             lambda: event_count(site) == events_before + len(led.acked))
    led.summary("corrupt")


def pub_ready(site):
    import socket
    try:
        with socket.create_connection(("127.0.0.1", site.mqtt_port), timeout=0.5):
            return True
    except OSError:
        return False


def teardown_a():
    if "site" in A:
        A["site"].cleanup()


# -- site B: the data directory on a small tmpfs ------------------------------
def test_disk_full():
    site = Site("diskfull")
    os.makedirs(site.data, mode=0o700)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", site.data],
                       capture_output=True, text=True)
    if r.returncode != 0:
        print("SKIP test_disk_full: cannot mount a tmpfs (%s); needs root" % r.stderr.strip())
        site.cleanup()
        return
    filler = os.path.join(site.data, "filler")
    try:
        site.start()
        dev = site.device("df1")
        led = Ledger(site, dev, "df1")
        check(led.publish(), "a publish before the disk is full")
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            chunk = b"\0" * 65536
            while True:
                try:
                    os.write(fd, chunk)
                except OSError:
                    break
            while True:  # the last few blocks
                try:
                    os.write(fd, b"\0" * 512)
                except OSError:
                    break
        finally:
            os.close(fd)
        for _ in range(20):
            if not led.publish(pad=2000):
                break
        check(led.refused, "a publish is refused once the disk is full")
        check(not led.publish(version="mqttv311"), "MQTT 3.1.1 publish refused too")
        check(site.press(dev).returncode == 7, "clickbtn reports the refusal (exit 7)")
        led.check_stored()
        os.unlink(filler)
        wait_for("a publish to be accepted once space returns", lambda: led.publish(),
                 timeout=15, interval=0.2)
        led.check_stored()
        wait_for("the recovery in the log", lambda: recovery_lines(site) == 1)
        check(episode_lines(site, "disk_full") <= 1, "at most one log line for the episode")
        wait_for("disk-full refusals in the metrics", lambda: metrics(site).get(
            'clickd_journal_append_failures_total{cause="disk_full"}', 0) >= len(led.refused))
        wait_for("clickd to process every acknowledged publish",
                 lambda: event_count(site) >= len(led.acked))
        led.summary("disk full")
        print("  disk full: %s" % [l[l.find("clickd_plugin"):][:120] for l in
                                   mosquitto_log(site).splitlines() if "device messages" in l])
    finally:
        site.stop()
        pid = site.broker_pid()
        if pid:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        subprocess.run(["umount", site.data], capture_output=True)
        site.cleanup()


def test_site_a():
    """Runs the cases that share site A in order (each builds on the last)."""
    setup_a()
    try:
        for t in (test_retention_prunes_only_acknowledged, test_journal_full_refuses,
                  test_locked_journal_refuses, test_torn_wal_tail, test_corrupt_journal):
            start = time.monotonic()
            t()
            print("  ok %s (%.2f s)" % (t.__name__, time.monotonic() - start), flush=True)
    finally:
        teardown_a()


if __name__ == "__main__":
    if os.environ.get("CK_JOURNAL_ONLY"):
        names = os.environ["CK_JOURNAL_ONLY"].split(",")
        run([globals()[n] for n in names])
    run([test_site_a, test_disk_full])
