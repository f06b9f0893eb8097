#!/usr/bin/env python3
"""IoT policies enforced by the real broker: clickd, its mosquitto with the
plugin, device bundles made by `clickctl thing create`, and
mosquitto_pub / mosquitto_sub as the devices. Every case is one allow or
deny decision observed from outside; each is printed as "ok: ...".

Negative delivery checks never wait for something not to happen: the
message that must not arrive is published first and an allowed sentinel
after it by the same publisher, so once the sentinel is in, the first one
would have been too. Policy changes are synchronised on the plugin's log
line naming the snapshot file's identity (inode, size, mtime).
"""

import hashlib
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time

from harness import Failure, Site, check, wait_for

CMD_TIMEOUT = 20
ARN = "arn:aws:iot:us-east-1:123456789012:"
COUNT = [0]


def ok(cond, what):
    check(cond, what)
    COUNT[0] += 1
    print("ok: " + what, flush=True)


def fingerprint(pem_path):
    r = subprocess.run(["openssl", "x509", "-in", pem_path, "-outform", "DER"],
                       capture_output=True, timeout=CMD_TIMEOUT)
    if r.returncode != 0 or not r.stdout:
        raise Failure("cannot read %s" % pem_path)
    return hashlib.sha256(r.stdout).hexdigest()


class LineReader:
    """Collects a process's output lines on a thread, for waits with deadlines."""

    def __init__(self, proc):
        self.proc = proc
        self.q = queue.Queue()
        self.seen = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stdout:
            self.q.put(line.rstrip("\n"))
        self.q.put(None)

    def wait_line(self, pred, what, timeout=CMD_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure("timed out waiting for %s; output: %r" % (what, self.seen[-20:]))
            try:
                line = self.q.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise Failure("process ended while waiting for %s; output: %r" %
                              (what, self.seen[-20:]))
            self.seen.append(line)
            if pred(line):
                return line


class Policies:
    """One clickd site with devices and helpers to act as them."""

    def __init__(self):
        self.site = Site("policy").start()
        self.secret = open(os.path.join(self.site.data, "broker.secret")).read().strip()
        conf = open(os.path.join(self.site.data, "mosquitto.conf")).read()
        self.local_port = int(re.findall(r"^listener (\d+) ", conf, re.M)[-1])
        self.dev = {}
        self.fp = {}
        self.procs = []

    def device(self, name, *extra):
        out = os.path.join(self.site.tmp, "dev-" + name)
        self.site.clickctl("thing", "create", name, "--out", out, *extra)
        self.dev[name] = out
        self.fp[name] = fingerprint(os.path.join(out, "cert.pem"))
        return out

    def tls(self, dev, client_id):
        d = self.dev[dev]
        return ["-h", "127.0.0.1", "-p", str(self.site.mqtt_port), "--cafile",
                os.path.join(d, "ca.pem"), "--cert", os.path.join(d, "cert.pem"), "--key",
                os.path.join(d, "key.pem"), "-i", client_id]

    def pub(self, dev, client_id, topic, msg="x", version="mqttv5", retain=False):
        """'ok', 'denied' (MQTT 5 PUBACK 0x87), 'refused' (CONNACK not
        authorised) or 'closed' (connection closed without a PUBACK)."""
        args = ["mosquitto_pub", *self.tls(dev, client_id), "-t", topic, "-m", msg, "-q", "1",
                "-V", version]
        if retain:
            args.append("-r")
        r = subprocess.run(args, capture_output=True, text=True, timeout=CMD_TIMEOUT)
        err = r.stderr
        if "Not authorized" in err and "Connection" in err or "not authorised" in err:
            return "refused"
        if "failed: Not authorized" in err:
            return "denied"
        if r.returncode == 0 and not err.strip():
            return "ok"
        return "closed"

    def account_pub(self, topic, msg, retain=False):
        args = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.local_port), "-u", "clickd",
                "-P", self.secret, "-i", "clickd-policy-test", "-t", topic, "-m", msg, "-q",
                "1", "-V", "mqttv5"]
        if retain:
            args.append("-r")
        r = subprocess.run(args, capture_output=True, text=True, timeout=CMD_TIMEOUT)
        check(r.returncode == 0, "clickd account publishes to %s (%s)" % (topic, r.stderr))

    def suback(self, dev, client_id, topic):
        """The SUBACK code for one subscription, or 'refused'."""
        r = subprocess.run(["mosquitto_sub", *self.tls(dev, client_id), "-t", topic, "-q", "1",
                            "-V", "mqttv5", "-E", "-d"],
                           capture_output=True, text=True, timeout=CMD_TIMEOUT)
        if "Not authorized" in r.stderr + r.stdout and "Subscribed" not in r.stdout:
            return "refused"
        m = re.search(r"Subscribed \(mid: \d+\): (\d+)", r.stdout)
        return int(m.group(1)) if m else "none: " + r.stdout + r.stderr

    def subscribe(self, dev, client_id, *topics):
        """A running subscriber with its SUBACK received."""
        args = ["stdbuf", "-oL", "mosquitto_sub", *self.tls(dev, client_id), "-q", "1", "-V",
                "mqttv5", "-d", "-v"]
        for t in topics:
            args += ["-t", t]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
        self.procs.append(proc)
        lines = LineReader(proc)
        lines.wait_line(lambda l: l.startswith("Subscribed (mid:"), "SUBACK of " + client_id)
        return proc, lines

    def log(self):
        try:
            with open(os.path.join(self.site.data, "mosquitto.log")) as f:
                return f.read()
        except OSError:
            return ""

    def synced(self):
        """Waits until the plugin has loaded the snapshot file now in place."""
        st = os.stat(os.path.join(self.site.data, "registry.snapshot"))
        want = "(inode %d, %d bytes, mtime %d.%09d)" % (st.st_ino, st.st_size,
                                                       st.st_mtime_ns // 10**9,
                                                       st.st_mtime_ns % 10**9)
        wait_for("the plugin to load the new snapshot", lambda: want in self.log(), timeout=10)

    def ctl(self, *args, check_rc=True):
        return self.site.clickctl(*args, check_rc=check_rc)

    def policy(self, name, statements):
        path = os.path.join(self.site.tmp, name + ".json")
        with open(path, "w") as f:
            json.dump({"Version": "2012-10-17", "Statement": statements}, f)
        self.ctl("policy", "create", name, "--policy", path)
        return path

    def journal_count(self):
        return self.site.journal_count()

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait(timeout=10)
        self.site.cleanup()


