"""clickbtn on the device side, against real clickd and mosquitto: the agent
fed through its line input, the offline queue across a broker killed with
SIGKILL (each press delivered exactly once, in order, with its original
press time), evdev through a uinput device, the classic setup page,
provisioning from a single-file bundle, and --timeout held where the
connect blocks and where the broker never answers the TLS handshake."""

import fcntl
import glob
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import time
import urllib.error
import urllib.request

from harness import BIN, Site, check, free_port, run, wait_for

PICKUP_SQL = "SELECT * FROM 'iotbutton/+' WHERE clickType = 'SINGLE'"
CLICKBTN = os.path.join(BIN, "clickbtn")


def pickup_site(name):
    site = Site(name).start()
    site.clickctl("rules", "create", "pickup", "--sql", PICKUP_SQL, "--action", "workorder",
                  "--kind", "pickup")
    return site


def journal(site, thing):
    """(received_ms, payload dict) of every message the broker accepted, in order."""
    return [(r["received_ms"], json.loads(r["payload"])) for r in site.journal()
            if r["thing"] == thing]


class Agent:
    """clickbtn run with its line input on a pipe."""

    def __init__(self, devdir, *extra):
        self.log_path = devdir + ".agent.log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([CLICKBTN, "run", "--config", devdir, "--no-color"] +
                                     list(extra), stdin=subprocess.PIPE, stdout=self.log,
                                     stderr=subprocess.STDOUT)

    def click(self, held_ms=80):
        """One press now, released held_ms later on the input's clock (exact)."""
        self.proc.stdin.write(b"down\nup +%d\n" % held_ms)
        self.proc.stdin.flush()

    def text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def finish(self, timeout=20):
        """Closes the input: the agent drains its queue and exits."""
        self.proc.stdin.close()
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("agent did not drain and exit:\n" + self.text())
        self.log.close()
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def send_feedback(site, thing, message):
    """Publishes on the thing's feedback topic with clickd's own broker account
    (the local listener, the second in the generated mosquitto.conf)."""
    with open(os.path.join(site.data, "mosquitto.conf")) as f:
        ports = [line.split()[1] for line in f if line.startswith("listener ")]
    with open(os.path.join(site.data, "broker.secret")) as f:
        secret = f.read().strip()
    return subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", ports[-1], "-V", "mqttv5",
                           "-u", "clickd", "-P", secret, "-q", "1",
                           "-t", "iotbutton/%s/feedback" % thing, "-m", message],
                          capture_output=True, text=True, timeout=30)


def queued(devdir):
    return sorted(glob.glob(os.path.join(devdir, "queue", "*.json")))


def test_agent_sends_an_immediate_single_through_the_queue():
    site = pickup_site("agent")
    agent = None
    try:
        dev = site.device("dock-1", location="Dock 1")
        # No double action configured: the single goes out on release.
        agent = Agent(dev, "--gestures", "single,long", "--battery-mv", "3000")
        agent.click()
        wait_for("the work order", lambda: site.workorders(), timeout=10)
        agent.click(held_ms=1600)  # LONG: no work order for the pickup rule
        wait_for("the LONG event", lambda: len(site.events(thing="dock-1")) == 2, timeout=10)
        # clickd's messages on the feedback topic reach the button.
        r = send_feedback(site, "dock-1", '{"led":"blink","text":"on the way"}')
        check(r.returncode == 0, "feedback publish: " + r.stderr)
        wait_for("the feedback at the button", lambda: "feedback: {\"led\":\"blink\"" in agent.text())
        check(agent.finish() == 0, "agent exit:\n" + agent.text())
        got = [p for _, p in journal(site, "dock-1")]
        check([p["clickType"] for p in got] == ["SINGLE", "LONG"], got)
        check([p["seq"] for p in got] == [1, 2], got)
        check(all(p["batteryVoltage"] == "3000mV" and p["serialNumber"] == "dock-1"
                  for p in got), got)
        check(len(site.workorders()) == 1, "expected one work order")
        check(queued(dev) == [], "queue not empty after delivery")
        check("delivered" in agent.text(), agent.text())
    finally:
        if agent:
            agent.kill()
        site.cleanup()


