"""clickd's command line: bad flags, unusable data directories and ports in
use each give one line naming the problem and a non-zero exit, and start
nothing."""

import os
import socket
import subprocess
import tempfile

from harness import BIN, Site, check, free_port, run

CLICKD = os.path.join(BIN, "clickd")


def clickd(*args):
    return subprocess.run([CLICKD] + list(args), capture_output=True, text=True, timeout=30)


def one_line_error(r, *needles):
    lines = [l for l in r.stderr.splitlines() if l.startswith("clickd: ")]
    check(r.returncode != 0, "expected a non-zero exit, got 0")
    check(len(lines) == 1, "expected one 'clickd: ' line, got: %r" % r.stderr)
    for n in needles:
        check(n in lines[0], "%r not in %r" % (n, lines[0]))


def test_unknown_flag():
    r = clickd("--frobnicate")
    one_line_error(r, "--frobnicate")
    check(r.returncode == 2, "usage errors exit 2")


def test_bad_address():
    one_line_error(clickd("--http", "nowhere"), "--http", "nowhere")


def test_help_and_version():
    r = clickd("--help")
    check(r.returncode == 0 and "--data-dir" in r.stdout and "--mqtt" in r.stdout, r.stdout)
    r = clickd("--version")
    check(r.returncode == 0 and r.stdout.startswith("clickd "), r.stdout)


def test_unusable_data_dir():
    with tempfile.NamedTemporaryFile() as f:
        bad = os.path.join(f.name, "data")
        one_line_error(clickd("--data-dir", bad, "--http", "127.0.0.1:%d" % free_port(),
                              "--mqtt", "127.0.0.1:%d" % free_port()), bad)


def test_ports_in_use():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        busy = s.getsockname()[1]
        for flag in ("--http", "--mqtt"):
            tmp = tempfile.mkdtemp(prefix="clickd-port-")
            other = "--mqtt" if flag == "--http" else "--http"
            r = clickd("--data-dir", os.path.join(tmp, "d"), flag, "127.0.0.1:%d" % busy,
                       other, "127.0.0.1:%d" % free_port())
            one_line_error(r, "127.0.0.1:%d" % busy, "in use")
            check(not os.path.exists(os.path.join(tmp, "d", "mosquitto.pid")),
                  "a broker was started although a port was in use")


def test_sigterm_stops_broker():
    site = Site("sigterm").start()
    try:
        pid = site.broker_pid()
        check(pid and os.path.exists("/proc/%d" % pid), "broker not running")
        site.stop()
        check(site.proc.returncode == 0, "clickd exit status on SIGTERM: %d" % site.proc.returncode)
        check(not os.path.exists("/proc/%d" % pid), "broker still running after clickd stopped")
    finally:
        site.cleanup()


def test_broker_is_restarted_when_it_dies():
    site = Site("restart").start()
    try:
        pid = site.broker_pid()
        os.kill(pid, 9)
        from harness import wait_for
        wait_for("a new broker", lambda: site.broker_pid() not in (None, pid) and site.ready())
        dev = site.device("dock-1", location="Dock 1")
        r = site.press(dev, "single")
        check(r.returncode == 0, "press after broker restart failed: %s" % r.stderr)
    finally:
        site.cleanup()


if __name__ == "__main__":
    run([test_unknown_flag, test_bad_address, test_help_and_version, test_unusable_data_dir,
         test_ports_in_use, test_sigterm_stops_broker, test_broker_is_restarted_when_it_dies])
