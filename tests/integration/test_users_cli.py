"""clickctl users: create, list, change role and password, delete, with the
password read from standard input or a file, never from the command line;
the API's login follows every change."""

import os
import subprocess

from harness import BIN, Site, check, run


def ctl(site, args, stdin=None):
    return subprocess.run([os.path.join(BIN, "clickctl")] + args, env=site.env(), input=stdin,
                          capture_output=True, text=True, timeout=30)


def login(site, user, password):
    status, _ = site.request("POST", "/auth/login", {"username": user, "password": password},
                             auth=False)
    return status


def test_users_lifecycle():
    site = Site("users").start()
    try:
        r = ctl(site, ["users", "create", "ann", "--role", "driver"], stdin="correct horse 1\n")
        check(r.returncode == 0, r.stderr)
        check("correct horse" not in r.stdout + r.stderr, "password echoed")
        check(login(site, "ann", "correct horse 1") == 200, "login with the new user")
        check(login(site, "ann", "wrong password") == 401, "a wrong password logs in")
        out = ctl(site, ["users", "list"]).stdout
        check("ann" in out and "driver" in out, out)

        pw = os.path.join(site.tmp, "pw")
        with open(pw, "w") as f:
            f.write("battery staple 2\n")
        r = ctl(site, ["users", "passwd", "ann", "--password-file", pw])
        check(r.returncode == 0, r.stderr)
        check(login(site, "ann", "correct horse 1") == 401, "the old password still works")
        check(login(site, "ann", "battery staple 2") == 200, "the new password fails")

        r = ctl(site, ["users", "role", "ann", "--role", "supervisor"])
        check(r.returncode == 0, r.stderr)
        check(site.get("/users/ann")["role"] == "supervisor", "role unchanged")

        r = ctl(site, ["users", "create", "bob", "--role", "emperor"], stdin="long enough pw\n")
        check(r.returncode == 1, "an unknown role was accepted: %r" % r.stdout)
        r = ctl(site, ["users", "create", "bob", "--role", "driver"], stdin="")
        check(r.returncode == 2 and "password" in r.stderr, r.stderr)

        r = ctl(site, ["users", "delete", "ann"])
        check(r.returncode == 0, r.stderr)
        check(login(site, "ann", "battery staple 2") == 401, "a deleted user logs in")
        log = site.log_text()
        check("battery staple" not in log and "correct horse" not in log,
              "a password reached the log")
    finally:
        site.cleanup()


if __name__ == "__main__":
    run([test_users_lifecycle])
