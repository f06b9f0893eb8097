"""The walking skeleton end to end: one press becomes one work order, on the
real broker, with real certificates, through the real processes."""

import os
import signal
import subprocess
import time

from harness import Site, check, run, wait_for

PICKUP_SQL = "SELECT * FROM 'iotbutton/+' WHERE clickType = 'SINGLE'"


def pickup_site(name):
    site = Site(name).start()
    site.clickctl("rules", "create", "pickup", "--sql", PICKUP_SQL, "--action", "workorder",
                  "--kind", "pickup")
    return site


def test_single_press_creates_work_order_within_a_second():
    site = pickup_site("single")
    try:
        dev = site.device("dock-1", location="Dock 1")
        r = site.press(dev, "single")
        check(r.returncode == 0, "press failed (%d): %s" % (r.returncode, r.stderr))
        acked = time.monotonic()
        wos = wait_for("the work order", lambda: site.workorders(), timeout=1.0)
        check(time.monotonic() - acked <= 1.0, "work order took over a second")
        check(len(wos) == 1, "expected one work order, got %r" % wos)
        wo = wos[0]
        check(wo["thing"] == "dock-1", wo)
        check(wo["location"] == "Dock 1", wo)
        check(wo["clickType"] == "SINGLE", wo)
        check(wo["kind"] == "pickup" and wo["status"] == "raised", wo)
        check(wo["pressedAt"] > 0 and wo["createdAt"] >= wo["pressedAt"] - 5000, wo)
        listed = site.clickctl("workorders", "list").stdout
        check("Dock 1" in listed and "dock-1" in listed, "clickctl workorders list: " + listed)
        thing = site.get("/things/dock-1")
        check(thing["lastSeenAt"] is not None, thing)
    finally:
        site.cleanup()


def test_double_press_is_not_a_pickup():
    site = pickup_site("double")
    try:
        dev = site.device("aisle-7", location="Aisle 7")
        r = site.press(dev, "double")
        check(r.returncode == 0, "press failed (%d): %s" % (r.returncode, r.stderr))
        evs = wait_for("the event", lambda: site.events(thing="aisle-7"))
        check(evs[0]["status"] == "accepted" and evs[0]["clickType"] == "DOUBLE", evs)
        check(site.workorders() == [], "a DOUBLE press made a pickup")
        # A single press after it does, proving the rule was live.
        check(site.press(dev, "single").returncode == 0, "single press failed")
        wait_for("the single's work order", lambda: site.workorders())
        check(len(site.workorders()) == 1, "expected exactly one work order")
    finally:
        site.cleanup()


def make_cert(site, out, cn, ca_dir=None):
    """A certificate clickd never registered: signed by clickd's own CA (so TLS
    accepts it) or by a foreign CA when ca_dir is given."""
    os.makedirs(out, exist_ok=True)
    ca_key = os.path.join(ca_dir or os.path.join(site.data, "ca"), "ca.key")
    ca_pem = os.path.join(ca_dir or os.path.join(site.data, "ca"), "ca.pem")
    key, csr, pem = (os.path.join(out, n) for n in ("key.pem", "req.csr", "cert.pem"))
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key],
                   check=True, capture_output=True)
    subprocess.run(["openssl", "req", "-new", "-key", key, "-subj", "/CN=" + cn, "-out", csr],
                   check=True, capture_output=True)
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key,
                    "-CAcreateserial", "-days", "2", "-out", pem], check=True, capture_output=True)


def test_unregistered_certificate_is_refused():
    site = pickup_site("unreg")
    try:
        dev = site.device("staging", location="Staging")
        rogue = os.path.join(site.tmp, "rogue")
        make_cert(site, rogue, "staging")
        for name in ("ca.pem", "clickbtn.conf"):
            with open(os.path.join(dev, name)) as src, open(os.path.join(rogue, name), "w") as dst:
                dst.write(src.read())
        r = site.press(rogue, "single")
        check(r.returncode == 4, "unregistered certificate: expected exit 4, got %d (%s)"
              % (r.returncode, r.stderr))
        check(site.journal_count() == 0, "a refused connection reached the journal")
        check(site.workorders() == [], "a refused device made a work order")
    finally:
        site.cleanup()


def test_other_things_client_id_is_refused():
    site = pickup_site("clientid")
    try:
        site.device("dock-1", location="Dock 1")
        dev2 = site.device("dock-2", location="Dock 2")
        conf = os.path.join(dev2, "clickbtn.conf")
        with open(conf) as f:
            text = f.read()
        with open(conf, "w") as f:
            f.write(text.replace("thing = dock-2", "thing = dock-1"))
        r = site.press(dev2, "single")
        check(r.returncode == 4, "foreign client id: expected exit 4, got %d (%s)"
              % (r.returncode, r.stderr))
        check(site.journal_count() == 0, "a refused connection reached the journal")
    finally:
        site.cleanup()


