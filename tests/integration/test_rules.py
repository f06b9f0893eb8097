"""Rules as data: create, replace, enable, disable, show and delete through
clickctl and the HTTP API, against a running clickd; an invalid rule is
refused with the parser's position and the previous version stays in
force."""

import json

from harness import Site, check, run, wait_for

SINGLE = "SELECT * FROM 'iotbutton/+' WHERE clickType = 'SINGLE'"
DOUBLE = "SELECT * FROM 'iotbutton/+' WHERE clickType = 'DOUBLE'"


def count_after_press(site, dev, click, before):
    """Presses, waits until clickd has recorded the event, returns the
    number of work orders then."""
    check(site.press(dev, click).returncode == 0, "press failed")
    wait_for("the event", lambda: len(site.events()) > before)
    return len(site.workorders())


def test_rule_lifecycle():
    site = Site("rules").start()
    try:
        dev = site.device("dock-1", location="Dock 1")
        r = site.clickctl("rules", "create", "pickup", "--sql", "SELECT * FORM 'x'",
                          "--action", "workorder", check_rc=False)
        check(r.returncode == 1 and "line 1, column" in r.stderr, "bad SQL: %r" % r.stderr)
        check(site.get("/rules")["items"] == [], "an invalid rule was stored")

        site.clickctl("rules", "create", "pickup", "--sql", SINGLE, "--action", "workorder",
                      "--kind", "pickup")
        n = count_after_press(site, dev, "single", 0)
        check(n == 1, "single press: %d work orders" % n)

        # An invalid replacement is refused; the old rule keeps working.
        r = site.clickctl("rules", "replace", "pickup", "--sql", "SELECT * FROM 'a/#/b'",
                          "--action", "workorder", check_rc=False)
        check(r.returncode == 1, "invalid replace accepted: %r" % r.stdout)
        check(site.get("/rules/pickup")["sql"] == SINGLE, "invalid replace changed the rule")
        n = count_after_press(site, dev, "single", 1)
        check(n == 2, "old rule not in force after refused replace: %d" % n)

        # A valid replacement takes effect for the next press.
        site.clickctl("rules", "replace", "pickup", "--sql", DOUBLE, "--actions-json",
                      '[{"type":"workorder","kind":"double-call"}]')
        rule = json.loads(site.clickctl("rules", "show", "pickup").stdout)
        check(rule["sql"] == DOUBLE and rule["updatedAt"], rule)
        n = count_after_press(site, dev, "single", 2)
        check(n == 2, "replaced rule still acted on SINGLE")
        n = count_after_press(site, dev, "double", 3)
        check(n == 3, "replaced rule did not act on DOUBLE")
        check(site.workorders()[0]["kind"] == "double-call", site.workorders()[0])

        site.clickctl("rules", "disable", "pickup")
        check(site.get("/rules/pickup")["enabled"] is False, "not disabled")
        n = count_after_press(site, dev, "double", 4)
        check(n == 3, "disabled rule acted")
        site.clickctl("rules", "enable", "pickup")
        n = count_after_press(site, dev, "double", 5)
        check(n == 4, "enabled rule did not act")

        site.clickctl("rules", "delete", "pickup")
        status, _ = site.request("GET", "/rules/pickup")
        check(status == 404, "deleted rule still there")
        n = count_after_press(site, dev, "double", 6)
        check(n == 4, "deleted rule acted")
        r = site.clickctl("rules", "delete", "pickup", check_rc=False)
        check(r.returncode == 1 and "no such rule" in r.stderr, r.stderr)
    finally:
        site.cleanup()


def test_rule_validation_over_http():
    site = Site("rulesapi").start()
    try:
        base = {"name": "r1", "sql": SINGLE, "actions": [{"type": "workorder"}]}
        cases = [
            (dict(base, actions=[]), 400, "bad_request"),
            (dict(base, actions=[{"type": "teleport"}]), 400, "bad_request"),
            (dict(base, errorAction={"type": "teleport"}), 400, "bad_request"),
            (dict(base, sqlVersion="1999-01-01"), 400, "bad_request"),
            (dict(base, name="bad name"), 400, "bad_request"),
            (dict(base, sql="SELECT * FROM"), 400, "invalid_sql"),
        ]
        for body, want, code in cases:
            status, doc = site.request("POST", "/rules", body)
            check(status == want and doc["error"]["code"] == code,
                  "%r -> %d %r" % (body, status, doc))
        status, doc = site.request("POST", "/rules", dict(base, errorAction={"type": "workorder", "kind": "rule-error"}))
        check(status == 201 and doc["errorAction"]["kind"] == "rule-error", doc)
        status, _ = site.request("POST", "/rules", base)
        check(status == 409, "duplicate rule name accepted")
        status, _ = site.request("PUT", "/rules/nosuch", dict(base, name="nosuch"))
        check(status == 404, "replace of a missing rule")
        status, _ = site.request("PATCH", "/rules/r1", base)
        check(status == 405, "PATCH should be 405")
    finally:
        site.cleanup()


if __name__ == "__main__":
    run([test_rule_lifecycle, test_rule_validation_over_http])
