"""The broker plugin's journal (DATA/journal/*.seg) read and written from
Python, for the integration tests and benchmarks. Standard library only.

The format is docs/internals/journal.md: a directory of append-only
segment files, each named by the sequence of its first record (20 digits,
".seg"), a 32-byte segment header, then records of a 48-byte header and a
body, each padded with zeros to a multiple of 8 bytes. Integers are
little-endian; CRCs are zlib's CRC-32.

Reading takes no lock and never fails on a journal that is being written:
a record that is incomplete or invalid ends its segment (a write in
progress or a torn tail is simply not returned), and a segment that
vanishes between listing and opening (pruned) is skipped.

    python3 tests/integration/journal_file.py    # self-check
"""

import os
import re
import struct
import time
import zlib

SEGMENT_MAGIC = b"CKJSEG1\n"
RECORD_MAGIC = b"CKR1"
SEGMENT_HEADER = struct.Struct("<8sQqII")      # magic, first seq, created ms, crc, zero
RECORD_HEADER = struct.Struct("<4sIIIQqIHHHHI")  # see encode_record
assert SEGMENT_HEADER.size == 32 and RECORD_HEADER.size == 48

FLAG_RETAIN = 1 << 0
FLAG_PAYLOAD_KEPT = 1 << 1
QOS_SHIFT = 8
FLAGS_KNOWN = FLAG_RETAIN | FLAG_PAYLOAD_KEPT | (3 << QOS_SHIFT)
PAYLOAD_CAP = 64 * 1024          # CK_JOURNAL_PAYLOAD_CAP: larger payloads are not kept
MAX_SEGMENT_BYTES = 16 << 20     # the largest segment size the plugin uses

SEGMENT_NAME = re.compile(r"^(\d{20})\.seg$")


def segment_name(first_seq):
    return "%020d.seg" % first_seq


def pad8(n):
    return (n + 7) & ~7


# -- reading -----------------------------------------------------------------
def segments(journal_dir):
    """[(first_seq, path, size)] of every segment file, oldest first. A file
    pruned while we list is left out; a missing directory is empty."""
    try:
        names = os.listdir(journal_dir)
    except FileNotFoundError:
        return []
    out = []
    for name in names:
        m = SEGMENT_NAME.match(name)
        if not m:
            continue
        path = os.path.join(journal_dir, name)
        try:
            size = os.stat(path).st_size
        except FileNotFoundError:
            continue
        out.append((int(m.group(1)), path, size))
    out.sort()
    return out


def parse_segment_header(data):
    """The first sequence named by a valid 32-byte header, or None."""
    if len(data) < SEGMENT_HEADER.size:
        return None
    magic, first_seq, _created, crc, zero = SEGMENT_HEADER.unpack_from(data, 0)
    if magic != SEGMENT_MAGIC or zero != 0 or crc != zlib.crc32(data[:24]) or first_seq == 0:
        return None
    return first_seq


def parse_record(data, off, prev_seq):
    """(record dict, offset of the next record) for a valid record at off,
    or None when the bytes there are not one (incomplete, torn, damaged)."""
    if off + RECORD_HEADER.size > len(data):
        return None
    (magic, length, crc, flags, seq, received_ms, payload_size, client_len, thing_len,
     topic_len, zero, stored_len) = RECORD_HEADER.unpack_from(data, off)
    if magic != RECORD_MAGIC or zero != 0 or flags & ~FLAGS_KNOWN or flags >> QOS_SHIFT > 2:
        return None
    if length != RECORD_HEADER.size + client_len + thing_len + topic_len + stored_len:
        return None
    if stored_len > PAYLOAD_CAP or (stored_len and not flags & FLAG_PAYLOAD_KEPT):
        return None
    if off + length > len(data):
        return None
    if crc != zlib.crc32(data[off + 12:off + length]):
        return None
    if seq <= max(prev_seq, 0):
        return None
    p = off + RECORD_HEADER.size
    client_id = data[p:p + client_len]
    p += client_len
    thing = data[p:p + thing_len]
    p += thing_len
    topic = data[p:p + topic_len]
    p += topic_len
    kept = bool(flags & FLAG_PAYLOAD_KEPT)
    rec = {
        "seq": seq,
        "received_ms": received_ms,
        "client_id": client_id.decode(errors="replace"),
        "thing": thing.decode(errors="replace"),
        "topic": topic.decode(errors="replace"),
        "qos": (flags >> QOS_SHIFT) & 3,
        "retain": flags & FLAG_RETAIN,
        "payload": bytes(data[p:p + stored_len]) if kept else None,
        "payload_size": payload_size,
        "offset": off,
    }
    return rec, off + pad8(length)


