"""Channels (the SNS counterpart) end to end with real receivers on loopback:
email to a real SMTP server (aiosmtpd, STARTTLS and AUTH required), SMS to a
Twilio-compatible gateway stand-in that records requests, signed webhooks,
device feedback to the button's own topic, filter policies, delivery status,
and the monthly spend cap: delivery stops exactly at the boundary, the 80%
warning reaches the admin channel, an over-cap SMS from a rule reaches the
rule's error action, and raising the cap resumes delivery."""

import base64
import email
import email.policy
import glob
import hashlib
import hmac
import json
import os
import subprocess
import urllib.parse

from harness import Site, check, free_port, run, wait_for
from receiver import Receiver

SMTP_PASSWORD = "smtp-pass-7f3a9c"
SMS_TOKEN = "gateway-token-51b2e8"
HOOK_SECRET = "webhook-secret-0123456789abcdef"
SMS_PATH = "/2010-04-01/Accounts/AC123/Messages.json"
DEBIAN_PYTHON = "/usr/bin/python3"


class Smtp:
    """aiosmtpd in its own process, with a self-signed certificate for 127.0.0.1."""

    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "mail")
        os.makedirs(self.dir)
        self.cert = os.path.join(tmp, "smtp.pem")
        key = os.path.join(tmp, "smtp.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj",
                        "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", key, "-out", self.cert],
                       check=True, capture_output=True)
        self.port = free_port()
        here = os.path.dirname(os.path.abspath(__file__))
        self.proc = subprocess.Popen([DEBIAN_PYTHON, "-W", "ignore", os.path.join(here, "smtp_server.py"),
                                      str(self.port), self.cert, key, "clickd", SMTP_PASSWORD,
                                      self.dir], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        check(line.strip() == "ready", "smtp server did not start: %r" % line)

    def messages(self):
        out = []
        for p in sorted(glob.glob(os.path.join(self.dir, "*.json"))):
            with open(p) as f:
                out.append(json.load(f))
        return out

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def sms_requests(rx):
    out = []
    for r in rx.got(SMS_PATH):
        form = {k: v[0] for k, v in urllib.parse.parse_qs(r["body"].decode()).items()}
        form["_auth"] = r["headers"].get("Authorization")
        out.append(form)
    return out


def deliveries(site, channel, message_id):
    return site.get("/channels/%s/deliveries?message=%d" % (channel, message_id))["items"]


def final(site, channel, message_id, n):
    """Waits until the message's n deliveries are all done or dead."""
    return wait_for("message %d delivered" % message_id,
                    lambda: (lambda d: len(d) == n and all(x["state"] != "pending" for x in d)
                             and d)(deliveries(site, channel, message_id)), timeout=20)


def publish(site, channel, message, **extra):
    body = dict(message=message, **extra)
    status, doc = site.request("POST", "/channels/%s/publish" % channel, body)
    check(status == 202, "publish: %d %r" % (status, doc))
    return doc


def test_channels_deliver_and_cap_stops_at_boundary():
    rx = Receiver()
    rx.answer(SMS_PATH, 201)
    site = Site("channels").start()
    smtp = Smtp(site.tmp)
    try:
        # The admin channel hears spend warnings.
        status, doc = site.request("POST", "/channels", {"name": "admin"})
        check(status == 201, "admin channel: %d %r" % (status, doc))
        site.clickctl("channels", "subscribe", "admin", "webhook", rx.url("/admin"))

        config = {
            "email": {"url": "smtp://127.0.0.1:%d" % smtp.port, "from": "clickd@example.com",
                      "username": "clickd", "password": SMTP_PASSWORD, "caFile": smtp.cert},
            "sms": {"provider": "twilio", "url": rx.url(""), "accountSid": "AC123",
                    "authToken": SMS_TOKEN, "from": "+15550000000",
                    "pricePerSegmentUsd": 0.01},
        }
        site.clickctl("channels", "create", "alerts", "--config-json", json.dumps(config),
                      "--monthly-usd", "0.03")
        view = site.get("/channels/alerts")
        text = json.dumps(view)
        check(SMTP_PASSWORD not in text and SMS_TOKEN not in text, "credentials shown: " + text)
        check(view["email"]["passwordSet"] is True and view["sms"]["authTokenSet"] is True, view)
        check(view["spend"]["state"] == "ok" and view["monthlyCapUsd"] == 0.03, view)

        # Bad input is refused and changes nothing.
        status, doc = site.request("POST", "/channels/alerts/subscriptions",
                                   {"protocol": "sms", "endpoint": "5550001111"})
        check(status == 400 and "E.164" in doc["error"]["message"], doc)
        status, doc = site.request("POST", "/channels/alerts/subscriptions",
                                   {"protocol": "email", "endpoint": "ops@example.com",
                                    "filterPolicy": {"severity": [{"regex": "x"}]}})
        check(status == 400 and "unknown operator" in doc["error"]["message"], doc)
        status, doc = site.request("PUT", "/channels/alerts/cap", {"monthlyUsd": -1})
        check(status == 400, doc)
        check(site.get("/channels/alerts/subscriptions")["items"] == [], "nothing subscribed")

        r = site.clickctl("channels", "subscribe", "alerts", "email", "ops@example.com",
                          "--filter-json", json.dumps({"severity": ["high", "critical"]}))
        check(json.loads(r.stdout)["protocol"] == "email", r.stdout)
        site.clickctl("channels", "subscribe", "alerts", "sms", "+15550001111")
        r = site.clickctl("channels", "subscribe", "alerts", "webhook", rx.url("/hook"),
                          "--secret", HOOK_SECRET, "--filter-json",
                          json.dumps({"floor": [{"numeric": [">=", 2]}],
                                      "severity": [{"exists": True}]}))
        check(json.loads(r.stdout)["secret"] == HOOK_SECRET, r.stdout)
        subs = site.get("/channels/alerts/subscriptions")["items"]
        check(all("secret" not in s for s in subs) and HOOK_SECRET not in json.dumps(subs),
              "secrets are shown once only")

        # A press runs the notify action: email, SMS and signed webhook.
        status, doc = site.request("POST", "/rules", {
            "name": "pickup",
            "sql": "SELECT clickType FROM 'iotbutton/+' WHERE clickType = 'SINGLE'",
            "actions": [{"type": "notify", "channel": "alerts",
                         "subject": "Pickup at ${topic(2)}",
                         "message": "Button ${topic(2)} pressed (${clickType}) at Dock 1",
                         "attributes": {"severity": "high", "floor": 3}}],
            "errorAction": {"type": "webhook", "url": rx.url("/errors")}})
        check(status == 201, "rule: %d %r" % (status, doc))
        dev = site.device("dock-1", location="Dock 1")
        check(site.press(dev, "single").returncode == 0, "press failed")

        mail = wait_for("the email", smtp.messages, timeout=20)[0]
        check(mail["tls"] is True and mail["auth"] is True, "STARTTLS and AUTH: %r" % mail)
        check(mail["rcpt_tos"] == ["ops@example.com"], mail)
        check(mail["mail_from"] == "clickd@example.com", mail)
        msg = email.message_from_string(mail["data"], policy=email.policy.default)
        check(msg["Subject"] == "Pickup at dock-1", msg["Subject"])
        check(msg["To"] == "<ops@example.com>" or "ops@example.com" in msg["To"], msg["To"])
        check("Button dock-1 pressed (SINGLE) at Dock 1" in msg.get_content(), msg.get_content())

        sms = wait_for("the SMS", lambda: sms_requests(rx), timeout=20)[0]
        check(sms["To"] == "+15550001111" and sms["From"] == "+15550000000", sms)
        check(sms["Body"] == "Button dock-1 pressed (SINGLE) at Dock 1", sms)
        auth = base64.b64encode(("AC123:" + SMS_TOKEN).encode()).decode()
        check(sms["_auth"] == "Basic " + auth, "gateway basic auth")

        hook = wait_for("the webhook", lambda: rx.got("/hook"), timeout=20)[0]
        ts = hook["headers"]["X-Clickd-Timestamp"]
        want = hmac.new(HOOK_SECRET.encode(), ts.encode() + b"." + hook["body"],
                        hashlib.sha256).hexdigest()
        check(hook["headers"]["X-Clickd-Signature"] == "v1=" + want, "signature verifies")
        note = json.loads(hook["body"])
        check(note["Type"] == "Notification" and note["Channel"] == "alerts", note)
        check(note["MessageAttributes"]["floor"] == {"Type": "Number", "Value": "3"}, note)
        check(note["Thing"] == "dock-1", note)
        check(hook["headers"]["Idempotency-Key"].startswith("1/pickup/0/s"), hook["headers"])

        # Filter policies: a low-severity message reaches only the SMS subscriber.
        doc = publish(site, "alerts", "Second SMS", attributes={"severity": "low"})
        check(doc["deliveries"] == 1 and doc["filtered"] == 2, doc)
        d = final(site, "alerts", doc["messageId"], 1)
        check(d[0]["protocol"] == "sms" and d[0]["state"] == "done" and d[0]["segments"] == 1, d)
        check(site.get("/channels/alerts/cap")["state"] == "ok", "under 80%")

        # The third SMS reaches the cap exactly (0.03 of 0.03): sent, and the
        # admin channel is warned (80% crossed).
        doc = publish(site, "alerts", "Third SMS")
        d = final(site, "alerts", doc["messageId"], 1)
        check(d[0]["state"] == "done", d)
        warn = wait_for("the 80% warning", lambda: rx.json("/admin"), timeout=20)
        check("alerts" in warn[0]["Message"] and "80%" in warn[0]["Message"], warn[0])
        cap = site.get("/channels/alerts/cap")
        check(cap["spentUsd"] == 0.03 and cap["state"] == "stopped" and cap["segments"] == 3,
              cap)
        check(site.get("/channels/alerts")["capWarning"] is True, "visible flag")

        # Beyond the cap: a press's SMS is not sent and reaches the error action.
        dev2 = site.device("dock-2")
        check(site.press(dev2, "single").returncode == 0, "second press failed")
        err = wait_for("the error action", lambda: rx.json("/errors"), timeout=20)[0]
        check(err["ruleName"] == "pickup" and len(err["failures"]) == 1, err)
        f = err["failures"][0]
        check(f["failedAction"] == "notify-sms" and f["failedResource"] == "+15550001111", f)
        check("monthly spend cap reached" in f["errorMessage"], f)
        check(len(sms_requests(rx)) == 3, "exactly three SMS reached the gateway")
        wait_for("the second email", lambda: len(smtp.messages()) == 2, timeout=20)
        dead = [x for x in site.get("/deadletters")["items"] if x["kind"] == "notify-sms"]
        check(len(dead) == 1 and "spend cap" in dead[0]["lastError"], dead)

        # Raising the cap resumes delivery at once, for new and retried SMS.
        r = site.clickctl("channels", "cap", "alerts", "--monthly-usd", "0.05")
        check("0.03 of 0.05" in r.stdout, r.stdout)
        doc = publish(site, "alerts", "Fourth SMS, after the raise")
        check(final(site, "alerts", doc["messageId"], 1)[0]["state"] == "done", "resumed")
        status, _ = site.request("POST", "/deadletters/%d/retry" % dead[0]["id"])
        check(status == 200, "retry")
        wait_for("the retried SMS", lambda: len(sms_requests(rx)) == 5, timeout=20)
        check(sms_requests(rx)[3]["Body"] == "Fourth SMS, after the raise", sms_requests(rx))
        cap = site.get("/channels/alerts/cap")
        check(cap["spentUsd"] == 0.05 and cap["state"] == "stopped", cap)

        r = site.clickctl("channels", "deliveries", "alerts")
        check("notify" not in r.stdout and "sms" in r.stdout and "done" in r.stdout, r.stdout)
        log = site.log_text()
        check(SMTP_PASSWORD not in log and SMS_TOKEN not in log and HOOK_SECRET not in log,
              "no secret in the log")
    finally:
        smtp.close()
        site.cleanup()
        rx.close()


def test_feedback_reaches_the_buttons_own_topic():
    site = Site("feedback").start()
    try:
        dev = site.device("desk-1")
        site.request("POST", "/channels", {"name": "buttons"})
        site.clickctl("channels", "subscribe", "buttons", "feedback")
        sub = subprocess.Popen(
            ["stdbuf", "-oL", "mosquitto_sub", "-h", "127.0.0.1", "-p", str(site.mqtt_port), "-V", "mqttv5",
             "-q", "1", "--cafile", os.path.join(dev, "ca.pem"),
             "--cert", os.path.join(dev, "cert.pem"), "--key", os.path.join(dev, "key.pem"),
             "-i", "desk-1", "-t", "iotbutton/desk-1/feedback", "-C", "1", "-W", "20", "-d"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out = []
        # The subscription is in place once the broker acknowledged it.
        wait_for("the device's subscription", lambda: (out.append(sub.stdout.readline()) or
                                                       "SUBACK" in out[-1]), timeout=15)
        doc = publish(site, "buttons", "blink", thing="desk-1")
        check(doc["deliveries"] == 1, doc)
        rest, _ = sub.communicate(timeout=30)
        check(sub.returncode == 0 and "blink" in rest.splitlines(), rest)
        d = final(site, "buttons", doc["messageId"], 1)
        check(d[0]["endpoint"] == "iotbutton/desk-1/feedback" and d[0]["state"] == "done", d)
        # Without a button to address, a feedback delivery is dead with a reason.
        doc = publish(site, "buttons", "on")
        d = final(site, "buttons", doc["messageId"], 1)
        check(d[0]["state"] == "dead" and "button" in d[0]["lastError"], d)
    finally:
        site.cleanup()


if __name__ == "__main__":
    run([test_channels_deliver_and_cap_stops_at_boundary,
         test_feedback_reaches_the_buttons_own_topic])