def stmt(effect, action, resource):
    return {"Effect": effect, "Action": action, "Resource": resource}


def default_policy_cases(t):
    """The shipped clickd-button policy on devices made by clickctl."""
    rows = t.journal_count()
    ok(t.pub("d1", "d1", "iotbutton/d1", '{"clickType":"SINGLE"}') == "ok",
       "d1 publishes to its own iotbutton/d1")
    ok(t.journal_count() == rows + 1, "the accepted publish is journaled")
    ok(t.pub("d1", "d2", "iotbutton/d2") == "refused",
       "spoofed client id: d1's certificate connecting as d2 is refused")
    ok(t.pub("d1", "+", "iotbutton/d1") == "refused",
       "client id '+' with d1's certificate is refused")
    ok(t.pub("d1", "d1", "iotbutton/d2") == "denied",
       "d1 publishing to d2's topic gets PUBACK 0x87")
    ok(t.pub("d1", "d1", "iotbutton/d2", version="mqttv311") == "closed",
       "MQTT 3.1.1: d1 publishing to d2's topic is disconnected, not acknowledged")
    ok(t.pub("d1", "d1", "iotbutton/d1/feedback") == "denied",
       "d1 may not publish to its own feedback topic")
    ok(t.pub("d1", "d1", "iotbutton/d1", retain=True) == "denied",
       "a retained publish needs iot:RetainPublish, which the button policy lacks")
    ok(t.journal_count() == rows + 1, "denied publishes are not journaled")
    ok(t.suback("d1", "d1", "iotbutton/d1/feedback") == 1,
       "d1 subscribes to its own feedback topic (granted QoS 1)")
    for f in ("iotbutton/+/feedback", "iotbutton/#", "iotbutton/d2/feedback", "#"):
        ok(t.suback("d1", "d1", f) == 135,
           "wildcard or foreign subscription %s is refused with 0x87" % f)

    # Receive: d1 gets its feedback; d2's feedback never reaches it.
    proc, lines = t.subscribe("d1", "d1", "iotbutton/d1/feedback")
    t.account_pub("iotbutton/d2/feedback", "for-d2")
    t.account_pub("iotbutton/d1/feedback", "for-d1")
    lines.wait_line(lambda l: l.endswith(" for-d1"), "d1's feedback")
    ok(not any("for-d2" in l for l in lines.seen), "d1 receives its own feedback only")

    # A second connection with the same client id takes over (AWS).
    proc2, lines2 = t.subscribe("d1", "d1", "iotbutton/d1/feedback")
    wait_for("the older d1 connection to be closed",
             lambda: "Client d1 already connected, closing old connection" in t.log())
    ok(True, "a second connection as d1 with d1's certificate replaces the first")
    for p in (proc, proc2):
        p.kill()
        p.wait(timeout=10)

    # Another certificate cannot take d1's client id: d1 stays connected.
    proc, lines = t.subscribe("d1", "d1", "iotbutton/d1/feedback")
    ok(t.pub("d2", "d1", "iotbutton/d1") == "refused",
       "d2's certificate connecting as d1 is refused")
    t.account_pub("iotbutton/d1/feedback", "still-there")
    lines.wait_line(lambda l: l.endswith(" still-there"), "d1's feedback after the attempt")
    ok(sum("sending CONNECT" in l for l in lines.seen) == 1,
       "d1's connection survived the spoofing attempt (no reconnect)")
    proc.kill()
    proc.wait(timeout=10)