def read_segment(path, prev_seq=0):
    """The valid records of one segment file, in order, up to the first
    invalid one. [] when the file is gone or its header is not valid."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    first_seq = parse_segment_header(data)
    if first_seq is None:
        return []
    out = []
    off = SEGMENT_HEADER.size
    prev = max(prev_seq, first_seq - 1)
    while True:
        got = parse_record(data, off, prev)
        if got is None:
            break
        rec, off = got
        rec["segment"] = path
        prev = rec["seq"]
        out.append(rec)
    return out


def read_records(journal_dir):
    """Every readable record of the journal, in sequence order: dicts with
    seq, received_ms, client_id, thing, topic, qos, retain, payload (bytes,
    or None when not kept), payload_size, segment (path) and offset."""
    out = []
    for _, path, _ in segments(journal_dir):
        out += read_segment(path, out[-1]["seq"] if out else 0)
    return out


def count(journal_dir):
    """How many records the journal holds."""
    return len(read_records(journal_dir))


def last_seq(journal_dir):
    """The sequence of the newest readable record, 0 for an empty journal."""
    for _, path, _ in reversed(segments(journal_dir)):
        recs = read_segment(path)
        if recs:
            return recs[-1]["seq"]
    return 0


def used_bytes(journal_dir):
    """The sum of the segment sizes (what the plugin's max_bytes limits)."""
    return sum(size for _, _, size in segments(journal_dir))


def acked_seq(data_dir):
    """The sequence clickd acknowledged in DATA/journal.ack, 0 when none."""
    try:
        with open(os.path.join(data_dir, "journal.ack")) as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return 0
    if len(lines) >= 2 and lines[0] == "clickd-journal-ack 1" and lines[1].startswith("acked "):
        return int(lines[1].split()[1])
    return 0


# -- writing -----------------------------------------------------------------
def encode_segment_header(first_seq, created_ms=None):
    if created_ms is None:
        created_ms = int(time.time() * 1000)
    head = struct.pack("<8sQq", SEGMENT_MAGIC, first_seq, created_ms)
    return head + struct.pack("<II", zlib.crc32(head), 0)


def encode_record(seq, received_ms, client_id, thing, topic, qos=1, retain=0, payload=b"",
                  payload_size=None):
    """One record, padded to a multiple of 8 bytes. payload None (or over
    the 64 KiB cap) is recorded as not kept, with payload_size saying how
    large it was."""
    client_id, thing, topic = (s.encode() if isinstance(s, str) else s
                               for s in (client_id, thing, topic))
    if isinstance(payload, str):
        payload = payload.encode()
    if payload_size is None:
        payload_size = len(payload) if payload is not None else 0
    kept = payload is not None and len(payload) <= PAYLOAD_CAP
    stored = payload if kept else b""
    flags = (FLAG_RETAIN if retain else 0) | (FLAG_PAYLOAD_KEPT if kept else 0) | \
        ((qos & 3) << QOS_SHIFT)
    length = RECORD_HEADER.size + len(client_id) + len(thing) + len(topic) + len(stored)
    rest = struct.pack("<IQqIHHHHI", flags, seq, received_ms, payload_size, len(client_id),
                       len(thing), len(topic), 0, len(stored)) + client_id + thing + topic + stored
    rec = struct.pack("<4sII", RECORD_MAGIC, length, zlib.crc32(rest)) + rest
    return rec + b"\0" * (pad8(length) - length)


def record_size(record):
    """The bytes encode_record takes for a record dict, padding included."""
    def n(v):
        return len(v.encode() if isinstance(v, str) else v)
    payload = record.get("payload", b"")
    stored = n(payload) if payload is not None and n(payload) <= PAYLOAD_CAP else 0
    return pad8(RECORD_HEADER.size + n(record["client_id"]) +
                n(record.get("thing", record["client_id"])) + n(record["topic"]) + stored)


def encode_records(first_seq, records):
    """The encoded records, seq assigned consecutively from first_seq where a
    record has none; returns (bytes, last seq)."""
    parts = []
    seq = first_seq - 1
    for r in records:
        seq = r.get("seq", seq + 1)
        parts.append(encode_record(seq, r.get("received_ms", int(time.time() * 1000)),
                                   r["client_id"], r.get("thing", r["client_id"]), r["topic"],
                                   r.get("qos", 1), r.get("retain", 0), r.get("payload", b""),
                                   r.get("payload_size")))
    return b"".join(parts), seq


def write_segment(journal_dir, first_seq, records, created_ms=None):
    """Writes one segment file named first_seq holding records (dicts as
    read_records returns; seq, received_ms, thing, qos, retain and
    payload_size may be left out). The file appears complete or not at all
    (written under a temporary name, then renamed). Nothing may be writing
    the journal meanwhile: stop the broker first. Returns the last sequence
    written."""
    os.makedirs(journal_dir, mode=0o700, exist_ok=True)
    body, last = encode_records(first_seq, records)
    path = os.path.join(journal_dir, segment_name(first_seq))
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(encode_segment_header(first_seq, created_ms))
        f.write(body)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)
    return last


