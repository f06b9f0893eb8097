#!/usr/bin/env python3
"""The journal when it cannot store, with real clickd, mosquitto and the plugin.

Each case publishes through the device listener with clickbtn (MQTT 5) and
mosquitto_pub (MQTT 5 and 3.1.1) and keeps, for every publish, whether it
got a success PUBACK. The invariant checked everywhere: every publish that
got a success PUBACK is in the journal (or, once clickd processed and the
plugin pruned it, in clickd's events); no refused publish is. Refusals are
visible to the client: PUBACK 0x87 over MQTT 5 (clickbtn exits 7,
mosquitto_pub warns "Publish 1 failed"), a closed connection over 3.1.1.

The journal is DATA/journal/*.seg (docs/internals/journal.md), read here
with journal_file.py. With --journal-max-bytes 128K a segment is 16 KiB,
so a few publishes padded with 3000 bytes start a new one.

  - retention 0 removes whole segments that clickd acknowledged, never the
    newest one and never a record clickd has not committed (clickd frozen
    with SIGSTOP);
  - max_bytes reached (all segment files together): refused, one log line,
    recovery once clickd acknowledges and the plugin prunes;
  - a locked journal (another process holds the directory's flock when the
    broker restarts): refused, one log line, recovery without a restart
    once the lock is released;
  - a torn tail after SIGKILL of clickd and mosquitto (the newest record
    cut in half, garbage after it): the broker and clickd start, every
    record before the damage is kept, and new presses are numbered after
    what clickd acknowledged, in a new segment, so they are processed;
  - a corrupt segment header: clickd refuses to start and says why; the
    broker started on its own refuses every press with a clear log line
    and the metric; restoring the file brings it back without a restart;
  - disk full (the data directory on a 4 MiB tmpfs, filled): refused,
    recovery when space returns. Skipped, and said so, when mounting is not
    permitted.

GET /metrics (no token from loopback) shows the counters.
"""

import fcntl
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import journal_file  # noqa: E402
from harness import BIN, Site, check, run, wait_for  # noqa: E402

MOSQUITTO = "/usr/sbin/mosquitto"
MAX_BYTES = 131072  # --journal-max-bytes 128K: segments of 16 KiB


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
              (missing, journal_seqs(self.site), plugin_stats(self.site)))
        leaked = [m for m in self.refused if m in stored]
        check(not leaked, "refused but stored: %r" % leaked)


def journal_seqs(site):
    return [r["seq"] for r in site.journal()]


def journal_markers(site):
    out = []
    for r in site.journal():
        m = re.search(rb'"marker":"([^"]+)"', r["payload"] or b"")
        if m:
            out.append(m.group(1).decode())
    return out


def segment_firsts(site):
    return [first for first, _, _ in journal_file.segments(site.journal_dir())]


def prunable(site):
    """First sequences of the segments the plugin may remove: not the
    newest, and the last sequence (at most the next segment's first - 1)
    acknowledged by clickd."""
    firsts = segment_firsts(site)
    a = acked(site)
    return [first for first, nxt in zip(firsts, firsts[1:]) if nxt - 1 <= a]


def acked(site):
    """The sequence clickd acknowledged in DATA/journal.ack."""
    return journal_file.acked_seq(site.data)


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