def custom_policy_cases(t):
    """Attribute variables, explicit Deny, versions and live changes."""
    fp3 = t.fp["d3"]
    t.policy("floor", [
        stmt("Allow", "iot:Connect", ARN + "client/${iot:Connection.Thing.ThingName}"),
        stmt("Allow", "iot:Publish", ARN + "topic/site/${iot:Connection.Thing.Attributes[floor]}/*"),
        stmt("Allow", "iot:Subscribe",
             ARN + "topicfilter/site/${iot:Connection.Thing.Attributes[floor]}/*"),
        stmt("Allow", "iot:Receive", ARN + "topic/site/*"),
        stmt("Deny", "iot:Receive", ARN + "topic/site/*/secret"),
        stmt("Deny", "iot:Publish", ARN + "topic/site/*/forbidden"),
    ])
    t.ctl("policy", "attach", "floor", fp3)
    t.ctl("policy", "attach", "floor", t.fp["d4"])
    t.ctl("policy", "detach", "clickd-button", fp3)
    t.synced()
    ok(t.pub("d3", "d3", "site/5/x") == "ok", "attribute variable: d3 (floor 5) publishes site/5/x")
    ok(t.pub("d3", "d3", "site/6/x") == "denied", "attribute variable: d3 may not publish site/6/x")
    ok(t.pub("d3", "d3", "site/5/forbidden") == "denied",
       "explicit Deny on publish wins over the Allow on site/5/*")
    ok(t.pub("d3", "d3", "iotbutton/d3") == "denied",
       "with the button policy detached, d3 may not publish iotbutton/d3")
    ok(t.pub("d4", "d4", "site/5/x") == "denied",
       "d4 has no floor attribute: the variable has no value and matches nothing")
    ok(t.pub("d4", "d4", "iotbutton/d4") == "ok",
       "d4 keeps the button policy beside the floor policy (policies are a union)")
    ok(t.suback("d3", "d3", "site/5/#") == 1, "d3 subscribes site/5/# (filter matches site/5/*)")
    ok(t.suback("d3", "d3", "site/+/x") == 135, "d3 may not subscribe site/+/x")

    # Receive denied by an explicit Deny on a delivery its filter matches.
    proc, lines = t.subscribe("d3", "d3", "site/5/#")
    t.account_pub("site/5/secret", "hidden")
    t.account_pub("site/5/open", "visible")
    lines.wait_line(lambda l: l == "site/5/open visible", "the open message")
    ok(not any("hidden" in l for l in lines.seen), "explicit Deny on Receive hides site/5/secret")

    # A new default version cuts off a live subscription within a second.
    path = os.path.join(t.site.tmp, "floor-v2.json")
    with open(path, "w") as f:
        json.dump({"Version": "2012-10-17", "Statement": [
            stmt("Allow", "iot:Connect", ARN + "client/${iot:Connection.Thing.ThingName}"),
            stmt("Allow", "iot:Subscribe", ARN + "topicfilter/site/5/*"),
            stmt("Allow", "iot:Receive", ARN + "topic/site/*"),
            stmt("Deny", "iot:Receive", ARN + "topic/site/5/blocked*"),
        ]}, f)
    r = t.ctl("--json", "policy", "version", "create", "floor", "--policy", path, "--set-default")
    ok(json.loads(r.stdout)["version"] == 2 and json.loads(r.stdout)["isDefault"],
       "policy version 2 created as the default")
    t.synced()
    t.account_pub("site/5/blocked1", "blocked-now")
    t.account_pub("site/5/open", "visible-2")
    lines.wait_line(lambda l: l == "site/5/open visible-2", "the second open message")
    ok(not any("blocked-now" in l for l in lines.seen),
       "a Deny on Receive added while subscribed stops deliveries on the live subscription")
    # The probes below connect as d3 too, which would take the session over.
    proc.kill()
    proc.wait(timeout=10)
    ok(t.pub("d3", "d3", "site/5/x") == "denied", "version 2 no longer allows publishing")
    t.ctl("policy", "version", "default", "floor", "1")
    t.synced()
    ok(t.pub("d3", "d3", "site/5/x") == "ok", "making version 1 the default again restores it")

    # Detaching the last policy that allows Connect disconnects the client.
    proc, lines = t.subscribe("d3", "d3", "site/5/#")
    t.ctl("policy", "detach", "floor", fp3)
    wait_for("the plugin to disconnect d3", lambda: "disconnecting client d3" in t.log())
    wait_for("mosquitto_sub to give up", lambda: proc.poll() is not None)
    ok(True, "detaching d3's only policy disconnects its live connection")
    ok(t.pub("d3", "d3", "site/5/x") == "refused", "d3 without any policy cannot connect")