def test_publish_to_other_things_topic_is_refused():
    site = pickup_site("topic")
    try:
        site.device("dock-1", location="Dock 1")
        dev2 = site.device("dock-2", location="Dock 2")
        r = site.mqtt_pub(dev2, "dock-2", "iotbutton/dock-1",
                          message='{"clickType":"SINGLE"}')
        check(r.returncode != 0 or "not authorized" in (r.stdout + r.stderr).lower(),
              "publish to another thing's topic looked accepted: %d %s %s"
              % (r.returncode, r.stdout, r.stderr))
        # A good press afterwards proves the pipeline was live all along.
        check(site.mqtt_pub(dev2, "dock-2", "iotbutton/dock-2",
                            message='{"clickType":"SINGLE"}').returncode == 0,
              "good publish failed")
        wait_for("the good press", lambda: site.workorders())
        check(site.journal_count() == 1, "the refused publish was journaled")
        wos = site.workorders()
        check(len(wos) == 1 and wos[0]["thing"] == "dock-2", wos)
    finally:
        site.cleanup()


def test_bad_payloads_are_rejected_and_nothing_breaks():
    site = pickup_site("badinput")
    try:
        dev = site.device("dock-1", location="Dock 1")
        big = os.path.join(site.tmp, "big.json")
        with open(big, "w") as f:
            f.write('{"clickType":"SINGLE","pad":"%s"}' % ("x" * 5000))
        huge = os.path.join(site.tmp, "huge.json")
        with open(huge, "w") as f:
            f.write('{"clickType":"SINGLE","pad":"%s"}' % ("x" * 100000))
        cases = [("not json", None, "not JSON"),
                 ('{"serialNumber":"x","batteryVoltage":"1615mV"}', None, "clickType"),
                 (None, big, "too large"),
                 (None, huge, "too large")]
        for msg, path, _ in cases:
            r = site.mqtt_pub(dev, "dock-1", "iotbutton/dock-1", payload_file=path, message=msg)
            check(r.returncode == 0, "broker refused a publish it should journal: %s" % r.stderr)
        rejected = wait_for("four rejected events",
                            lambda: len(site.events(status="rejected")) == 4 and
                            site.events(status="rejected"))
        reasons = [e["reason"] for e in rejected]
        for _, _, want in cases:
            check(any(want in (x or "") for x in reasons), "no rejection mentions %r: %r" % (want, reasons))
        check(site.workorders() == [], "a rejected payload made a work order")
        check(site.press(dev, "single").returncode == 0, "press after bad input failed")
        wait_for("the work order after bad input", lambda: site.workorders())
        check(site.proc.poll() is None, "clickd died")
    finally:
        site.cleanup()


def test_sigkill_before_processing_loses_and_doubles_nothing():
    site = pickup_site("sigkill")
    try:
        dev = site.device("dock-1", location="Dock 1")
        check(site.press(dev, "single").returncode == 0, "first press failed")
        wait_for("the first work order", lambda: site.workorders())
        # Freeze clickd: the broker keeps acknowledging and journaling.
        site.proc.send_signal(signal.SIGSTOP)
        for _ in range(5):
            r = site.press(dev, "single")
            check(r.returncode == 0, "press while clickd was frozen failed: %s" % r.stderr)
        check(site.journal_count() == 6, "journal should hold 6 presses")
        site.proc.send_signal(signal.SIGKILL)
        site.proc.wait()
        # Presses keep arriving while clickd is down.
        for _ in range(2):
            r = site.press(dev, "single")
            check(r.returncode == 0, "press while clickd was down failed: %s" % r.stderr)
        site.stop()
        site.start()
        wait_for("8 work orders", lambda: len(site.workorders()) >= 8)
        wos = site.workorders()
        check(len(wos) == 8, "expected exactly 8 work orders, got %d" % len(wos))
        seqs = sorted(w["eventSeq"] for w in wos)
        check(seqs == list(range(1, 9)), "each journal entry exactly once: %r" % seqs)
        # And a restart with nothing new creates nothing.
        site.stop()
        site.start()
        check(len(site.workorders()) == 8, "a clean restart created work orders")
    finally:
        site.cleanup()


if __name__ == "__main__":
    run([
        test_single_press_creates_work_order_within_a_second,
        test_double_press_is_not_a_pickup,
        test_unregistered_certificate_is_refused,
        test_other_things_client_id_is_refused,
        test_publish_to_other_things_topic_is_refused,
        test_bad_payloads_are_rejected_and_nothing_breaks,
        test_sigkill_before_processing_loses_and_doubles_nothing,
    ])
