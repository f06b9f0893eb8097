"""Device health in the live stream and call windows in the API: a press
announces the thing (thing.updated, replayed after Last-Event-ID);
GET /calls?from=&to= is a half-open window of created times with paging;
reports group by closure reason and narrow to one kind."""

import http.client
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Site, check, run, wait_for  # noqa: E402
from test_dispatch import call, open_calls, setup_dispatch  # noqa: E402


def open_stream(site, last_event_id=None):
    """A live stream and a function returning (id, data) of its next event called name."""
    conn = http.client.HTTPConnection("127.0.0.1", site.http_port, timeout=10)
    headers = {"Authorization": "Bearer " + site.token()}
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    conn.request("GET", "/api/v1/stream", headers=headers)
    stream = conn.getresponse()
    check(stream.status == 200, "stream: %d" % stream.status)

    def next_event(name):
        event, eid = None, None
        while True:  # each read has the connection's 10 s deadline
            line = stream.fp.readline().decode().rstrip("\n")
            if line.startswith("id: "):
                eid = int(line[4:])
            elif line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == name:
                return eid, json.loads(line[6:])
            elif line == "":
                event, eid = None, None

    return conn, next_event


def test_thing_updated():
    site = Site("health").start()
    try:
        setup_dispatch(site, after_seconds=300)
        dock = site.device("dock-1", location="Dock 1")
        conn, next_event = open_stream(site)
        _, hello = next_event("hello")
        # DOUBLE cancels; with no call open it changes only the thing.
        check(site.press(dock, "double", "--battery-mv", "2900").returncode == 0, "press failed")
        eid, doc = next_event("thing.updated")
        t = doc["thing"]
        check(t["name"] == "dock-1" and t["batteryMv"] == 2900 and t["enabled"] is True
              and isinstance(t["lastSeenAt"], int), repr(doc))
        conn.close()
        # Replay from before it: the same event, with the same id.
        conn, next_event = open_stream(site, last_event_id=hello["seq"])
        again, doc = next_event("thing.updated")
        check(again == eid and doc["thing"]["name"] == "dock-1", "replay: %r %r" % (again, doc))
        conn.close()
    finally:
        site.cleanup()


def test_call_window_and_reports():
    site = Site("windows").start()
    try:
        setup_dispatch(site, after_seconds=300)
        status, doc, _ = call(site, "POST", "/kinds", {"name": "svc", "template": "service-request"})
        check(status == 201, "kind svc: %d %r" % (status, doc))
        status, doc, _ = call(site, "POST", "/rules", {
            "name": "svc", "sql": "SELECT * FROM 'iotbutton/desk-1'",
            "actions": [{"type": "workorder", "kind": "svc"}]})
        check(status == 201, "rule svc: %d %r" % (status, doc))
        dock = site.device("dock-1", location="Dock 1")
        desk = site.device("desk-1", location="Desk 1")
        for dev in (dock, desk, dock):
            check(site.press(dev, "long").returncode == 0, "press failed")
        # The desk press raises two calls (both rules match it); the second
        # dock press joins the first. Wait for the join, not just a count,
        # or the test could resolve the dock call before the join arrives.
        wait_for("three calls, the dock one joined",
                 lambda: len(open_calls(site)) == 3 and
                 any(c["location"] == "Dock 1" and c.get("presses") == 2
                     for c in open_calls(site)))
        calls = open_calls(site)
        svc = [c for c in calls if c["kind"] == "svc"][0]
        dock_call = [c for c in calls if c["location"] == "Dock 1"][0]
        check(call(site, "POST", "/calls/%d/cancel" % svc["id"], {"reason": "wrong button"})[0] == 200,
              "cancel")
        check(call(site, "POST", "/calls/%d/claim" % dock_call["id"], {})[0] == 200, "claim")
        check(call(site, "POST", "/calls/%d/resolve" % dock_call["id"], {"reason": "picked up"})[0] == 200,
              "resolve")

        # The window is half-open on createdAt, and pages like any list.
        latest = max(c["createdAt"] for c in calls)
        items = call(site, "GET", "/calls?from=%d" % latest)[1]["items"]
        check(sorted(c["id"] for c in items) == sorted(c["id"] for c in calls if c["createdAt"] >= latest),
              "from: %r" % items)
        items = call(site, "GET", "/calls?to=%d" % latest)[1]["items"]
        check(sorted(c["id"] for c in items) == sorted(c["id"] for c in calls if c["createdAt"] < latest),
              "to: %r" % items)
        seen, after = [], ""
        while True:
            page = call(site, "GET", "/calls?from=0&to=%d&limit=1%s" % (latest + 1, after))[1]
            seen += [c["id"] for c in page["items"]]
            if page["next"] is None:
                break
            after = "&after=%d" % page["next"]
        check(sorted(seen) == sorted(c["id"] for c in calls), "paged window: %r" % seen)
        check(call(site, "GET", "/calls?from=yesterday")[0] == 400, "a bad from is refused")

        # Closure reasons, for every kind and for one.
        report = call(site, "GET", "/reports/calls?by=closureReason")[1]
        by = {i["key"]: i for i in report["items"]}
        check(by["picked up"]["resolved"] == 1 and by["wrong button"]["cancelled"] == 1
              and by["(none)"]["open"] == 1, repr(report))
        report = call(site, "GET", "/reports/calls?by=closureReason&kind=svc")[1]
        check(report["kind"] == "svc" and [i["key"] for i in report["items"]] == ["wrong button"],
              repr(report))
        status, _, _ = call(site, "GET", "/reports/calls?by=kind&kind=nothing")
        check(status == 200, "an unknown kind is an empty report: %d" % status)
    finally:
        site.cleanup()


if __name__ == "__main__":
    run([test_thing_updated, test_call_window_and_reports])
