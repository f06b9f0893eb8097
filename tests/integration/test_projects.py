"""Integration test of the 1-Click model: projects with device slots and
default attributes, placements with their own attributes, a thing assigned
to a slot; a press is located by its placement, reassigning the thing moves
the next press, and a rule on iot1click/<project>/<placement> receives the
AWS 1-Click Lambda event exactly (aws-model.md §2.1)."""

import json
import re

from harness import Site, check, run, wait_for
from receiver import Receiver


def ok(site, method, path, body=None, want=200):
    status, doc = site.request(method, path, body)
    check(status == want, "%s %s: %d %r" % (method, path, status, doc))
    return doc


def test_press_located_by_placement_and_oneclick_event():
    rx = Receiver()
    site = Site("projects").start()
    try:
        dev = site.device("btn-1", location="thing's own place")
        ok(site, "POST", "/rules", {
            "name": "pickup",
            "sql": "SELECT * FROM 'iotbutton/+'",
            "actions": [{"type": "workorder", "kind": "pickup"}]}, 201)
        ok(site, "POST", "/rules", {
            "name": "oneclick",
            "sql": "SELECT * FROM 'iot1click/plant/+'",
            "actions": [{"type": "webhook", "url": rx.url("/1click")}]}, 201)

        # Before any placement: the thing's own location, no 1-Click event.
        check(site.press(dev, "single").returncode == 0, "first press failed")
        wait_for("the first work order", lambda: len(site.workorders()) == 1)
        check(site.workorders()[0]["location"] == "thing's own place", site.workorders())

        ok(site, "POST", "/projects", {
            "projectName": "plant", "description": "docks",
            "placementTemplate": {
                "defaultAttributes": {"location": "somewhere", "equipment": "forklift"},
                "deviceTemplates": {"caller": {"deviceType": "button"}}}}, 201)
        r = site.clickctl("placements", "create", "plant", "dock-a", "--attr", "location=Dock A",
                          "--attr", "phone=+100")
        check("created" in r.stdout, r.stdout)
        ok(site, "POST", "/projects/plant/placements",
           {"placementName": "dock-b", "attributes": {"location": "Dock B"}}, 201)
        # Bad input is refused and changes nothing.
        status, _ = site.request("PUT", "/projects/plant/placements/dock-a/devices/nope",
                                 {"deviceId": "btn-1"})
        check(status == 400, "an unknown slot was accepted: %d" % status)
        status, _ = site.request("POST", "/projects", {"projectName": "bad name!",
                                 "placementTemplate": {"deviceTemplates": {"a": {}}}})
        check(status == 400, "a bad project name was accepted: %d" % status)
        site.clickctl("placements", "assign", "plant", "dock-a", "caller", "btn-1")
        status, _ = site.request("PUT", "/projects/plant/placements/dock-b/devices/caller",
                                 {"deviceId": "btn-1"})
        check(status == 409, "a thing took two slots: %d" % status)
        status, _ = site.request("DELETE", "/projects/plant/placements/dock-a")
        check(status == 409, "a placement holding a device was deleted: %d" % status)
        shown = ok(site, "GET", "/projects/plant/placements/dock-a")
        check(shown["devices"] == {"caller": "btn-1"}, shown)

        check(site.press(dev, "double", "--battery-mv", "2500").returncode == 0, "press failed")
        wait_for("the second work order", lambda: len(site.workorders()) == 2)
        check(site.workorders()[0]["location"] == "Dock A", site.workorders()[0])

        ev = wait_for("the 1-Click event", lambda: rx.json("/1click"))[0]
        reported = ev["deviceEvent"]["buttonClicked"].pop("reportedTime")
        check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", reported), reported)
        check(list(ev) == ["deviceInfo", "deviceEvent", "placementInfo"], list(ev))
        check(ev == {
            "deviceInfo": {
                "deviceId": "btn-1", "type": "button", "remainingLife": 50,
                "attributes": {"projectRegion": "local", "projectName": "plant",
                               "placementName": "dock-a", "deviceTemplateName": "caller"}},
            "deviceEvent": {"buttonClicked": {"clickType": "DOUBLE"}},
            "placementInfo": {
                "projectName": "plant", "placementName": "dock-a",
                "attributes": {"location": "Dock A", "equipment": "forklift", "phone": "+100"},
                "devices": {"caller": "btn-1"}}}, json.dumps(ev))

        # Reassign: the next press is at Dock B.
        site.clickctl("placements", "unassign", "plant", "dock-a", "caller")
        site.clickctl("placements", "assign", "plant", "dock-b", "caller", "btn-1")
        check(site.press(dev, "single").returncode == 0, "press failed")
        wait_for("the third work order", lambda: len(site.workorders()) == 3)
        check(site.workorders()[0]["location"] == "Dock B", site.workorders()[0])
        evs = wait_for("the second 1-Click event", lambda: len(rx.json("/1click")) == 2
                       and rx.json("/1click"))
        check(evs[1]["placementInfo"]["placementName"] == "dock-b", evs[1])

        # An emptied placement location falls back to the project's default.
        site.clickctl("placements", "update", "plant", "dock-b", "--attr", "location=")
        check(site.press(dev, "single").returncode == 0, "press failed")
        wait_for("the fourth work order", lambda: len(site.workorders()) == 4)
        check(site.workorders()[0]["location"] == "somewhere", site.workorders()[0])
        # Usage is metered per project: the three presses made while placed.
        per_project = {c["key"]: c["value"] for c in site.get("/usage")["counters"]
                       if c["scope"] == "project" and c["metric"] == "project_messages"}
        check(per_project == {"plant": 3}, "usage per project: %r" % per_project)
        listed = json.loads(site.clickctl("--json", "projects", "list").stdout)["items"]
        check([p["projectName"] for p in listed] == ["plant"] and listed[0]["placements"] == 2,
              listed)
        # The tables show each project's slots and defaults, each placement's
        # devices and attributes (the two once shared buffers, and the
        # project table printed "-" for slots and defaults).
        table = site.clickctl("projects", "list").stdout.splitlines()
        check(table[0].split() == ["PROJECT", "SLOTS", "PLACEMENTS", "DEFAULTS"], table)
        row = table[1].split()
        check(row[:3] == ["plant", "caller", "2"] and "location=somewhere" in row and
              "equipment=forklift" in row, table)
        placements = site.clickctl("placements", "list", "plant").stdout
        check("dock-a" in placements and "phone=+100" in placements, placements)
        status, _ = site.request("DELETE", "/projects/plant")
        check(status == 409, "a project with placements was deleted: %d" % status)
        site.clickctl("placements", "unassign", "plant", "dock-b", "caller")
        site.clickctl("placements", "delete", "plant", "dock-a")
        site.clickctl("placements", "delete", "plant", "dock-b")
        site.clickctl("projects", "delete", "plant")
        check(ok(site, "GET", "/projects")["items"] == [], "project not deleted")
    finally:
        site.cleanup()
        rx.close()


if __name__ == "__main__":
    run([test_press_located_by_placement_and_oneclick_event])