def variable_cases(t):
    """Thing type, certificate CN and ClientId variables; explicit Deny on Connect."""
    fp1 = t.fp["d1"]
    t.policy("typed", [
        stmt("Allow", "iot:Publish", ARN + "topic/types/${iot:Connection.Thing.ThingTypeName}"),
        stmt("Allow", "iot:Publish", ARN + "topic/cn/${iot:Certificate.Subject.CommonName}"),
    ])
    t.ctl("policy", "attach", "typed", fp1)
    t.synced()
    ok(t.pub("d1", "d1", "types/button") == "ok", "thing type variable: d1 (button) publishes types/button")
    ok(t.pub("d1", "d1", "types/sensor") == "denied", "thing type variable: not types/sensor")
    ok(t.pub("d1", "d1", "cn/d1") == "ok", "certificate CN variable: d1 publishes cn/d1")
    ok(t.pub("d1", "d1", "cn/d2") == "denied", "certificate CN variable: not cn/d2")

    # A permissive Connect lets a certificate use any client id, as in AWS;
    # the thing variables then have no value.
    fp5 = t.fp["d5"]
    t.policy("anyid", [
        stmt("Allow", "iot:Connect", ARN + "client/*"),
        stmt("Deny", "iot:Connect", ARN + "client/d1"),
        stmt("Allow", "iot:Subscribe", ARN + "topicfilter/my/${iot:ClientId}/topic"),
        stmt("Allow", "iot:Publish", ARN + "topic/iotbutton/${iot:Connection.Thing.ThingName}"),
    ])
    t.ctl("policy", "attach", "anyid", fp5)
    t.synced()
    ok(t.suback("d5", "other-id", "my/other-id/topic") == 1,
       "client/* lets d5 connect as other-id; ${iot:ClientId} is other-id")
    ok(t.suback("d5", "+", "my/+/topic") == 1,
       "AWS pitfall reproduced: client id '+' matches the filter my/+/topic")
    ok(t.pub("d5", "d1", "iotbutton/d5") == "refused",
       "explicit Deny on client/d1 wins over Allow client/*")
    ok(t.pub("d5", "other-id", "iotbutton/d5") == "denied",
       "as other-id, d5's thing variables have no value: iotbutton/d5 is denied")
    ok(t.pub("d5", "d5", "iotbutton/d5") == "ok", "as d5, the thing variable is d5")

    r = t.ctl("policy", "test", "--policy", os.path.join(t.site.tmp, "anyid.json"),
              "--action", "iot:Connect", "--resource", ARN + "client/d1", "--client-id", "d1",
              check_rc=False)
    ok(r.returncode == 1 and r.stdout.splitlines()[0] == "DENY" and "client/d1" in r.stdout,
       "clickctl policy test agrees: DENY by the Deny statement")
    r = t.ctl("policy", "test", "--policy", os.path.join(t.site.tmp, "anyid.json"),
              "--action", "iot:Subscribe", "--resource", ARN + "topicfilter/my/+/topic",
              "--client-id", "+", check_rc=False)
    ok(r.returncode == 0 and r.stdout.splitlines()[0] == "ALLOW",
       "clickctl policy test agrees: ALLOW for the '+' pitfall")


