"""A real SMTP server for channel tests: Debian's aiosmtpd (python3-aiosmtpd,
run with /usr/bin/python3, where Debian installs it) on loopback, requiring
STARTTLS and AUTH, writing every accepted message as JSON into a directory.

usage: smtp_server.py PORT CERT KEY USER PASSWORD OUTDIR
Prints "ready" on stdout once it listens; runs until killed."""

import json
import os
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

port, cert, key, user, password, outdir = sys.argv[1:7]
count = 0
lock = threading.Lock()


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (auth_data.login.decode() == user and auth_data.password.decode() == password)
    return AuthResult(success=ok)


class Handler:
    async def handle_DATA(self, server, session, envelope):
        global count
        with lock:
            count += 1
            n = count
        doc = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
               "data": envelope.original_content.decode("utf-8", "replace"),
               "tls": session.ssl is not None,
               "auth": session.authenticated}
        tmp = os.path.join(outdir, ".%d.json" % n)
        with open(tmp, "w") as f:
            json.dump(doc, f)
        os.rename(tmp, os.path.join(outdir, "%d.json" % n))
        return "250 OK"


ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)
controller = Controller(Handler(), hostname="127.0.0.1", port=int(port), tls_context=ctx,
                        require_starttls=True, authenticator=authenticator,
                        auth_required=True, auth_require_tls=True)
controller.start()
print("ready", flush=True)
threading.Event().wait()
