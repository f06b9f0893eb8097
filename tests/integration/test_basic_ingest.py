"""Basic Ingest end to end: a device allowed to publish to
$aws/rules/<rule>/... reaches that rule alone, with topic() seeing the part
after the prefix; no subscriber, not even clickd's own account, receives
the message."""

import os
import subprocess

from harness import Site, check, run, wait_for


def test_basic_ingest_reaches_the_rule_and_no_subscriber():
    site = Site("basicingest").start()
    try:
        # The rule's FROM would not match the topic: Basic Ingest ignores it.
        status, doc = site.request("POST", "/rules", {
            "name": "pickup",
            "sql": "SELECT topic(2) AS thing FROM 'never/matches' WHERE clickType = 'SINGLE'",
            "actions": [{"type": "workorder", "kind": "pickup"}]})
        check(status == 201, doc)
        status, doc = site.request("POST", "/rules", {
            "name": "other", "sql": "SELECT * FROM '#'",
            "actions": [{"type": "workorder", "kind": "other"}]})
        check(status == 201, doc)
        dev = site.device("dock-1", location="Dock 1")
        # The certificate's fingerprint, from the PEM the bundle holds.
        out = subprocess.run(["openssl", "x509", "-in", os.path.join(dev, "cert.pem"),
                              "-noout", "-fingerprint", "-sha256"],
                             capture_output=True, text=True, check=True).stdout
        fp = out.split("=", 1)[1].strip().replace(":", "").lower()
        status, doc = site.request("POST", "/policies", {"name": "ingest", "document": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "iot:Publish",
                           "Resource": "arn:aws:iot:*:*:topic/$aws/rules/pickup/*"}]}})
        check(status == 201, doc)
        status, doc = site.request("POST", "/policies/ingest/attachments", {"certificate": fp})
        check(status == 200, doc)

        conf = open(os.path.join(site.data, "mosquitto.conf")).read()
        local_port = [l.split()[1] for l in conf.splitlines()
                      if l.startswith("listener") and l.endswith("127.0.0.1")][-1]
        secret = open(os.path.join(site.data, "broker.secret")).read().strip()
        sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", local_port, "-u",
                                "clickd", "-P", secret, "-t", "$aws/rules/#", "-t", "#", "-v",
                                "-W", "6"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
        try:
            def published():
                r = site.mqtt_pub(dev, "dock-1", "$aws/rules/pickup/iotbutton/dock-1",
                                  message='{"clickType":"SINGLE"}')
                return r.returncode == 0 and "not authorized" not in (r.stdout + r.stderr).lower()
            wait_for("the policy in force", published, timeout=5, interval=0.3)
            wos = wait_for("the work order", lambda: site.workorders())
            check(len(wos) == 1 and wos[0]["kind"] == "pickup", "the named rule alone: %r" % wos)
            check(wos[0]["thing"] == "dock-1", wos)
        finally:
            out, _ = sub.communicate(timeout=15)
        check("$aws/rules" not in out, "a subscriber received a Basic Ingest message: %r" % out)
    finally:
        site.cleanup()


if __name__ == "__main__":
    run([test_basic_ingest_reaches_the_rule_and_no_subscriber])