def api_cases(t):
    """Bad documents change nothing; attached policies cannot be deleted."""
    before = t.site.get("/policies")["items"]
    status, doc = t.site.request("POST", "/policies", {"name": "bad", "document": {
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iot:Publish",
                                                 "Resource": "*",
                                                 "Condition": {"StringMatch": {}}}]}})
    ok(status == 400 and doc["error"]["code"] == "invalid_policy" and
       "Statement[0].Condition.StringMatch: unknown operator" in doc["error"]["message"],
       "an unknown condition operator is refused with where and why")
    ok(t.site.get("/policies")["items"] == before, "the refused policy changed nothing")
    status, doc = t.site.request("DELETE", "/policies/clickd-button")
    ok(status == 409, "the button policy cannot be deleted while attached")
    status, _ = t.site.request("POST", "/policies/typed/attachments",
                               {"certificate": "0" * 64})
    ok(status == 404, "attaching to an unknown certificate is refused")
    # The local clickd account is not subject to policies.
    t.account_pub("anything/at/all", "x")
    ok(True, "the clickd account publishes anywhere")


def main():
    for tool in ("mosquitto_pub", "mosquitto_sub", "openssl", "stdbuf"):
        if not shutil.which(tool):
            print("FAIL: missing tool %s" % tool)
            return 1
    t = None
    try:
        t = Policies()
        t.device("d1", "--type", "button")
        t.device("d2")
        t.device("d3", "--attr", "floor=5")
        t.device("d4")
        t.device("d5")
        for part in (default_policy_cases, custom_policy_cases, variable_cases, api_cases):
            part(t)
        check(COUNT[0] >= 30, "at least 30 cases ran (%d)" % COUNT[0])
        print("PASS: test_policy (%d cases)" % COUNT[0])
        return 0
    except (Failure, AssertionError, subprocess.TimeoutExpired, OSError) as e:
        print("FAIL: %s" % e)
        if t:
            print("---- mosquitto log (tail) ----")
            print("\n".join(t.log().splitlines()[-30:]))
            print("---- clickd log (tail) ----")
            print(t.site.log_text()[-3000:])
        return 1
    finally:
        if t:
            t.cleanup()


if __name__ == "__main__":
    sys.exit(main())
