"""Dispatch over HTTP: logins, sessions, CSRF and roles; calls raised and
joined by presses; of many simultaneous claims exactly one wins; the
lifecycle and the button feedback; escalation after its delay, also across
a restart; live updates over SSE; the web app's static files."""

import http.client
import json
import os
import sys
import threading
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import Site, check, run, wait_for  # noqa: E402

PASSWORD = "correct horse battery"


def call(site, method, path, body=None, cookie=None, csrf=None, token=True):
    """One API request; returns (status, document, headers)."""
    url = "http://127.0.0.1:%d/api/v1%s" % (site.http_port, path)
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if cookie:
        req.add_header("Cookie", cookie)
    elif token:
        req.add_header("Authorization", "Bearer " + site.token())
    if csrf:
        req.add_header("X-CSRF-Token", csrf)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null"), r.headers
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null"), e.headers


def login(site, name, password=PASSWORD):
    status, doc, headers = call(site, "POST", "/auth/login",
                                {"username": name, "password": password}, token=False)
    check(status == 200, "login %s: %d %r" % (name, status, doc))
    cookie = headers["Set-Cookie"]
    check("HttpOnly" in cookie and "SameSite=Strict" in cookie, "cookie flags: " + cookie)
    return cookie.split(";")[0], doc["csrfToken"]


def make_user(site, name, role):
    status, doc, _ = call(site, "POST", "/users", {"name": name, "role": role, "password": PASSWORD})
    check(status == 201, "create user %s: %d %r" % (name, status, doc))


def setup_dispatch(site, after_seconds):
    status, doc, _ = call(site, "POST", "/kinds", {
        "name": "pickup", "template": "pallet-pickup",
        "escalations": {"unclaimed": {"afterSeconds": after_seconds, "repeatSeconds": 0,
                                      "notify": {"type": "republish", "topic": "ops/escalations"}}}})
    check(status == 201, "kind: %d %r" % (status, doc))
    status, doc, _ = call(site, "POST", "/rules", {
        "name": "pickup", "sql": "SELECT * FROM 'iotbutton/+'",
        "actions": [{"type": "workorder", "kind": "pickup"}]})
    check(status == 201, "rule: %d %r" % (status, doc))


def open_calls(site):
    return call(site, "GET", "/calls?status=open")[1]["items"]


def test_login_and_roles():
    site = Site("auth").start()
    try:
        make_user(site, "ann", "driver")
        make_user(site, "sue", "supervisor")
        status, doc, _ = call(site, "POST", "/users", {"name": "bad", "role": "king",
                                                        "password": PASSWORD})
        check(status == 400, "unknown role accepted: %d" % status)
        status, doc, _ = call(site, "POST", "/users", {"name": "short", "role": "driver",
                                                        "password": "2short"})
        check(status == 400, "short password accepted: %d" % status)

        cookie, csrf = login(site, "ann")
        status, doc, _ = call(site, "GET", "/auth/session", cookie=cookie)
        check(status == 200 and doc["user"] == {"name": "ann", "role": "driver"}, repr(doc))
        check(call(site, "GET", "/calls", cookie=cookie)[0] == 200, "driver cannot list calls")
        status, doc, _ = call(site, "GET", "/rules", cookie=cookie)
        check(status == 403 and doc["error"]["code"] == "forbidden", "driver read rules: %d" % status)
        status, doc, _ = call(site, "POST", "/kinds", {"name": "x", "template": "andon"},
                              cookie=cookie, csrf=csrf)
        check(status == 403, "driver created a kind: %d" % status)
        status, doc, _ = call(site, "POST", "/auth/logout", {}, cookie=cookie)
        check(status == 403 and doc["error"]["code"] == "csrf", "write without CSRF: %d %r" % (status, doc))

        scookie, scsrf = login(site, "sue")
        check(call(site, "GET", "/rules", cookie=scookie)[0] == 200, "supervisor cannot read rules")
        check(call(site, "GET", "/users", cookie=scookie)[0] == 403, "supervisor read users")
        check(call(site, "GET", "/users")[0] == 200, "the bearer token is not admin")

        status, doc, _ = call(site, "POST", "/auth/logout", {}, cookie=cookie, csrf=csrf)
        check(status == 200, "logout: %d" % status)
        check(call(site, "GET", "/calls", cookie=cookie)[0] == 401, "session survived logout")

        status, doc, _ = call(site, "POST", "/auth/login", {"username": "ann", "password": "wrong-one"},
                              token=False)
        check(status == 401, "wrong password: %d" % status)
        for _ in range(5):
            status, doc, headers = call(site, "POST", "/auth/login",
                                        {"username": "sue", "password": "wrong-one"}, token=False)
            check(status == 401, "failed login: %d" % status)
        status, doc, headers = call(site, "POST", "/auth/login",
                                    {"username": "sue", "password": "wrong-one"}, token=False)
        check(status == 429 and int(headers["Retry-After"]) > 0, "no lockout: %d" % status)
        status, doc, _ = call(site, "POST", "/auth/login", {"username": "sue", "password": PASSWORD},
                              token=False)
        check(status == 429, "locked-out user logged in: %d" % status)
        check("correct horse" not in site.log_text(), "a password reached the log")
    finally:
        site.cleanup()


