"""Integration test of zero-touch onboarding: the single-file bundle of
clickctl thing create --bundle, installed by clickbtn provision and used
for a press; provisioning by claim over the fleet-provisioning topics (a
certificate from the device's CSR, then its thing from a template with an
allow-list), driven by clickbtn provision --claim as a device would; the
claim certificate refused everything else, the claim log; the same through
clickctl claims."""

import json
import os
import shutil
import socket
import stat
import subprocess
import time

from harness import BIN, Site, check, run, wait_for


def clickbtn(*args):
    return subprocess.run([os.path.join(BIN, "clickbtn")] + list(args), capture_output=True,
                          text=True, timeout=30)


def test_single_file_bundle():
    site = Site("bundle").start()
    try:
        status, doc = site.request("POST", "/rules", {
            "name": "pickup", "sql": "SELECT * FROM 'iotbutton/+'",
            "actions": [{"type": "workorder", "kind": "pickup"}]})
        check(status == 201, "rule: %d %r" % (status, doc))
        bundle = os.path.join(site.tmp, "b-1.bundle")
        r = site.clickctl("thing", "create", "b-1", "--bundle", bundle, "--attr", "location=Gate")
        check("wrote " + bundle in r.stdout, r.stdout)
        check(stat.S_IMODE(os.stat(bundle).st_mode) == 0o600, "bundle mode %o" %
              os.stat(bundle).st_mode)
        text = open(bundle).read()
        check("\nendpoint = " in text and "\nthing = b-1\n" in text, text[:200])
        check(text.count("-----BEGIN CERTIFICATE-----") >= 2 and "PRIVATE KEY-----" in text,
              "bundle lacks a certificate, the key or the CA")
        # A second run does not replace it without --force.
        r = site.clickctl("thing", "create", "b-2", "--bundle", bundle, check_rc=False)
        check(r.returncode == 1 and "exists" in r.stderr, r.stderr)
        check(site.request("GET", "/things/b-2")[0] == 404, "a refused bundle created a thing")

        dev = os.path.join(site.tmp, "dev-b-1")
        r = clickbtn("provision", "--config", dev, "--bundle", bundle)
        check(r.returncode == 0, "provision: %s%s" % (r.stdout, r.stderr))
        check(site.press(dev, "single").returncode == 0, "press with the bundle failed")
        wo = wait_for("the work order", lambda: site.workorders())
        check(wo[0]["thing"] == "b-1" and wo[0]["location"] == "Gate", wo)
    finally:
        site.cleanup()



def rr(site, devdir, client_id, topic, reply, message, attempts=1):
    """One request and its reply with mosquitto_rr, as client_id. With
    attempts > 1 an unanswered request is sent again, as a device retries
    (clickd's provisioner may still be connecting to a broker just started)."""
    for attempt in range(attempts):
        r = subprocess.run(["mosquitto_rr", "-h", "127.0.0.1", "-p", str(site.mqtt_port),
                            "-V", "mqttv5", "-q", "1", "--cafile", os.path.join(devdir, "ca.pem"),
                            "--cert", os.path.join(devdir, "cert.pem"),
                            "--key", os.path.join(devdir, "key.pem"), "-i", client_id,
                            "-t", topic, "-e", reply, "-m", message,
                            "-W", "10" if attempts == 1 else "2"],
                           capture_output=True, text=True, timeout=30)
        if r.returncode == 0 or attempt == attempts - 1:
            break
    check(r.returncode == 0, "mosquitto_rr %s: %d %s" % (topic, r.returncode, r.stderr))
    return json.loads(r.stdout)


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def new_device(site, name):
    """A device directory with its own key and a CSR for it."""
    d = os.path.join(site.tmp, name)
    os.makedirs(d)
    subprocess.run(["openssl", "ecparam", "-genkey", "-name", "prime256v1", "-noout",
                    "-out", os.path.join(d, "key.pem")], check=True, capture_output=True)
    subprocess.run(["openssl", "req", "-new", "-key", os.path.join(d, "key.pem"),
                    "-subj", "/CN=" + name, "-out", os.path.join(d, "csr.pem")], check=True,
                   capture_output=True)
    return d


CSR_TOPIC = "$aws/certificates/create-from-csr/json"
PROVISION_TOPIC = "$aws/provisioning-templates/buttons/provision/json"


