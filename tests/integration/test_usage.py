"""Live metering: a scripted run of presses through rules and webhooks,
after which every metered counter equals what the script did, exactly; and
clickctl cost usage shows it with the AWS equivalent."""

import json

from harness import Site, check, run, wait_for
from receiver import Receiver


def test_counters_equal_what_happened():
    rx = Receiver()
    site = Site("usage").start()
    try:
        status, doc = site.request("POST", "/rules", {
            "name": "pickup", "sql": "SELECT * FROM 'iotbutton/+' WHERE clickType = 'SINGLE'",
            "actions": [{"type": "workorder", "kind": "pickup"},
                        {"type": "webhook", "url": rx.url("/hook")}]})
        check(status == 201, doc)
        status, doc = site.request("POST", "/rules", {
            "name": "audit", "sql": "SELECT * FROM 'iotbutton/#'",
            "actions": [{"type": "workorder", "kind": "audit"}]})
        check(status == 201, doc)
        a = site.device("dock-1", location="Dock 1")
        b = site.device("dock-2", location="Dock 2")
        presses = [(a, "single"), (a, "double"), (b, "single"), (b, "long"), (a, "single")]
        for dev, click in presses:
            check(site.press(dev, click).returncode == 0, "press failed")
        wait_for("all webhooks", lambda: len(rx.got("/hook")) >= 3, timeout=20)
        wait_for("the webhook deliveries recorded",
                 lambda: site.get("/usage")["totals"].get("webhooks") == 3)
        u = site.get("/usage")
        t = u["totals"]
        singles = 3
        expect = {
            "messages": 5,
            "rule_triggers": 10,       # both rules' filters match every press
            "rule_matches": 5 + singles,
            "actions": singles * 2 + 5,
            "workorders": singles + 5,
            "webhooks": singles,
        }
        for k, v in expect.items():
            check(t.get(k) == v, "%s: metered %r, did %d (all: %r)" % (k, t.get(k), v, t))
        per_thing = {c["key"]: c["value"] for c in u["counters"]
                     if c["scope"] == "thing" and c["metric"] == "messages"}
        check(per_thing == {"dock-1": 3, "dock-2": 2}, per_thing)
        per_rule = {c["key"]: c["value"] for c in u["counters"]
                    if c["scope"] == "rule" and c["metric"] == "rule_matches"}
        check(per_rule == {"pickup": 3, "audit": 5}, per_rule)
        check(u["forecast"]["messages"] >= 5, u["forecast"])
        check(u["storageBytes"]["store"] > 0 and u["storageBytes"]["journal"] > 0, u)
        aws = u["aws"]
        lines = {l["name"]: l for l in aws["lines"]}
        check(lines["IoT Core messages"]["quantity"] == 5, aws)
        check(aws["monthToDate"] == "0.00" or aws["monthToDate"].startswith("0.00"), aws)
        out = site.clickctl("cost", "usage").stdout
        check("IoT Core messages" in out and "messages" in out, out)
        j = json.loads(site.clickctl("cost", "usage", "--json").stdout)
        check(j["aws"]["monthToDate"].startswith("0.0"), j["aws"])
        r = site.clickctl("cost", "usage", "--month", "May", check_rc=False)
        check(r.returncode == 2, "bad --month accepted")
    finally:
        site.cleanup()
        rx.close()


def test_functions_channels_queues_tables_metered():
    rx = Receiver()
    site = Site("usage2").start()
    try:
        status, doc = site.request("POST", "/channels", {"name": "alerts", "config": {
            "sms": {"provider": "twilio", "url": rx.url(""), "accountSid": "AC123",
                    "authToken": "tok-123456", "from": "+15550000000",
                    "pricePerSegmentUsd": 0.001}}})
        check(status == 201, doc)
        for sub in ({"protocol": "sms", "endpoint": "+15550001111"},
                    {"protocol": "webhook", "endpoint": rx.url("/chan")}):
            status, doc = site.request("POST", "/channels/alerts/subscriptions", sub)
            check(status == 201, doc)
        status, doc = site.request("POST", "/queues", {"name": "calls"})
        check(status == 201, doc)
        code = ("function handler(event)\n"
                "  queue.send('calls', event.clickType)\n"
                "  return {ok = true}\n"
                "end\n")
        status, doc = site.request("POST", "/functions", {
            "name": "fn", "runtime": "lua", "code": code,
            "policy": {"allow": ["queue.send:calls"]}})
        check(status == 201, doc)
        status, doc = site.request("POST", "/rules", {
            "name": "all", "sql": "SELECT * FROM 'iotbutton/+'",
            "actions": [{"type": "function", "function": "fn"},
                        {"type": "notify", "channel": "alerts", "message": "call ${clickType}"}]})
        check(status == 201, doc)
        dev = site.device("dock-1", location="Dock 1")
        for click in ("single", "double", "long"):
            check(site.press(dev, click).returncode == 0, "press failed")
        wait_for("three function runs", lambda: site.get("/usage")["totals"].get(
            "function_runs") == 3, timeout=30)
        wait_for("three webhook notifications", lambda: len(rx.got("/chan")) >= 3, timeout=30)
        t = site.get("/usage")["totals"]
        expect = {"messages": 3, "rule_matches": 3, "actions": 6, "function_runs": 3,
                  "notifications": 6, "sms_segments": 3, "webhooks": 3, "queue_ops": 3}
        for k, v in expect.items():
            check(t.get(k) == v, "%s: metered %r, did %d (all: %r)" % (k, t.get(k), v, t))
        check(t.get("function_ms", -1) >= 3, "function milliseconds: %r" % t)
        out = site.clickctl("cost", "usage").stdout
        check("Lambda requests" in out and "SNS SMS" in out, out)
    finally:
        site.cleanup()
        rx.close()


if __name__ == "__main__":
    run([test_counters_equal_what_happened, test_functions_channels_queues_tables_metered])