def test_calls_claims_escalation_stream():
    site = Site("calls").start()
    try:
        setup_dispatch(site, after_seconds=1)
        drivers = ["d%02d" % i for i in range(12)]
        for d in drivers:
            make_user(site, d, "driver")
        sessions = [login(site, d) for d in drivers]
        dock = site.device("dock-1", location="Dock 1")

        # A stream opened before the press sees it.
        conn = http.client.HTTPConnection("127.0.0.1", site.http_port, timeout=10)
        conn.request("GET", "/api/v1/stream", headers={"Authorization": "Bearer " + site.token()})
        stream = conn.getresponse()
        check(stream.status == 200 and stream.headers["Content-Type"].startswith("text/event-stream"),
              "stream: %d" % stream.status)

        def next_event(name):
            event = None
            while True:
                line = stream.fp.readline().decode().rstrip("\n")
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == name:
                    return json.loads(line[6:])

        next_event("hello")
        check(site.press(dock, "single").returncode == 0, "press failed")
        created = next_event("call.created")
        check(created["call"]["location"] == "Dock 1" and created["call"]["presses"] == 1, repr(created))
        cid = created["call"]["id"]

        check(site.press(dock, "single").returncode == 0, "second press failed")
        wait_for("the press to join the call", lambda: open_calls(site) and open_calls(site)[0]["presses"] == 2)
        check(len(open_calls(site)) == 1, "a repeated press created another call")

        # Escalation after its delay (1 s): a notice in the outbox.
        wait_for("the escalation", lambda: call(site, "GET", "/calls/%d" % cid)[1]["escalations"] >= 1,
                 timeout=15)
        outbox = call(site, "GET", "/outbox?thing=dock-1")[1]["items"]
        check(any(e["destination"] == "ops/escalations" for e in outbox), "no escalation notice")
        check(any(e["destination"] == "iotbutton/dock-1/feedback" for e in outbox), "no feedback")

        # Many simultaneous claims: exactly one wins.
        results = []
        barrier = threading.Barrier(len(sessions))

        def claim(s):
            barrier.wait()
            results.append(call(site, "POST", "/calls/%d/claim" % cid, {}, cookie=s[0], csrf=s[1])[0])

        threads = [threading.Thread(target=claim, args=(s,)) for s in sessions]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        check(sorted(results).count(200) == 1 and results.count(409) == len(sessions) - 1,
              "claims: %r" % results)
        winner = call(site, "GET", "/calls/%d" % cid)[1]["claimedBy"]
        ws = sessions[drivers.index(winner)]
        loser = sessions[(drivers.index(winner) + 1) % len(sessions)]
        status, _, _ = call(site, "POST", "/calls/%d/resolve" % cid, {"reason": "done"},
                            cookie=loser[0], csrf=loser[1])
        check(status == 403, "another driver resolved the call: %d" % status)
        status, doc, _ = call(site, "POST", "/calls/%d/resolve" % cid, {}, cookie=ws[0], csrf=ws[1])
        check(status == 400, "resolve without a reason: %d" % status)
        check(call(site, "POST", "/calls/%d/arrive" % cid, {}, cookie=ws[0], csrf=ws[1])[0] == 200, "arrive")
        status, doc, _ = call(site, "POST", "/calls/%d/resolve" % cid, {"reason": "picked up"},
                              cookie=ws[0], csrf=ws[1])
        check(status == 200 and doc["status"] == "resolved" and doc["closureReason"] == "picked up",
              "resolve: %d %r" % (status, doc))
        check(call(site, "POST", "/calls/%d/claim" % cid, {}, cookie=ws[0], csrf=ws[1])[0] == 409,
              "a resolved call was claimed")
        wait_for("the feedback to be delivered",
                 lambda: all(e["state"] == "done" for e in call(site, "GET", "/outbox?thing=dock-1")[1]["items"]
                             if e["destination"] == "iotbutton/dock-1/feedback"))
        check(next_event("call.updated")["call"]["id"] == cid, "no update event")
        conn.close()

        report = call(site, "GET", "/reports/calls?by=location")[1]
        check(report["items"][0]["key"] == "Dock 1" and report["items"][0]["resolved"] == 1, repr(report))

        # Escalation across a restart: raised, clickd stopped before it is due.
        status, doc, _ = call(site, "PUT", "/kinds/pickup", {
            "template": "pallet-pickup",
            "escalations": {"unclaimed": {"afterSeconds": 3, "notify": {
                "type": "republish", "topic": "ops/escalations"}}}})
        check(status == 200, "kind update: %d %r" % (status, doc))
        check(site.press(dock, "long").returncode == 0, "third press failed")
        fresh = wait_for("a new call", lambda: [c for c in open_calls(site) if c["id"] != cid])[0]
        check(fresh["priority"] == "urgent" and fresh["escalations"] == 0, repr(fresh))
        site.stop()
        site.start()
        wait_for("the escalation after the restart",
                 lambda: call(site, "GET", "/calls/%d" % fresh["id"])[1]["escalations"] == 1, timeout=15)
    finally:
        site.cleanup()


