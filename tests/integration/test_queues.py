"""Queues (the SQS counterpart) and tables (the DynamoDB counterpart)
against a real clickd: visibility timeout expiry and redelivery with a new
receipt handle (the old one refused), long-poll wake-up on send while the
API keeps answering, the dead-letter queue after the maximum receive count,
the queue and table rule actions in the ingest transaction, and the clickctl
commands."""

import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import Site, check, run, wait_for  # noqa: E402


def request(site, method, path, body=None, timeout=5):
    """Like site.request, with a client timeout of our choosing."""
    url = "http://127.0.0.1:%d/api/v1%s" % (site.http_port, path)
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    req.add_header("Authorization", "Bearer " + site.token())
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def receive(site, queue, timeout=5, **params):
    status, doc = request(site, "POST", "/queues/%s/receive" % queue, params, timeout=timeout)
    check(status == 200, "receive from %s: %d %r" % (queue, status, doc))
    return doc["messages"]


def test_queue_semantics():
    site = Site("queues").start()
    try:
        # Bad input is refused and changes nothing.
        status, doc = site.request("POST", "/queues", {"name": "bad name"})
        check(status == 400 and doc["error"]["code"] == "invalid_name", "bad name: %r" % doc)
        status, doc = site.request("POST", "/queues", {"name": "q", "visibilityTimeout": 43201})
        check(status == 400, "visibility over 12 h accepted: %r" % doc)
        status, doc = site.request("POST", "/queues", {
            "name": "jobs", "redrivePolicy": {"deadLetterQueue": "nowhere", "maxReceiveCount": 2}})
        check(status == 400 and "does not exist" in doc["error"]["message"], "missing DLQ: %r" % doc)
        check(site.get("/queues")["items"] == [], "a refused create left a queue")

        status, doc = site.request("POST", "/queues", {"name": "jobs-dlq"})
        check(status == 201 and doc["visibilityTimeout"] == 30, "default visibility: %r" % doc)
        status, doc = site.request("POST", "/queues", {
            "name": "jobs", "visibilityTimeout": 1,
            "redrivePolicy": {"deadLetterQueue": "jobs-dlq", "maxReceiveCount": 2}})
        check(status == 201, "create jobs: %d %r" % (status, doc))
        status, doc = site.request("DELETE", "/queues/jobs-dlq")
        check(status == 409, "deleting a queue's DLQ was allowed: %r" % doc)

        status, doc = site.request("POST", "/queues/jobs/messages", {"body": "pick up at dock 3"})
        check(status == 201 and len(doc["messageId"]) == 36, "send: %r" % doc)

        # First receive: count 1; the message is then in flight.
        first = receive(site, "jobs", maxNumberOfMessages=10)
        check(len(first) == 1 and first[0]["body"] == "pick up at dock 3", "first receive: %r" % first)
        check(first[0]["approximateReceiveCount"] == 1, "count after one receive: %r" % first)
        check(receive(site, "jobs") == [], "an in-flight message was received again")
        q = site.get("/queues/jobs")
        check(q["approximateNumberOfMessagesNotVisible"] == 1, "in flight: %r" % q)

        # Expiry and redelivery: a long poll returns when the timeout runs out.
        second = receive(site, "jobs", waitTimeSeconds=10, timeout=15)
        check(len(second) == 1 and second[0]["approximateReceiveCount"] == 2,
              "redelivery after the visibility timeout: %r" % second)
        check(second[0]["messageId"] == first[0]["messageId"], "a different message came back")
        check(second[0]["receiptHandle"] != first[0]["receiptHandle"], "the receipt handle was reused")

        # The old handle is refused, for delete and change-visibility alike.
        status, doc = site.request("DELETE", "/queues/jobs/messages/" + first[0]["receiptHandle"])
        check(status == 404 and doc["error"]["code"] == "invalid_receipt_handle",
              "an old receipt handle deleted: %d %r" % (status, doc))
        status, doc = site.request("POST", "/queues/jobs/messages/%s/visibility"
                                   % first[0]["receiptHandle"], {"visibilityTimeout": 0})
        check(status == 404, "an old receipt handle changed visibility: %r" % doc)
        # The newest one works: visibility 0 makes it receivable at once.
        status, doc = site.request("POST", "/queues/jobs/messages/%s/visibility"
                                   % second[0]["receiptHandle"], {"visibilityTimeout": 0})
        check(status == 200, "change visibility: %d %r" % (status, doc))

        # Third attempt: received twice already (maxReceiveCount 2), so it
        # moves to the dead-letter queue instead of being delivered.
        check(receive(site, "jobs", waitTimeSeconds=1, timeout=10) == [],
              "a message past maxReceiveCount was delivered")
        dead = receive(site, "jobs-dlq")
        check(len(dead) == 1 and dead[0]["messageId"] == first[0]["messageId"] and
              dead[0]["deadLetterSource"] == "jobs" and dead[0]["approximateReceiveCount"] == 1,
              "dead-letter queue: %r" % dead)
        status, doc = site.request("DELETE", "/queues/jobs-dlq/messages/" + dead[0]["receiptHandle"])
        check(status == 200, "delete by the newest handle: %d %r" % (status, doc))
        status, doc = site.request("DELETE", "/queues/jobs-dlq/messages/" + dead[0]["receiptHandle"])
        check(status == 404, "a message was deleted twice: %r" % doc)

        # Long-poll wake-up on send: the receiver waits up to 20 s; the
        # client gives up after 10 s, so only a wake-up can satisfy it.
        site.request("POST", "/queues", {"name": "wake"})
        got = {}

        def receiver():
            try:
                got["messages"] = receive(site, "wake", waitTimeSeconds=20, timeout=10)
            except Exception as e:  # reported by the main thread
                got["error"] = repr(e)

        t = threading.Thread(target=receiver)
        t.start()
        wait_for("the receive to be parked",
                 lambda: site.get("/queues/wake")["waitingReceives"] == 1, timeout=5)
        # The server's one HTTP thread is free while the receive waits.
        check(site.get("/health", auth=False)["status"] == "ok", "health while a receive waits")
        status, doc = site.request("POST", "/queues/wake/messages", {"body": "now"})
        check(status == 201, "send to wake: %r" % doc)
        t.join(timeout=15)
        check(not t.is_alive() and got.get("messages") and got["messages"][0]["body"] == "now",
              "the waiting receive was not woken by the send: %r" % got)
        check(site.get("/queues/wake")["waitingReceives"] == 0, "a finished receive still counted")

        # Delay seconds: not receivable at once; a long poll gets it when due.
        site.request("POST", "/queues/wake/messages", {"body": "later", "delaySeconds": 1})
        check(site.get("/queues/wake")["approximateNumberOfMessagesDelayed"] == 1, "delayed count")
        later = receive(site, "wake", waitTimeSeconds=10, timeout=15)
        check([m["body"] for m in later] == ["later"], "delayed message: %r" % later)

        # Body limit: 256 KiB accepted, one byte more refused.
        status, _ = site.request("POST", "/queues/wake/messages", {"body": "x" * (256 * 1024)})
        check(status == 201, "a 256 KiB body was refused: %d" % status)
        status, doc = site.request("POST", "/queues/wake/messages", {"body": "x" * (256 * 1024 + 1)})
        check(status == 413, "a body over 256 KiB was accepted: %d %r" % (status, doc))
        status, doc = site.request("POST", "/queues/wake/purge")
        check(status == 200 and doc["purged"] >= 1, "purge: %r" % doc)
    finally:
        site.cleanup()