def test_offline_queue_survives_a_broker_killed_and_delivers_each_press_once():
    site = pickup_site("offline")
    agent = None
    try:
        dev = site.device("dock-1", location="Dock 1")
        agent = Agent(dev, "--gestures", "single,long")
        for n in (1, 2):
            agent.click()
            wait_for("press %d journaled" % n, lambda: len(journal(site, "dock-1")) == n)
        # Keep clickd from restarting the broker until the presses are queued.
        site.proc.send_signal(signal.SIGSTOP)
        broker = site.broker_pid()
        check(broker is not None, "no broker pid")
        os.kill(broker, signal.SIGKILL)
        wait_for("the agent to notice", lambda: "offline" in agent.text())
        down_at = int(time.time() * 1000)
        for n in (1, 2, 3):
            agent.click()
            wait_for("press %d queued on disk" % n, lambda: len(queued(dev)) == n)
        check(len(journal(site, "dock-1")) == 2, "a press reached a dead broker")
        site.proc.send_signal(signal.SIGCONT)  # clickd restarts the broker
        restarted = wait_for("a new broker", lambda: site.broker_pid() not in (None, broker),
                             timeout=15)
        check(restarted != broker, "broker pid unchanged")
        wait_for("five presses journaled", lambda: len(journal(site, "dock-1")) >= 5,
                 timeout=40)
        check(agent.finish() == 0, "agent exit:\n" + agent.text())
        got = journal(site, "dock-1")
        seqs = [p["seq"] for _, p in got]
        check(seqs == [1, 2, 3, 4, 5], "each press once, in order: %r" % seqs)
        for received, p in got[2:]:
            check(p["pressedAt"] >= down_at - 1000 and p["pressedAt"] < received,
                  "queued press lost its press time: %r received %d" % (p, received))
        check(queued(dev) == [], "queue not empty: %r" % queued(dev))
        wait_for("five work orders", lambda: len(site.workorders()) == 5, timeout=10)
        statuses = [e["status"] for e in site.events(thing="dock-1")]
        check(statuses == ["accepted"] * 5, statuses)
    finally:
        if site.proc and site.proc.poll() is None:
            site.proc.send_signal(signal.SIGCONT)
        if agent:
            agent.kill()
        site.cleanup()


# uinput (linux/uinput.h): the legacy setup, which every kernel accepts.
UI_SET_EVBIT = 0x40045564
UI_SET_KEYBIT = 0x40045565
UI_DEV_CREATE = 0x5501
UI_DEV_DESTROY = 0x5502
EV_SYN, EV_KEY, KEY_SPACE = 0, 1, 57


def test_evdev_button_through_uinput():
    if not os.path.exists("/dev/uinput"):
        print("SKIP test_evdev_button_through_uinput: /dev/uinput is unavailable here "
              "(no uinput module or not passed into the container)", flush=True)
        return
    site = pickup_site("evdev")
    agent = None
    fd = os.open("/dev/uinput", os.O_WRONLY | os.O_NONBLOCK)
    try:
        name = b"clickbtn-test-%d" % os.getpid()
        fcntl.ioctl(fd, UI_SET_EVBIT, EV_KEY)
        fcntl.ioctl(fd, UI_SET_KEYBIT, KEY_SPACE)
        os.write(fd, struct.pack("80sHHHHi", name, 3, 1, 1, 1, 0) + b"\0" * (4 * 64 * 4))
        fcntl.ioctl(fd, UI_DEV_CREATE)

        def node():
            for d in glob.glob("/sys/class/input/event*"):
                try:
                    with open(os.path.join(d, "device", "name"), "rb") as f:
                        if f.read().strip() == name:
                            return "/dev/input/" + os.path.basename(d)
                except OSError:
                    pass
            return None
        path = wait_for("the uinput device node", node)
        wait_for("the node to open", lambda: os.access(path, os.R_OK))
        dev = site.device("pedal-1", location="Pedal")
        # No debounce: the press below lasts only as long as two writes.
        agent = Agent(dev, "--input", "evdev:%s:KEY_SPACE" % path, "--gestures", "single,long",
                      "--debounce-ms", "0")
        wait_for("the agent to start", lambda: "ready" in agent.text())

        def emit(code, value):
            os.write(fd, struct.pack("llHHi", 0, 0, EV_KEY, code, value))
            os.write(fd, struct.pack("llHHi", 0, 0, EV_SYN, 0, 0))
        emit(KEY_SPACE, 1)
        emit(KEY_SPACE, 0)
        wait_for("the pedal's work order", lambda: site.workorders(), timeout=10)
        got = [p for _, p in journal(site, "pedal-1")]
        check([p["clickType"] for p in got] == ["SINGLE"], got)
        agent.proc.send_signal(signal.SIGTERM)
        check(agent.proc.wait(timeout=10) == 0, agent.text())
    finally:
        if agent:
            agent.kill()
        fcntl.ioctl(fd, UI_DEV_DESTROY)
        os.close(fd)
        site.cleanup()