def test_static_files():
    site = Site("web")
    web = os.path.join(site.tmp, "web")
    os.makedirs(os.path.join(web, "js"))
    with open(os.path.join(web, "index.html"), "w") as f:
        f.write("<!doctype html><title>clickd</title>")
    with open(os.path.join(web, "js", "app.js"), "w") as f:
        f.write("export const x = 1;\n")
    with open(os.path.join(site.tmp, "secret.txt"), "w") as f:
        f.write("secret")
    os.symlink(os.path.join(site.tmp, "secret.txt"), os.path.join(web, "link.txt"))
    site.start(extra=["--web-dir", web])
    try:
        def get(path):
            conn = http.client.HTTPConnection("127.0.0.1", site.http_port, timeout=5)
            conn.request("GET", path)
            r = conn.getresponse()
            body = r.read()
            conn.close()
            return r.status, r.headers, body

        status, headers, body = get("/")
        check(status == 200 and headers["Content-Type"].startswith("text/html") and b"clickd" in body,
              "index: %d" % status)
        check("default-src 'self'" in headers["Content-Security-Policy"], "no CSP")
        status, headers, body = get("/app/js/app.js")
        check(status == 200 and headers["Content-Type"].startswith("text/javascript"), "js: %d" % status)
        status, headers, body = get("/app/driver")
        check(status == 200 and b"clickd" in body, "client route: %d" % status)
        for bad in ["/app/../secret.txt", "/app/%2e%2e/secret.txt", "/app/link.txt", "/app/.hidden",
                    "/app/js/../../secret.txt"]:
            status, headers, body = get(bad)
            check(status == 404 and b"secret" not in body, "%s: %d" % (bad, status))
    finally:
        site.cleanup()


if __name__ == "__main__":
    run([test_login_and_roles, test_calls_claims_escalation_stream, test_static_files])