def test_tables_and_actions():
    site = Site("tables").start()
    try:
        status, doc = site.request("POST", "/tables", {
            "name": "presses", "partitionKey": {"name": "thing", "type": "S"},
            "sortKey": {"name": "seq", "type": "N"}})
        check(status == 201 and doc["sortKey"]["type"] == "N", "create table: %d %r" % (status, doc))
        for seq in (3, 1, 2, 10):
            status, doc = site.request("PUT", "/tables/presses/item",
                                       {"item": {"thing": "dock-1", "seq": seq, "n": seq * 10}})
            check(status == 200 and doc["version"] == 1, "put: %r" % doc)
        status, doc = site.request("PUT", "/tables/presses/item",
                                   {"item": {"thing": "dock-1", "seq": 3}, "condition": {"exists": False}})
        check(status == 409 and doc["error"]["code"] == "condition_failed", "conditional put: %r" % doc)
        status, doc = site.request("PUT", "/tables/presses/item",
                                   {"item": {"thing": "dock-1", "seq": 3, "n": 31}, "condition": {"version": 1}})
        check(status == 200 and doc["version"] == 2, "versioned put: %r" % doc)
        status, doc = site.request("PUT", "/tables/presses/item", {"item": {"thing": "dock-1", "seq": "x"}})
        check(status == 400, "a string for an N key was accepted: %r" % doc)
        got = site.get("/tables/presses/item?pk=dock-1&sk=3")
        check(got["item"]["n"] == 31 and got["version"] == 2, "get: %r" % got)
        q = site.get("/tables/presses/items?pk=dock-1&from=2&to=10")
        check([i["seq"] for i in q["items"]] == [2, 3, 10], "numeric range in order: %r" % q)
        q = site.get("/tables/presses/items?pk=dock-1&limit=2&order=desc")
        check([i["seq"] for i in q["items"]] == [10, 3] and q["next"] == 3, "page 1: %r" % q)
        q = site.get("/tables/presses/items?pk=dock-1&limit=2&order=desc&after=3")
        check([i["seq"] for i in q["items"]] == [2, 1] and q["next"] is None, "page 2: %r" % q)
        status, doc = site.request("DELETE", "/tables/presses/item?pk=dock-1&sk=1")
        check(status == 200 and doc["deleted"] is True, "delete: %r" % doc)
        status, doc = site.request("GET", "/tables/presses/item?pk=dock-1&sk=1")
        check(status == 404, "a deleted item is still there: %r" % doc)

        # Rule actions: a press sends a queue message and writes a table
        # item in the ingest transaction.
        site.request("POST", "/queues", {"name": "pickups"})
        site.request("POST", "/tables", {"name": "last-press", "partitionKey": {"name": "thing"},
                                         "sortKey": {"name": "click"}})
        status, doc = site.request("POST", "/rules", {
            "name": "route", "sql": "SELECT clickType, serialNumber FROM 'iotbutton/+'",
            "actions": [{"type": "queue", "queue": "pickups", "body": "${topic(2)} ${clickType}"},
                        {"type": "table", "table": "last-press", "partitionKey": "${topic(2)}",
                         "sortKey": "${clickType}"}]})
        check(status == 201, "rule: %d %r" % (status, doc))
        status, doc = site.request("POST", "/rules", {
            "name": "bad", "sql": "SELECT * FROM 'x'", "actions": [{"type": "queue", "queue": "no such"}]})
        check(status == 400, "an invalid queue action was accepted: %r" % doc)
        dev = site.device("dock-7")
        r = site.press(dev, "double")
        check(r.returncode == 0, "press: %s%s" % (r.stdout, r.stderr))
        msgs = receive(site, "pickups", waitTimeSeconds=10, timeout=15)
        check([m["body"] for m in msgs] == ["dock-7 DOUBLE"], "queue action: %r" % msgs)
        item = wait_for("the table action's item",
                        lambda: site.request("GET", "/tables/last-press/item?pk=dock-7&sk=DOUBLE")[1])
        check(item.get("item", {}).get("clickType") == "DOUBLE" and item["version"] == 1,
              "table action: %r" % item)

        # clickctl.
        r = site.clickctl("queues", "create", "cli-q", "--attr", "VisibilityTimeout=5")
        r = site.clickctl("queues", "send", "cli-q", "hello from clickctl")
        r = site.clickctl("--json", "queues", "receive", "cli-q", "--attr", "WaitTimeSeconds=2")
        msgs = json.loads(r.stdout)["messages"]
        check(len(msgs) == 1 and msgs[0]["body"] == "hello from clickctl", "clickctl receive: %r" % r.stdout)
        site.clickctl("queues", "delete-message", "cli-q", msgs[0]["receiptHandle"])
        r = site.clickctl("queues", "list")
        check("cli-q" in r.stdout and "pickups" in r.stdout, "clickctl queues list: %r" % r.stdout)
        site.clickctl("tables", "create", "cli-t", "id")
        site.clickctl("tables", "put", "cli-t", '{"id":"a","v":1}')
        r = site.clickctl("tables", "put", "cli-t", '{"id":"a","v":2}', "--attr", "IfNotExists=true",
                          check_rc=False)
        check(r.returncode == 1 and "exists" in r.stderr, "clickctl conditional put: %r" % r.stderr)
        r = site.clickctl("--json", "tables", "get", "cli-t", "a")
        check(json.loads(r.stdout)["item"]["v"] == 1, "clickctl get: %r" % r.stdout)
        r = site.clickctl("--json", "tables", "query", "cli-t", "a")
        check(len(json.loads(r.stdout)["items"]) == 1, "clickctl query: %r" % r.stdout)
    finally:
        site.cleanup()


if __name__ == "__main__":
    run([test_queue_semantics, test_tables_and_actions])
