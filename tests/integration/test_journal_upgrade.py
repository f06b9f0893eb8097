#!/usr/bin/env python3
"""An older version's SQLite journal (DATA/journal.db) is carried over.

Earlier versions journaled presses in an SQLite database. When clickd
starts and finds one, it copies the rows beyond its ingest cursor into the
journal directory before the broker starts, then renames the file to
journal.db.imported. Checked with real clickd and mosquitto:

  - rows clickd had already processed are not copied again; the others are
    processed exactly once, and new presses are numbered after them;
  - an import interrupted after some rows (simulated by a journal that
    already holds them) copies only the rest;
  - an unreadable journal.db stops clickd with a clear error and changes
    nothing.
"""

import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(__file__))
import journal_file  # noqa: E402
from harness import BIN, Site, check, run, wait_for  # noqa: E402

OLD_SCHEMA = ("CREATE TABLE journal(seq INTEGER PRIMARY KEY, received_ms INTEGER NOT NULL,"
              " client_id TEXT NOT NULL, thing TEXT NOT NULL, topic TEXT NOT NULL,"
              " qos INTEGER NOT NULL, retain INTEGER NOT NULL, payload BLOB,"
              " payload_size INTEGER NOT NULL)")


def old_journal(site, rows):
    """Writes DATA/journal.db as an older plugin did (WAL mode)."""
    db = sqlite3.connect(os.path.join(site.data, "journal.db"), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(OLD_SCHEMA)
    for seq, marker in rows:
        body = ('{"serialNumber":"up1","clickType":"SINGLE","marker":"%s"}' % marker).encode()
        db.execute("INSERT INTO journal VALUES(?, ?, 'up1', 'up1', 'iotbutton/up1', 1, 0, ?, ?)",
                   (seq, 1700000000000 + seq, body, len(body)))
    db.close()


def markers(site):
    out = []
    for r in site.journal():
        if r["payload"] and b'"marker"' in r["payload"]:
            out.append(r["payload"].split(b'"marker":"')[1].split(b'"')[0].decode())
    return out


def processed_seqs(site):
    return sorted(e["seq"] for e in site.events(limit=100))


def test_import_copies_only_unprocessed_rows():
    site = Site("upgrade")
    try:
        site.start()
        site.request("POST", "/rules", {
            "name": "pickup", "sql": "SELECT * FROM 'iotbutton/+' WHERE clickType = 'SINGLE'",
            "actions": [{"type": "workorder", "kind": "pickup"}]})
        dev = site.device("up1")
        r = site.press(dev)
        check(r.returncode == 0, "a press before the upgrade: %s" % r.stderr)
        wait_for("the press processed", lambda: processed_seqs(site) == [1])
        site.stop()
        # The old journal: row 1 is the one clickd processed, 2-4 are not.
        old_journal(site, [(1, "old-1"), (2, "old-2"), (3, "old-3"), (4, "old-4")])
        site.start()
        check("imported 3 unprocessed rows" in site.log_text(), "the import is logged")
        check(not os.path.exists(os.path.join(site.data, "journal.db")),
              "journal.db is renamed after the import")
        check(os.path.exists(os.path.join(site.data, "journal.db.imported")),
              "journal.db.imported is kept for the operator")
        check(markers(site) == ["old-2", "old-3", "old-4"],
              "the unprocessed rows, in order, once: %r" % markers(site))
        wait_for("the imported rows processed", lambda: processed_seqs(site) == [1, 2, 3, 4])
        check(len(site.workorders()) == 4, "one work order per press")
        r = site.press(dev)
        check(r.returncode == 0, "a press after the upgrade: %s" % r.stderr)
        wait_for("the new press processed", lambda: processed_seqs(site) == [1, 2, 3, 4, 5])
        # A restart imports nothing again.
        site.stop()
        site.start()
        check(site.log_text().count("imported") == 1, "nothing imported twice")
    finally:
        site.cleanup()


def test_interrupted_import_resumes():
    site = Site("upgrade2")
    try:
        site.start()
        site.device("up1")
        site.stop()
        old_journal(site, [(1, "a"), (2, "b"), (3, "c")])
        # As if an import had copied row 1 and then crashed.
        body = b'{"serialNumber":"up1","clickType":"SINGLE","marker":"a"}'
        journal_file.write_segment(site.journal_dir(), 1, [dict(
            seq=1, received_ms=1700000000001, client_id="up1", thing="up1",
            topic="iotbutton/up1", payload=body, payload_size=len(body))])
        site.start()
        check(markers(site) == ["a", "b", "c"], "each old row once: %r" % markers(site))
        wait_for("all three processed", lambda: processed_seqs(site) == [1, 2, 3])
    finally:
        site.cleanup()


def test_unreadable_old_journal_stops_clickd():
    site = Site("upgrade3")
    try:
        site.start()
        site.stop()
        with open(os.path.join(site.data, "journal.db"), "wb") as f:
            f.write(b"this is not SQLite at all, not even a little" * 100)
        import subprocess
        r = subprocess.run([os.path.join(BIN, "clickd"), "--data-dir", site.data,
                            "--http", "127.0.0.1:%d" % site.http_port,
                            "--mqtt", "127.0.0.1:%d" % site.mqtt_port],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode != 0 and "cannot import" in r.stderr and "journal.db" in r.stderr,
              "clickd says why it cannot start: %d %r" % (r.returncode, r.stderr[-300:]))
        check(os.path.exists(os.path.join(site.data, "journal.db")), "the old file is left")
        check(journal_file.count(site.journal_dir()) == 0, "nothing was copied")
    finally:
        site.cleanup()


if __name__ == "__main__":
    run([test_import_copies_only_unprocessed_rows, test_interrupted_import_resumes,
         test_unreadable_old_journal_stops_clickd])