def test_claim_provisioning():
    site = Site("claim").start()
    try:
        status, doc = site.request("POST", "/rules", {
            "name": "pickup", "sql": "SELECT * FROM 'iotbutton/+'",
            "actions": [{"type": "workorder", "kind": "pickup"}]})
        check(status == 201, "rule: %d %r" % (status, doc))
        status, doc = site.request("PUT", "/provisioning-templates/buttons", {
            "thingNamePattern": "btn-${SerialNumber}", "thingType": "button",
            "attributes": {"serial": "${SerialNumber}", "location": "Line 1"},
            "allowedSerials": ["S100", "S200"]})
        check(status == 201, "template: %d %r" % (status, doc))
        status, doc = site.request("PUT", "/provisioning-templates/open", {
            "thingNamePattern": "x-${SerialNumber}"})
        check(status == 400, "a template without allow-list or hook was accepted: %d" % status)
        status, claim = site.request("POST", "/claims", {"name": "factory", "template": "buttons"})
        check(status == 201, "claim: %d %r" % (status, claim))
        cdir = os.path.join(site.tmp, "claim")
        os.makedirs(cdir)
        write(os.path.join(cdir, "cert.pem"), claim["certificatePem"])
        write(os.path.join(cdir, "key.pem"), claim["privateKeyPem"], 0o600)
        write(os.path.join(cdir, "ca.pem"), claim["caPem"])
        write(os.path.join(cdir, "clickbtn.conf"), "endpoint = %s\nport = %d\nthing = factory\n"
              % (claim["endpoint"]["host"], claim["endpoint"]["port"]))

        # The claim certificate may do nothing but provisioning.
        before = site.journal_count()
        r = site.mqtt_pub(cdir, "factory", "iotbutton/factory", message='{"clickType":"SINGLE"}')
        check("Not authorized" in r.stderr, "the claim certificate published a press: %s"
              % r.stderr)
        r = site.mqtt_pub(cdir, "factory", "$clickd/provision", message="forged")
        check("Not authorized" in r.stderr, "the claim certificate published on $clickd/")
        check(site.journal_count() == before, "a refused claim message was journaled")

        # A broker that cannot be reached in time: the claim's --timeout holds
        # even while the TCP connect blocks (a full accept queue drops SYNs),
        # and nothing is written to the device directory.
        full = socket.socket()
        full.bind(("127.0.0.1", 0))
        full.listen(0)
        fillers = []
        for _ in range(3):
            c = socket.socket()
            c.setblocking(False)
            try:
                c.connect(full.getsockname())
            except BlockingIOError:
                pass
            fillers.append(c)
        time.sleep(0.2)
        stuck = os.path.join(site.tmp, "claim-stuck")
        shutil.copytree(cdir, stuck)
        write(os.path.join(stuck, "clickbtn.conf"), "endpoint = 127.0.0.1\nport = %d\n"
              "thing = factory\n" % full.getsockname()[1])
        t0 = time.monotonic()
        r = clickbtn("provision", "--claim", stuck, "--template", "buttons", "--serial", "S100",
                     "--config", os.path.join(site.tmp, "S100-stuck"), "--timeout", "1")
        took = time.monotonic() - t0
        for c in fillers + [full]:
            c.close()
        check(r.returncode == 5 and "timed out" in r.stderr,
              "stuck claim: %d %s" % (r.returncode, r.stderr))
        check(took < 5, "a 1 s claim deadline took %.1f s" % took)
        check(not os.path.exists(os.path.join(site.tmp, "S100-stuck", "clickbtn.conf")),
              "a timed-out claim wrote a configuration")

        # S100 provisions itself: clickbtn makes its key and CSR, asks over MQTT
        # with the claim certificate, and writes a complete device directory.
        # Its first request may go unanswered while clickd's provisioner is
        # still subscribing; clickbtn sends it again within its deadline.
        dev = os.path.join(site.tmp, "S100")
        r = clickbtn("provision", "--claim", cdir, "--template", "buttons", "--serial", "S100",
                     "--config", dev, "--timeout", "25")
        check(r.returncode == 0, "provision --claim: %d %s%s" % (r.returncode, r.stdout, r.stderr))
        check("thing btn-S100" in r.stdout, r.stdout)
        check(stat.S_IMODE(os.stat(os.path.join(dev, "key.pem")).st_mode) == 0o600,
              "the new key is not 0600")
        conf = open(os.path.join(dev, "clickbtn.conf")).read()
        check("\nthing = btn-S100\n" in conf and "port = %d" % site.mqtt_port in conf, conf)
        check(open(os.path.join(dev, "ca.pem")).read() == claim["caPem"], "ca.pem differs")
        check(not [f for f in os.listdir(site.tmp) if f.startswith(".")],
              "a temporary directory was left: %r" % os.listdir(site.tmp))
        thing = site.get("/things/btn-S100")
        check(thing["type"] == "button" and thing["attributes"] == {"serial": "S100",
              "location": "Line 1"}, thing)
        certs = site.get("/certificates?thing=btn-S100")["items"]
        check(len(certs) == 1 and certs[0]["status"] == "active", certs)
        r = site.press(dev, "single")
        check(r.returncode == 0, "the provisioned device cannot press: %s" % r.stderr)
        wo = wait_for("the work order", lambda: site.workorders())
        check(wo[0]["thing"] == "btn-S100" and wo[0]["location"] == "Line 1", wo)

        # A second run into the same directory is refused before any request.
        r = clickbtn("provision", "--claim", cdir, "--template", "buttons", "--serial", "S100",
                     "--config", dev)
        check(r.returncode == 3 and "not empty" in r.stderr, (r.returncode, r.stderr))
        # Missing claim files, and a template the claim's policy does not cover.
        r = clickbtn("provision", "--claim", os.path.join(site.tmp, "nope"), "--template",
                     "buttons", "--serial", "S100")
        check(r.returncode == 3 and r.stderr.startswith("clickbtn: "), (r.returncode, r.stderr))
        r = clickbtn("provision", "--claim", cdir, "--template", "other", "--serial", "S100",
                     "--config", os.path.join(site.tmp, "other"), "--timeout", "10")
        check(r.returncode == 9 and "claim's policy" in r.stderr, (r.returncode, r.stderr))
        check(r.stderr.count("\n") == 1, r.stderr)
        # A claim certificate clickd never issued: the broker's TLS refuses it.
        forged = os.path.join(site.tmp, "forged")
        os.makedirs(forged)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                        os.path.join(forged, "key.pem"), "-out", os.path.join(forged, "cert.pem"),
                        "-subj", "/CN=factory", "-days", "2"], check=True, capture_output=True)
        write(os.path.join(forged, "ca.pem"), claim["caPem"])
        write(os.path.join(forged, "clickbtn.conf"), open(os.path.join(cdir, "clickbtn.conf")).read())
        r = clickbtn("provision", "--claim", forged, "--template", "buttons", "--serial", "S100",
                     "--config", os.path.join(site.tmp, "forged-out"), "--timeout", "10")
        check(r.returncode == 6 and r.stderr.startswith("clickbtn: TLS failure"),
              (r.returncode, r.stderr))

        # S200 by hand (mosquitto_rr): the certificate stays inactive until
        # provisioned, and an ownership token is used once.
        dev2 = new_device(site, "S200")
        csr = open(os.path.join(dev2, "csr.pem")).read()
        issued = rr(site, cdir, "S200", CSR_TOPIC, CSR_TOPIC + "/accepted",
                    json.dumps({"certificateSigningRequest": csr}))
        check(set(issued) == {"certificateId", "certificatePem", "certificateOwnershipToken"},
              issued)
        cert = site.get("/certificates/" + issued["certificateId"])
        check(cert["status"] == "inactive", "the new certificate is already usable: %r" % cert)
        done = rr(site, cdir, "S200", PROVISION_TOPIC, PROVISION_TOPIC + "/accepted",
                  json.dumps({"certificateOwnershipToken": issued["certificateOwnershipToken"],
                              "parameters": {"SerialNumber": "S200"}}))
        check(done == {"deviceConfiguration": {}, "thingName": "btn-S200"}, done)
        again = rr(site, cdir, "S200", PROVISION_TOPIC, PROVISION_TOPIC + "/rejected",
                   json.dumps({"certificateOwnershipToken": issued["certificateOwnershipToken"],
                               "parameters": {"SerialNumber": "S200"}}))
        check(again["errorCode"] == "InvalidCertificateOwnershipToken", again)

        # S999 is not on the allow-list: clickbtn reports clickd's refusal.
        r = clickbtn("provision", "--claim", cdir, "--template", "buttons", "--serial", "S999",
                     "--timeout", "10")
        check(r.returncode == 9, "S999: %d %s" % (r.returncode, r.stderr))
        check(r.stderr.startswith("clickbtn: provisioning was rejected: ") and
              "AccessDenied, 403" in r.stderr and r.stderr.count("\n") == 1, r.stderr)
        check(not os.path.exists(os.path.join(site.tmp, "S999")), "a refused device was written")
        check(site.request("GET", "/things/btn-S999")[0] == 404, "a refused serial got a thing")
        bad = rr(site, cdir, "S999", CSR_TOPIC, CSR_TOPIC + "/rejected",
                 json.dumps({"certificateSigningRequest": "not a CSR"}))
        check(bad["statusCode"] == 400, bad)

        log = site.get("/claims/log")["items"]
        uses = [(u["operation"], u["clientId"], u["outcome"], u["serial"], u["thing"])
                for u in reversed(log)]
        check(("create-from-csr", "S100", "accepted", None, None) in uses and
              ("provision", "S100", "accepted", "S100", "btn-S100") in uses, uses)
        check(("provision", "S999", "rejected", "S999", None) in uses, uses)
        check(all(u["claim"] == "factory" for u in log), log)
    finally:
        site.cleanup()


