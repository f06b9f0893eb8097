"""Functions: a rule's "function" action runs a Lua function asynchronously
through the outbox; its calls into clickd are checked against its policy;
failures are retried twice and then sent to onFailure with the AWS record;
exec functions get the event on stdin and answer on stdout; runs and logs
are shown by clickctl functions logs."""

import json
import os
import sys

from harness import Site, check, run, wait_for
from receiver import Receiver

SINGLE = "SELECT * FROM 'iotbutton/+' WHERE clickType = 'SINGLE'"


def runs(site, name):
    return site.get("/functions/%s/runs" % name)["items"]


def test_rule_runs_lua_function_with_policy():
    rx = Receiver()
    site = Site("fn-lua").start()
    try:
        code = (
            "function handler(event, ctx)\n"
            "  log('press', event.clickType, 'from', event.serialNumber)\n"
            "  local w = workorder.create{kind = 'lua-pickup', location = 'Dock 9'}\n"
            "  http.request{url = '%s', body = {order = w.id, click = event.clickType}}\n"
            "  local ok, err = pcall(publish, 'not/allowed', 'x')\n"
            "  log('publish allowed:', ok)\n"
            "  return {order = w.id}\n"
            "end\n" % rx.url("/fn"))
        status, doc = site.request("POST", "/functions", {
            "name": "lua-1", "runtime": "lua", "code": code,
            "policy": {"allow": ["workorder.create:lua-*", "http.request:%s*" % rx.url("/")]}})
        check(status == 201, "create: %d %r" % (status, doc))
        status, doc = site.request("POST", "/rules", {
            "name": "to-fn", "sql": SINGLE,
            "actions": [{"type": "function", "function": "lua-1"}]})
        check(status == 201, "rule: %d %r" % (status, doc))
        dev = site.device("dock-9")
        check(site.press(dev, "single").returncode == 0, "press failed")
        got = wait_for("the function's http.request", lambda: rx.got("/fn"), timeout=20)
        body = json.loads(got[0]["body"])
        check(body["click"] == "SINGLE" and body["order"] >= 1, body)
        wos = site.workorders()
        check([w["kind"] for w in wos] == ["lua-pickup"], wos)
        r = wait_for("the run", lambda: runs(site, "lua-1"))
        check(r[0]["status"] == "ok" and r[0]["trigger"] == "rule to-fn", r[0])
        check("press SINGLE" in r[0]["log"], r[0]["log"])
        check('DENIED publish on "not/allowed"' in r[0]["log"], r[0]["log"])
        check("publish allowed: false" in r[0]["log"], r[0]["log"])
        out = site.clickctl("functions", "logs", "lua-1").stdout
        check("DENIED publish" in out and "ok" in out, out)
        # A call the policy does not allow, unhandled, fails the run; clickctl says so.
        status, _ = site.request("PUT", "/functions/lua-1", {
            "runtime": "lua", "code": "queue.send('orders', 'x')"})
        check(status == 200, "replace")
        r = site.clickctl("functions", "invoke", "lua-1", check_rc=False)
        check(r.returncode == 1 and "does not allow queue.send" in r.stderr, r.stderr)
        # Escapes are refused with a clear error.
        site.request("PUT", "/functions/lua-1", {"runtime": "lua",
                                                 "code": "return os.execute('id')"})
        status, doc = site.request("POST", "/functions/lua-1/invocations", {})
        check(status == 200 and doc["status"] == "error" and "execute" in doc["error"], doc)
        site.request("PUT", "/functions/lua-1", {"runtime": "lua", "timeoutSeconds": 1,
                                                 "code": "while true do end"})
        status, doc = site.request("POST", "/functions/lua-1/invocations", {})
        check(doc["status"] in ("instructions", "timeout"), doc)
        status, doc = site.request("POST", "/functions", {"name": "bad", "runtime": "lua",
                                                          "code": "\x1bLua"})
        check(status == 400 and "bytecode" in doc["error"]["message"], doc)
    finally:
        site.cleanup()
        rx.close()