def proc_state(pid):
    """The state letter of a process ("T" stopped, "Z" zombie), None once gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def freeze(site):
    """SIGSTOPs clickd. It holds no lock on the journal, so any moment will
    do; the broker keeps acknowledging and journaling."""
    site.proc.send_signal(signal.SIGSTOP)
    wait_for("clickd to stop", lambda: proc_state(site.proc.pid) == "T", timeout=5,
             interval=0.005)


def thaw(site):
    site.proc.send_signal(signal.SIGCONT)


def event_count(site):
    return len(site.events(limit=500))


def episode_lines(site, cause):
    return mosquitto_log(site).count("cannot store device messages (%s)" % cause)


def recovery_lines(site):
    return mosquitto_log(site).count("stores device messages again")


def try_lock(fd):
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def mqtt_port_open(site):
    try:
        with socket.create_connection(("127.0.0.1", site.mqtt_port), timeout=0.5):
            return True
    except OSError:
        return False


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
    wait_for("clickd to acknowledge 3", lambda: acked(site) == 3)
    stats = wait_for("plugin.stats", lambda: plugin_stats(site))
    want = {"written_ms", "sync", "max_bytes", "retention_s", "failing", "failing_since_ms",
            "appends", "append_bytes", "pruned_rows", "used_bytes", "segments", "last_seq",
            "acked_seq"}
    check(want <= set(stats) and not {"file_bytes", "wal_bytes"} & set(stats),
          "plugin.stats has the segment journal's keys: %r" % sorted(stats))
    led = Ledger(site, dev, "jb1")
    freeze(site)
    try:
        # Enough padded publishes for several 16 KiB segments.
        for _ in range(15):
            check(led.publish(pad=3000), "publish while clickd is frozen")
        last = journal_file.last_seq(site.journal_dir())
        check(last == 3 + len(led.acked), "the journal numbers on: last %d" % last)
        check(len(segment_firsts(site)) >= 3, "the publishes span several segments: %r" %
              segment_firsts(site))
        # A stats write that saw the new records comes after a prune pass did.
        wait_for("the plugin to see the new records",
                 lambda: plugin_stats(site).get("last_seq") == str(last) and
                 plugin_stats(site).get("acked_seq") == "3")
        seqs = journal_seqs(site)
        check(set(range(4, last + 1)) <= set(seqs),
              "records clickd has not committed are not pruned: %r" % seqs)
        led.check_stored()
    finally:
        thaw(site)
    wait_for("clickd to process every publish", lambda: event_count(site) >= last)
    wait_for("clickd to acknowledge %d" % last, lambda: acked(site) == last)
    # Every segment but the newest holds only acknowledged records: all go.
    wait_for("the acknowledged segments pruned", lambda: len(segment_firsts(site)) == 1)
    newest = segment_firsts(site)[0]
    check(journal_seqs(site)[-1] == last and newest <= last,
          "the segment kept is the newest (%d) and holds the newest record" % newest)
    wait_for("the prune in the metrics", lambda: (
        metrics(site).get("clickd_journal_pruned_rows_total"),
        metrics(site).get("clickd_journal_segments"),
        metrics(site).get("clickd_journal_used_bytes")) ==
        (newest - 1, 1, journal_file.used_bytes(site.journal_dir())))
    led.summary("retention")


def test_journal_full_refuses():
    site, dev = A["site"], A["dev"]
    led = Ledger(site, dev, "jb1")
    events_before = event_count(site)
    freeze(site)
    try:
        # Large records first, then smaller ones, until even the smallest is
        # refused: the journal is full, not just too full for one record.
        def fill():
            for pad in (12000, 3000, 600, 0):
                for _ in range(60):
                    if not led.publish(pad=pad):
                        break
        fill()
        # The segment that was the newest when clickd froze holds only
        # acknowledged records: once a new segment started it may go, and
        # the space it frees takes more records. Fill that too.
        wait_for("nothing acknowledged left to prune", lambda: not prunable(site))
        fill()
        check(led.refused and led.refused[-1] == "m-jb1-%d-mqttv5" % Ledger.serial,
              "the journal refused a publish once max_bytes was reached")
        used = journal_file.used_bytes(site.journal_dir())
        check(MAX_BYTES - 1024 < used <= MAX_BYTES,
              "the segment files together stay within max_bytes: %d" % used)
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
    wait_for("the plugin to prune what clickd acknowledged (all but the newest segment)",
             lambda: len(segment_firsts(site)) == 1)
    processed = set(led.acked)  # counted in clickd's events above
    check(led.publish(), "publishes are accepted again")
    led.check_stored(processed)
    wait_for("the recovery in the log", lambda: recovery_lines(site) > full_recoveries)
    check(recovery_lines(site) == full_recoveries + 1, "the recovery is logged once")
    wait_for("refusals because full in the metrics", lambda: metrics(site).get(
        'clickd_journal_append_failures_total{cause="journal_full"}', 0) >= len(led.refused))
    check(metrics(site).get("clickd_journal_max_bytes") == MAX_BYTES, "max_bytes is reported")
    led.summary("journal full")


def test_locked_journal_refuses():
    """The plugin holds flock(LOCK_EX) on DATA/journal while it runs. Kill
    the broker, take the lock before clickd starts a new one: the new broker
    finds the journal locked."""
    site, dev = A["site"], A["dev"]
    led = Ledger(site, dev, "jb1")
    recoveries = recovery_lines(site)
    episodes = episode_lines(site, "locked")
    fd = os.open(site.journal_dir(), os.O_RDONLY | os.O_DIRECTORY)
    try:
        old = site.broker_pid()
        check(old is not None, "the broker's pid")
        # clickd stays frozen until the lock is ours, so that the broker it
        # restarts cannot take it first.
        freeze(site)
        try:
            os.kill(old, signal.SIGKILL)
            wait_for("the broker to die", lambda: proc_state(old) in (None, "Z"))
            # Granted once the dead broker's descriptors are closed (a
            # blocking LOCK_EX, polled so that the wait has a deadline).
            wait_for("the journal lock", lambda: try_lock(fd))
        finally:
            thaw(site)
        wait_for("clickd to restart the broker",
                 lambda: site.broker_pid() not in (None, old) and mqtt_port_open(site),
                 timeout=30, interval=0.1)
        check(not led.publish(), "MQTT 5 publish refused while the journal is locked")
        check(not led.publish(version="mqttv311"), "MQTT 3.1.1 publish refused while locked")
        r = site.press(dev)
        check(r.returncode == 7, "clickbtn reports the refusal (exit 7): %d %s" %
              (r.returncode, r.stderr))
        check(episode_lines(site, "locked") == episodes + 1,
              "one log line for the locked episode")
        led.check_stored()
    finally:
        os.close(fd)  # releases the lock
    # The plugin retries the open about once a second.
    wait_for("a publish to be accepted once the lock is released", lambda: led.publish(),
             timeout=10, interval=0.3)
    led.check_stored()
    check(episode_lines(site, "locked") == episodes + 1, "still one log line for the episode")
    wait_for("the recovery in the log", lambda: recovery_lines(site) > recoveries)
    check(recovery_lines(site) == recoveries + 1, "the recovery is logged once")
    wait_for("the locked refusals in the metrics", lambda: metrics(site).get(
        'clickd_journal_append_failures_total{cause="locked"}', 0) >= 3)
    led.summary("locked")


def test_torn_tail():
    site, dev = A["site"], A["dev"]
    site.stop()
    site.start()  # default retention: nothing is pruned from here on
    for _ in range(3):
        r = site.press(dev)
        check(r.returncode == 0, "press: %d %s" % (r.returncode, r.stderr))
    records = site.journal()
    last = records[-1]["seq"]
    wait_for("clickd to acknowledge %d" % last, lambda: acked(site) == last)
    seqs_before = [r["seq"] for r in records]
    # Crash both processes; the newest segment keeps the last appends.
    broker = site.broker_pid()
    site.proc.kill()
    site.proc.wait()
    os.kill(broker, signal.SIGKILL)
    wait_for("mosquitto to die", lambda: proc_state(broker) in (None, "Z"))
    # Tear the last record in half and add garbage: a torn write.
    seg, off = records[-1]["segment"], records[-1]["offset"]
    check(seg == journal_file.segments(site.journal_dir())[-1][1],
          "the last record is in the newest segment")
    size = os.path.getsize(seg)
    cut = off + (size - off) // 2
    with open(seg, "r+b") as f:
        f.truncate(cut)
        f.seek(cut)
        f.write(os.urandom(1000))
    site.log.close()
    site.log = None
    site.start()
    seqs_after = journal_seqs(site)
    check(seqs_after == [s for s in seqs_before if s < last],
          "every record before the damage kept, the torn one gone: %r -> %r" %
          (seqs_before[-4:], seqs_after[-4:]))
    log = mosquitto_log(site)
    check("ends at sequence %d but clickd acknowledged %d" % (last - 1, last) in log,
          "the lost tail is logged")
    check("torn tail" in log, "the torn tail is logged")
    events_before = event_count(site)
    r = site.press(dev)
    check(r.returncode == 0, "a new press is accepted: %d %s" % (r.returncode, r.stderr))
    newest = site.journal()[-1]
    check(newest["seq"] == last + 1, "the new record is numbered after the acknowledged: %d" %
          newest["seq"])
    check(os.path.basename(newest["segment"]) == journal_file.segment_name(last + 1),
          "the jump starts a new segment named %d: %s" % (last + 1, newest["segment"]))
    wait_for("clickd to process the new press",
             lambda: event_count(site) == events_before + 1)


def test_corrupt_journal():
    site, dev = A["site"], A["dev"]
    events_before = event_count(site)
    site.stop()
    jdir = site.journal_dir()
    oldest = journal_file.segments(jdir)[0][1]
    with open(oldest, "rb") as f:
        good = f.read()
    with open(oldest, "r+b") as f:
        f.write(b"this is not a journal"[:20])
    r = subprocess.run([os.path.join(BIN, "clickd"), "--data-dir", site.data,
                        "--http", "127.0.0.1:%d" % site.http_port,
                        "--mqtt", "127.0.0.1:%d" % site.mqtt_port],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode != 0 and "journal" in r.stderr,
          "clickd refuses a corrupt journal and says so: %d %r" % (r.returncode, r.stderr[-300:]))
    # The broker alone, as a clickd that died would leave it.
    episodes = episode_lines(site, "corrupt")
    opened = mosquitto_log(site).count("journal %s opened" % jdir)
    logf = open(os.path.join(site.tmp, "broker.out"), "wb")
    broker = subprocess.Popen([MOSQUITTO, "-c", os.path.join(site.data, "mosquitto.conf")],
                              stdout=logf, stderr=subprocess.STDOUT)
    led = Ledger(site, dev, "jb1")
    try:
        wait_for("the broker's device listener", lambda: broker.poll() is None and
                 mqtt_port_open(site))
        check(not led.publish(), "MQTT 5 publish refused by a corrupt journal")
        check(not led.publish(version="mqttv311"), "MQTT 3.1.1 publish refused")
        check(site.press(dev).returncode == 7, "clickbtn reports the refusal")
        check(episode_lines(site, "corrupt") == episodes + 1,
              "one clear log line for the corrupt journal")
        wait_for("the plugin to report the corruption",
                 lambda: plugin_stats(site).get("failing") == "corrupt")
        check(mosquitto_log(site).count("journal %s opened" % jdir) == opened,
              "a corrupt journal is not opened")
        tmp = oldest + ".restore"
        with open(tmp, "wb") as f:
            f.write(good)
        os.replace(tmp, oldest)
        # The plugin retries the open about once a second.
        wait_for("the restored journal to accept a publish", lambda: led.publish(), timeout=15,
                 interval=0.2)
        led.check_stored()
    finally:
        broker.terminate()
        broker.wait(timeout=10)
        logf.close()
    check(mosquitto_log(site).count("journal %s opened" % jdir) == opened + 1,
          "the reopen is logged")
    site.start()
    wait_for("clickd to process the press stored after the repair",
             lambda: event_count(site) == events_before + len(led.acked))
    led.summary("corrupt")


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
        # Small records until one is refused: a record is accepted as long as
        # the last page of the newest segment has room for it, so a refused
        # large record would not mean that a smaller one is refused too (and
        # a small one accepted after it would end the episode). Lines logged
        # while the disk is full may be lost: mosquitto.log is on it too.
        for _ in range(60):
            if not led.publish():
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


# -- site C: the journal directory replaced --------------------------------
def test_replaced_journal_directory():
    """The journal directory and journal.ack removed while clickd was
    stopped (restored from an old backup, wiped by mistake): clickd tells
    the plugin its cursor before the broker opens the journal, so new
    presses are numbered after it and processed, not skipped."""
    site = Site("replaced")
    try:
        site.start()
        dev = site.device("rp1")
        for _ in range(3):
            r = site.press(dev)
            check(r.returncode == 0, "press: %d %s" % (r.returncode, r.stderr))
        wait_for("three events", lambda: event_count(site) == 3)
        site.stop()
        shutil.rmtree(site.journal_dir())
        os.unlink(os.path.join(site.data, "journal.ack"))
        site.start()
        r = site.press(dev)
        check(r.returncode == 0, "press after the journal was replaced: %s" % r.stderr)
        check([rec["seq"] for rec in site.journal()] == [4],
              "numbered after the cursor: %r" % [rec["seq"] for rec in site.journal()])
        wait_for("the new press processed", lambda: event_count(site) == 4)
    finally:
        site.cleanup()


def test_damaged_older_segment_is_skipped():
    """Bytes of an older segment changed on the disk (not a torn tail): the
    broker starts (it scans only the newest segment), clickd reads around
    the damage, processes every other press, logs the sequences it could
    not read and counts them in /metrics."""
    site = Site("damaged")
    try:
        site.start()
        site.device("dm1")
        site.stop()

        def rec(seq):
            body = ('{"serialNumber":"dm1","clickType":"SINGLE","seq":%d,"pressedAt":%d}'
                    % (seq, 1700000000000 + seq)).encode()
            return dict(seq=seq, received_ms=1700000000000 + seq, client_id="dm1",
                        thing="dm1", topic="iotbutton/dm1", payload=body,
                        payload_size=len(body))
        jdir = site.journal_dir()
        for name in os.listdir(jdir):
            os.unlink(os.path.join(jdir, name))
        journal_file.write_segment(jdir, 1, [rec(i) for i in range(1, 11)])
        journal_file.write_segment(jdir, 11, [rec(i) for i in range(11, 16)])
        # Flip one payload byte of record 4 in the older segment.
        path = os.path.join(jdir, journal_file.segment_name(1))
        off = [r for r in journal_file.read_records(jdir) if r["seq"] == 4][0]["offset"]
        with open(path, "r+b") as f:
            f.seek(off + 100)
            b = f.read(1)
            f.seek(off + 100)
            f.write(bytes([b[0] ^ 0x20]))
        site.start()
        wait_for("every readable press processed", lambda: event_count(site) == 14)
        seqs = sorted(e["seq"] for e in site.events(limit=100))
        check(seqs == [1, 2, 3] + list(range(5, 16)), "all but the damaged one: %r" % seqs)
        check("sequences 4 to 4 cannot be read and are skipped" in site.log_text(),
              "clickd logs the lost sequence")
        wait_for("the loss in the metrics", lambda: metrics(site).get(
            "clickd_journal_lost_sequences_total") == 1)
        check(site.press(site.tmp + "/dev-dm1").returncode == 0, "presses still work")
        wait_for("the new press processed", lambda: event_count(site) == 15)
    finally:
        site.cleanup()


def test_site_a():
    """Runs the cases that share site A in order (each builds on the last)."""
    setup_a()
    try:
        for t in (test_retention_prunes_only_acknowledged, test_journal_full_refuses,
                  test_locked_journal_refuses, test_torn_tail, test_corrupt_journal):
            start = time.monotonic()
            t()
            print("  ok %s (%.2f s)" % (t.__name__, time.monotonic() - start), flush=True)
    finally:
        teardown_a()


if __name__ == "__main__":
    if os.environ.get("CK_JOURNAL_ONLY"):
        names = os.environ["CK_JOURNAL_ONLY"].split(",")
        run([globals()[n] for n in names])
    run([test_site_a, test_disk_full, test_replaced_journal_directory,
         test_damaged_older_segment_is_skipped])