def test_claims_through_clickctl():
    """Templates, a claim bundle and the claim log through clickctl; the
    bundle provisions a device with clickbtn."""
    site = Site("claimsctl").start()
    try:
        r = site.clickctl("claims", "template-put", "line2", "--thing", "l2-${SerialNumber}",
                          "--thing-type", "button", "--attr", "location=Line 2",
                          "--serial", "A1", "--serial", "A2")
        check("template line2 saved" in r.stdout, r.stdout)
        spec = os.path.join(site.tmp, "tpl.json")
        write(spec, json.dumps({"thingNamePattern": "x-${SerialNumber}"}))
        r = site.clickctl("claims", "template-put", "open", "--definition-file", spec,
                          check_rc=False)
        check(r.returncode == 1 and "allowedSerials" in r.stderr, r.stderr)
        r = site.clickctl("claims", "template-list")
        check("line2" in r.stdout and "l2-${SerialNumber}" in r.stdout and "open" not in
              r.stdout, r.stdout)
        doc = json.loads(site.clickctl("--json", "claims", "template-show", "line2").stdout)
        check(doc["document"]["allowedSerials"] == ["A1", "A2"] and
              doc["document"]["attributes"] == {"location": "Line 2"}, doc)

        cdir = os.path.join(site.tmp, "claim-l2")
        r = site.clickctl("claims", "create", "factory-l2", "--template", "line2", "--out", cdir)
        check("wrote " + cdir in r.stdout, r.stdout)
        check(stat.S_IMODE(os.stat(os.path.join(cdir, "key.pem")).st_mode) == 0o600,
              "claim key mode")
        r = site.clickctl("claims", "create", "factory-l3", "--template", "line2", "--out", cdir,
                          check_rc=False)
        check(r.returncode == 1 and "--force" in r.stderr, r.stderr)

        r = clickbtn("provision", "--claim", cdir, "--template", "line2", "--serial", "A1",
                     "--timeout", "25")
        check(r.returncode == 0, "provision --claim: %s%s" % (r.stdout, r.stderr))
        dev = os.path.join(site.tmp, "A1")  # the claim directory's sibling
        check(site.press(dev, "single").returncode == 0, "press with the new identity")
        check(site.get("/things/l2-A1")["attributes"] == {"location": "Line 2"}, "thing")

        r = site.clickctl("claims", "log", "--thing", "factory-l2")
        check("create-from-csr" in r.stdout and "provision" in r.stdout and
              "l2-A1" in r.stdout, r.stdout)
        log = json.loads(site.clickctl("--json", "claims", "log").stdout)["items"]
        check(all(u["claim"] == "factory-l2" for u in log) and len(log) >= 2, log)

        site.clickctl("claims", "template-delete", "line2")
        r = site.clickctl("claims", "template-show", "line2", check_rc=False)
        check(r.returncode == 1, r.stderr)
    finally:
        site.cleanup()


if __name__ == "__main__":
    run([test_single_file_bundle, test_claim_provisioning, test_claims_through_clickctl])
