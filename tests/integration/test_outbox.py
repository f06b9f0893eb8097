"""Effects outside the store go through the outbox: delivered at least once
with an idempotency key, retried on transient failures, dead-lettered on
permanent ones, reported to the rule's error action in the AWS format, and
retryable from the dead-letter list."""

import base64
import json
import os
import subprocess

from harness import Site, check, run, wait_for
from receiver import Receiver

SINGLE = "SELECT clickType, topic(2) AS thing FROM 'iotbutton/+' WHERE clickType = 'SINGLE'"


def create_rule(site, name, actions, error_action=None):
    body = {"name": name, "sql": SINGLE, "actions": actions}
    if error_action:
        body["errorAction"] = error_action
    status, doc = site.request("POST", "/rules", body)
    check(status == 201, "rule: %d %r" % (status, doc))


def test_webhook_delivered_with_idempotency_key_and_retries():
    rx = Receiver()
    site = Site("webhook").start()
    try:
        rx.answer("/flaky", 503, 503, 200)
        create_rule(site, "notify", [
            {"type": "workorder", "kind": "pickup"},
            {"type": "webhook", "url": rx.url("/hook/${topic(2)}"),
             "headers": {"X-Location": "${clickType}"}},
            {"type": "webhook", "url": rx.url("/flaky")},
        ])
        dev = site.device("dock-1", location="Dock 1")
        check(site.press(dev, "single").returncode == 0, "press failed")
        hooks = wait_for("the webhook", lambda: rx.got("/hook/dock-1"))
        h = hooks[0]
        check(h["headers"].get("Idempotency-Key") == "1/notify/1", h["headers"])
        check(h["headers"].get("X-Location") == "SINGLE", h["headers"])
        check(json.loads(h["body"]) == {"clickType": "SINGLE", "thing": "dock-1"}, h["body"])
        flaky = wait_for("three attempts at the flaky endpoint",
                         lambda: len(rx.got("/flaky")) >= 3 and rx.got("/flaky"), timeout=20)
        keys = {r["headers"]["Idempotency-Key"] for r in flaky}
        check(keys == {"1/notify/2"}, "one key across retries: %r" % keys)
        wait_for("the flaky entry done",
                 lambda: site.get("/outbox?status=done")["items"] and
                 len(site.get("/outbox?status=done")["items"]) == 2)
        check(len(site.workorders()) == 1, "the store action ran once")
        check(site.get("/deadletters")["items"] == [], "nothing dead")
    finally:
        site.cleanup()
        rx.close()


def test_permanent_failure_goes_to_error_action_and_can_be_retried():
    rx = Receiver()
    site = Site("deadletter").start()
    try:
        rx.answer("/broken", 400)
        create_rule(site, "notify",
                    [{"type": "webhook", "url": rx.url("/broken")},
                     {"type": "webhook", "url": rx.url("/fine")}],
                    error_action={"type": "webhook", "url": rx.url("/errors")})
        dev = site.device("dock-1", location="Dock 1")
        r = site.press(dev, "single")
        check(r.returncode == 0, "press failed")
        errors = wait_for("the error message", lambda: rx.json("/errors"), timeout=15)
        e = errors[0]
        check(e["ruleName"] == "notify" and e["topic"] == "iotbutton/dock-1", e)
        check(e["clientId"] == "dock-1", e)
        original = json.loads(base64.b64decode(e["base64OriginalPayload"]))
        check(original["clickType"] == "SINGLE", original)
        check(len(e["failures"]) == 1, e)
        f = e["failures"][0]
        check(f["failedAction"] == "webhook" and f["failedResource"] == rx.url("/broken"), f)
        check("400" in f["errorMessage"], f)
        check(len(rx.got("/fine")) == 1, "the working action was delivered")

        dead = site.get("/deadletters")["items"]
        check(len(dead) == 1 and dead[0]["destination"] == rx.url("/broken"), dead)
        out = site.clickctl("deadletters", "list").stdout
        check(rx.url("/broken") in out, "clickctl deadletters list: " + out)
        # The receiver is fixed; the operator retries the dead letter.
        rx.answer("/broken", 200)
        site.clickctl("deadletters", "retry", str(dead[0]["id"]))
        wait_for("the retried delivery", lambda: len(rx.got("/broken")) >= 2)
        wait_for("the dead-letter list empty", lambda: site.get("/deadletters")["items"] == [])
        check(len(rx.json("/errors")) == 1, "one error message per rule per message")
    finally:
        site.cleanup()
        rx.close()


def test_republish_reaches_a_subscriber():
    site = Site("republish").start()
    try:
        create_rule(site, "alert", [{"type": "republish", "topic": "alerts/${topic(2)}",
                                     "qos": 1}])
        conf = open(os.path.join(site.data, "mosquitto.conf")).read()
        local_port = [l.split()[1] for l in conf.splitlines()
                      if l.startswith("listener") and l.endswith("127.0.0.1")][-1]
        secret = open(os.path.join(site.data, "broker.secret")).read().strip()
        sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", local_port, "-u",
                                "clickd", "-P", secret, "-t", "alerts/#", "-C", "1", "-W", "20",
                                "-v"], stdout=subprocess.PIPE, text=True)
        try:
            wait_for("the subscriber", lambda: "alerts" in subprocess.run(
                ["sh", "-c", "grep -c 'subscribed\\|Subscribe\\|alerts' %s/mosquitto.log || true"
                 % site.data], capture_output=True, text=True).stdout or True)
            dev = site.device("dock-1", location="Dock 1")
            # Press until the subscriber has seen one (its subscription may
            # land after the first press).
            def delivered():
                if sub.poll() is None:
                    site.press(dev, "single")
                return sub.poll() is not None
            wait_for("the republished message", delivered, timeout=20, interval=0.5)
            line = sub.stdout.read().strip()
            topic, payload = line.split(" ", 1)
            check(topic == "alerts/dock-1", line)
            check(json.loads(payload)["thing"] == "dock-1", line)
        finally:
            sub.kill()
    finally:
        site.cleanup()


if __name__ == "__main__":
    run([test_webhook_delivered_with_idempotency_key_and_retries,
         test_permanent_failure_goes_to_error_action_and_can_be_retried,
         test_republish_reaches_a_subscriber])