def test_async_retries_then_on_failure():
    rx = Receiver()
    site = Site("fn-retry").start(extra=["--function-retry-ms", "200"])
    try:
        status, doc = site.request("POST", "/functions", {
            "name": "flaky", "runtime": "lua", "code": "error('boom ' .. context.attempt)",
            "onFailure": {"type": "webhook", "url": rx.url("/failed")}})
        check(status == 201, "create: %d %r" % (status, doc))
        status, doc = site.request("POST", "/functions/flaky/invocations?mode=async",
                                   {"clickType": "DOUBLE"})
        check(status == 202, "async: %d %r" % (status, doc))
        got = wait_for("the onFailure record", lambda: rx.got("/failed"), timeout=20)
        rec = json.loads(got[0]["body"])
        check(rec["requestContext"]["condition"] == "RetriesExhausted", rec)
        check(rec["requestContext"]["approximateInvokeCount"] == 3, rec)
        check(rec["requestPayload"] == {"clickType": "DOUBLE"}, rec)
        check("boom 3" in rec["responsePayload"]["errorMessage"], rec)
        r = runs(site, "flaky")
        check(sorted(x["attempt"] for x in r) == [1, 2, 3], r)
        check(all(x["requestId"] == doc["requestId"] for x in r), r)
        check(site.get("/deadletters")["items"] == [], "onFailure took it: nothing dead")
    finally:
        site.cleanup()
        rx.close()


def test_exec_function():
    site = Site("fn-exec").start()
    try:
        script = os.path.join(site.tmp, "handler.py")
        with open(script, "w") as f:
            f.write("import json, os, sys\n"
                    "e = json.load(sys.stdin)\n"
                    "print('got', e['clickType'], file=sys.stderr)\n"
                    "print(json.dumps({'click': e['clickType'], 'greeting': os.environ['GREETING'],"
                    " 'fn': os.environ['CLICKD_FUNCTION'], 'home': os.environ.get('HOME'),"
                    " 'clickd': [{'call': 'queue.send', 'queue': 'q', 'body': 'x'}]}))\n")
        defn = os.path.join(site.tmp, "exec.json")
        with open(defn, "w") as f:
            json.dump({"runtime": "exec", "command": [sys.executable, script],
                       "environment": {"GREETING": "hello"}, "timeoutSeconds": 10}, f)
        site.clickctl("functions", "create", "ex", "--definition-file", defn)
        check("ex" in site.clickctl("functions", "list").stdout, "listed")
        r = site.clickctl("functions", "invoke", "ex", "--payload", '{"clickType":"LONG"}',
                          check_rc=False)
        # The queue.send in its result is denied (empty policy): the run fails, logged.
        check(r.returncode == 1 and "does not allow queue.send" in r.stderr, r.stderr)
        logs = site.clickctl("functions", "logs", "ex").stdout
        check("got LONG" in logs and "DENIED queue.send" in logs, logs)
        with open(defn, "w") as f:
            json.dump({"runtime": "exec", "command": [sys.executable, "-c",
                       "import json,os,sys; e=json.load(sys.stdin);"
                       "print(json.dumps({'click': e['clickType'], 'g': os.environ['GREETING'],"
                       " 'home': os.environ.get('HOME')}))"],
                       "environment": {"GREETING": "hello"}}, f)
        site.clickctl("functions", "update", "ex", "--definition-file", defn)
        r = site.clickctl("functions", "invoke", "ex", "--payload", '{"clickType":"LONG"}')
        check(json.loads(r.stdout) == {"click": "LONG", "g": "hello", "home": None}, r.stdout)
        with open(defn, "w") as f:
            json.dump({"runtime": "exec", "command": ["/bin/sleep", "30"],
                       "timeoutSeconds": 1}, f)
        site.clickctl("functions", "update", "ex", "--definition-file", defn)
        status, doc = site.request("POST", "/functions/ex/invocations", {})
        check(doc["status"] == "timeout", doc)
        site.clickctl("functions", "delete", "ex")
        status, _ = site.request("GET", "/functions/ex")
        check(status == 404, "deleted")
    finally:
        site.cleanup()


if __name__ == "__main__":
    run([test_rule_runs_lua_function_with_policy, test_async_retries_then_on_failure,
         test_exec_function])