def multipart(fields):
    boundary = "----clickbtn-test-boundary"
    out = []
    for name, value, filename in fields:
        disp = 'form-data; name="%s"' % name
        if filename:
            disp += '; filename="%s"' % filename
        out.append("--%s\r\nContent-Disposition: %s\r\n\r\n%s\r\n" % (boundary, disp, value))
    out.append("--%s--\r\n" % boundary)
    return "".join(out).encode(), "multipart/form-data; boundary=" + boundary


def post(url, fields):
    body, ctype = multipart(fields)
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": ctype})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def read(path):
    with open(path) as f:
        return f.read()


def test_setup_page_takes_the_classic_form():
    site = pickup_site("setup")
    proc = None
    try:
        src = site.device("dock-9", location="Dock 9")
        target = os.path.join(site.tmp, "configured")
        port = free_port()
        proc = subprocess.Popen([CLICKBTN, "setup", "--config", target, "--listen",
                                 "127.0.0.1:%d" % port, "--once"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        url = "http://127.0.0.1:%d" % port

        def page():
            try:
                with urllib.request.urlopen(url + "/index.html", timeout=2) as r:
                    return r.read().decode()
            except OSError:
                return None
        html = wait_for("the setup page", page)
        for field in ("wifi_ssid", "wifi_password", "aws_iot_certificate",
                      "aws_iot_private_key", "endpoint_region", "endpoint_subdomain"):
            check('name="%s"' % field in html, "form lacks " + field)
        classic = [("wifi_ssid", "plant-floor", None), ("wifi_password", "s3cret", None),
                   ("aws_iot_certificate", read(os.path.join(src, "cert.pem")), "c.pem.crt"),
                   ("endpoint_region", "", None),
                   ("endpoint_subdomain", "127.0.0.1", None),
                   ("ca_certificate", read(os.path.join(src, "ca.pem")), "ca.pem"),
                   ("port", str(site.mqtt_port), None)]
        # A key that is not the certificate's is refused and nothing is written.
        other = site.device("other", location="Elsewhere")
        status, text = post(url + "/configure", classic + [
            ("aws_iot_private_key", read(os.path.join(other, "key.pem")), "k.pem.key")])
        check(status == 400 and "does not match" in text, (status, text))
        check(not os.path.exists(os.path.join(target, "clickbtn.conf")), "written anyway")
        status, text = post(url + "/configure", classic + [
            ("aws_iot_private_key", read(os.path.join(src, "key.pem")), "k.pem.key")])
        check(status == 200, (status, text))
        check(proc.wait(timeout=10) == 0, "setup --once did not exit")
        conf = read(os.path.join(target, "clickbtn.conf"))
        check("thing = dock-9" in conf and "endpoint = 127.0.0.1" in conf, conf)
        check(os.stat(os.path.join(target, "key.pem")).st_mode & 0o077 == 0, "key readable")
        check("ssid = plant-floor" in read(os.path.join(target, "wifi.conf")), "wifi.conf")
        r = site.press(target, "single")
        check(r.returncode == 0, "press with the configured directory: " + r.stderr)
        wait_for("the work order", lambda: site.workorders())
    finally:
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait()
        site.cleanup()


def test_provision_from_a_single_file_bundle():
    site = pickup_site("bundle")
    try:
        src = site.device("dock-4", location="Dock 4")
        bundle = os.path.join(site.tmp, "dock-4.bundle")
        with open(bundle, "w") as f:
            # The CA first: the device certificate is found by its key.
            for name in ("clickbtn.conf", "ca.pem", "key.pem", "cert.pem"):
                f.write(read(os.path.join(src, name)))
        target = os.path.join(site.tmp, "installed")
        r = subprocess.run([CLICKBTN, "provision", "--config", target, "--bundle", bundle],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 0, "provision: " + r.stderr)
        check(read(os.path.join(target, "cert.pem")) == read(os.path.join(src, "cert.pem")),
              "wrong certificate picked as the device's")
        check(site.press(target, "single").returncode == 0, "press after provisioning")
        wait_for("the work order", lambda: site.workorders())
        # A bundle without its key is refused with a reason.
        broken = os.path.join(site.tmp, "broken.bundle")
        with open(broken, "w") as f:
            f.write(read(os.path.join(src, "clickbtn.conf")) + read(os.path.join(src, "cert.pem")))
        r = subprocess.run([CLICKBTN, "provision", "--config", os.path.join(site.tmp, "x"),
                            "--bundle", broken], capture_output=True, text=True, timeout=30)
        check(r.returncode == 3 and "private key" in r.stderr, (r.returncode, r.stderr))
    finally:
        site.cleanup()


def press_towards(site, src, port):
    """A press from a copy of device src whose endpoint is 127.0.0.1:port."""
    dev = os.path.join(site.tmp, "towards-%d" % port)
    shutil.rmtree(dev, ignore_errors=True)
    shutil.copytree(src, dev)
    conf = os.path.join(dev, "clickbtn.conf")
    lines = [ln for ln in read(conf).splitlines()
             if not ln.replace(" ", "").startswith(("endpoint=", "port="))]
    with open(conf, "w") as f:
        f.write("\n".join(lines + ["endpoint = 127.0.0.1", "port = %d" % port]) + "\n")
    t0 = time.monotonic()
    r = subprocess.run([CLICKBTN, "--config", dev, "--timeout", "1", "press", "single"],
                       capture_output=True, text=True, timeout=30)
    return r, time.monotonic() - t0


def test_timeout_holds_when_the_connect_or_the_handshake_hangs():
    site = pickup_site("deadline")
    held = []
    try:
        dev = site.device("dl-1")
        # A listener whose accept queue is full drops new SYNs, so the TCP
        # connect blocks inside libmosquitto: the alarm must end it.
        full = socket.socket()
        full.bind(("127.0.0.1", 0))
        full.listen(0)
        held.append(full)
        for _ in range(3):
            c = socket.socket()
            c.setblocking(False)
            try:
                c.connect(full.getsockname())
            except BlockingIOError:
                pass
            held.append(c)
        time.sleep(0.2)
        port = full.getsockname()[1]
        r, took = press_towards(site, dev, port)
        check(r.returncode == 5, ("blocked connect", r.returncode, r.stderr))
        check("timed out after 1 s connecting to 127.0.0.1:%d" % port in r.stderr, r.stderr)
        check(took < 5, "a 1 s deadline took %.1f s" % took)
        # A peer that accepts and never speaks: the handshake waits in the
        # MQTT loop, which reports the deadline itself.
        mute = socket.socket()
        mute.bind(("127.0.0.1", 0))
        mute.listen(8)
        held.append(mute)
        r, took = press_towards(site, dev, mute.getsockname()[1])
        check(r.returncode == 5, ("silent peer", r.returncode, r.stderr))
        check("timed out" in r.stderr, r.stderr)
        check(took < 5, "a 1 s deadline took %.1f s" % took)
        # The real broker still takes the device's next press.
        check(site.press(dev, "single").returncode == 0, "press to the real broker")
        wait_for("the work order", lambda: site.workorders())
    finally:
        for s in held:
            s.close()
        site.cleanup()


if __name__ == "__main__":
    run([
        test_agent_sends_an_immediate_single_through_the_queue,
        test_offline_queue_survives_a_broker_killed_and_delivers_each_press_once,
        test_evdev_button_through_uinput,
        test_setup_page_takes_the_classic_form,
        test_provision_from_a_single_file_bundle,
        test_timeout_holds_when_the_connect_or_the_handshake_hangs,
    ])