# -- self-check --------------------------------------------------------------
def _self_check():
    import shutil
    import tempfile
    d = tempfile.mkdtemp(prefix="journal-file-")
    try:
        j = os.path.join(d, "journal")
        check = [{"client_id": "b1", "topic": "iotbutton/b1", "payload": b'{"n":1}'},
                 {"client_id": "b1", "topic": "iotbutton/b1", "payload": b"", "retain": 1},
                 {"client_id": "b2", "thing": "t2", "topic": "iotbutton/t2", "qos": 0,
                  "payload": b"x" * (PAYLOAD_CAP + 1)}]
        assert write_segment(j, 1, check[:2]) == 2
        assert write_segment(j, 3, check[2:]) == 3
        recs = read_records(j)
        assert [r["seq"] for r in recs] == [1, 2, 3], recs
        assert recs[0]["payload"] == b'{"n":1}' and recs[0]["payload_size"] == 7
        assert recs[1]["payload"] == b"" and recs[1]["retain"] == 1 and recs[1]["qos"] == 1
        assert recs[2]["payload"] is None and recs[2]["payload_size"] == PAYLOAD_CAP + 1
        assert recs[2]["thing"] == "t2" and recs[2]["qos"] == 0
        assert recs[1]["offset"] == 32 + pad8(48 + 2 + 2 + 12 + 7)
        assert [s[0] for s in segments(j)] == [1, 3] and count(j) == 3 and last_seq(j) == 3
        assert sum(record_size(r) for r in check) + 2 * SEGMENT_HEADER.size == used_bytes(j)

        # A torn tail: half of a fourth record, then garbage. Not returned.
        seg3 = segments(j)[-1][1]
        rec4 = encode_record(4, 0, "b1", "b1", "iotbutton/b1", payload=b"torn")
        with open(seg3, "ab") as f:
            f.write(rec4[:len(rec4) // 2] + os.urandom(100))
        assert [r["seq"] for r in read_records(j)] == [1, 2, 3]
        # A damaged header hides its segment only.
        with open(segments(j)[0][1], "r+b") as f:
            f.write(b"this is not a journal"[:20])
        assert [r["seq"] for r in read_records(j)] == [3]
        # Files that are not segments are ignored; a missing directory is empty.
        open(os.path.join(j, "notes.txt"), "w").close()
        assert len(segments(j)) == 2 and read_records(os.path.join(d, "none")) == []
        print("journal_file: self-check ok")
    finally:
        shutil.rmtree(d)


if __name__ == "__main__":
    _self_check()
