"""A local HTTP receiver for webhook tests: records every request and
answers with a status the test chooses (a fixed one, or a sequence)."""

import http.server
import json
import threading


class Receiver:
    def __init__(self):
        self.requests = []
        self.statuses = {}  # path prefix -> list of statuses to answer in turn (last repeats)
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                with receiver.lock:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers),
                                              "body": body})
                    status = 200
                    for prefix, seq in receiver.statuses.items():
                        if self.path.startswith(prefix):
                            status = seq.pop(0) if len(seq) > 1 else seq[0]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def answer(self, prefix, *statuses):
        with self.lock:
            self.statuses[prefix] = list(statuses)

    def got(self, prefix):
        with self.lock:
            return [r for r in self.requests if r["path"].startswith(prefix)]

    def json(self, prefix):
        return [json.loads(r["body"]) for r in self.got(prefix)]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
