#!/usr/bin/env python3
"""The registry against the real broker: things updated, filtered and
deleted; a certificate revoked while connected and a thing disabled while
connected are disconnected and refused afterwards; a certificate issued
from the device's own CSR; an operator's CA and a certificate it signed;
clickd's CA rotated while devices holding certificates from the old one
keep connecting. Changes are observed through the broker's log lines and
connection results, each wait with a deadline.
"""

import json
import os
import subprocess
import time

from harness import Failure, Site, check, wait_for

CMD_TIMEOUT = 20


def openssl(*args, cwd=None):
    r = subprocess.run(["openssl"] + list(args), capture_output=True, text=True, cwd=cwd,
                       timeout=CMD_TIMEOUT)
    if r.returncode != 0:
        raise Failure("openssl %s: %s" % (" ".join(args), r.stderr))
    return r.stdout


def broker_log(site):
    try:
        with open(os.path.join(site.data, "mosquitto.log")) as f:
            return f.read()
    except OSError:
        return ""


def pub(site, certdir, client_id, topic, cert="cert.pem", key="key.pem", ca="ca.pem"):
    cmd = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(site.mqtt_port), "-V", "mqttv5",
           "-q", "1", "--cafile", os.path.join(certdir, ca),
           "--cert", os.path.join(certdir, cert), "--key", os.path.join(certdir, key),
           "-i", client_id, "-t", topic, "-m", '{"clickType":"SINGLE"}']
    return subprocess.run(cmd, capture_output=True, text=True, timeout=CMD_TIMEOUT)


def sub(site, devdir, client_id):
    cmd = ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(site.mqtt_port), "-V", "mqttv5",
           "--cafile", os.path.join(devdir, "ca.pem"), "--cert", os.path.join(devdir, "cert.pem"),
           "--key", os.path.join(devdir, "key.pem"), "-i", client_id,
           "-t", "iotbutton/%s/feedback" % client_id]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def connected(site, client_id):
    return ("New client connected from" in broker_log(site) and
            (" as %s " % client_id) in broker_log(site))


def cert_of(site, thing):
    st, doc = site.request("GET", "/certificates?thing=" + thing)
    check(st == 200 and len(doc["items"]) == 1, "one certificate for %s: %r" % (thing, doc))
    return doc["items"][0]


def test_things(site):
    site.device("t1")
    st, doc = site.request("PATCH", "/things/t1", {"type": "button", "attributes": {"floor": "2",
                                                   "location": "Dock 1"}, "merge": True})
    check(st == 200 and doc["type"] == "button" and doc["attributes"]["floor"] == "2",
          "PATCH sets type and merges attributes: %r" % doc)
    st, doc = site.request("PATCH", "/things/t1", {"attributes": {"floor": ""}, "merge": True})
    check(st == 200 and "floor" not in doc["attributes"] and doc["attributes"]["location"] == "Dock 1",
          "an empty value removes one attribute: %r" % doc)
    st, doc = site.request("PATCH", "/things/t1", {"type": "no spaces"})
    check(st == 400, "an invalid type is refused: %d" % st)
    site.request("POST", "/things", {"name": "t2", "type": "sensor"})
    names = [t["name"] for t in site.get("/things?type=button")["items"]]
    check(names == ["t1"], "type filter: %r" % names)
    names = [t["name"] for t in site.get("/things?attr=location=Dock%201")["items"]]
    check(names == ["t1"], "attribute filter: %r" % names)
    r = site.clickctl("thing", "list", "--type", "sensor", "--json")
    check([t["name"] for t in json.loads(r.stdout)["items"]] == ["t2"], "clickctl thing list --type")
    r = site.clickctl("thing", "update", "t2", "--attr", "location=Bay 3", "--json")
    check(json.loads(r.stdout)["attributes"]["location"] == "Bay 3", "clickctl thing update")
    r = site.clickctl("thing", "show", "t2", "--json")
    check(json.loads(r.stdout)["type"] == "sensor", "clickctl thing show")
    st, doc = site.request("DELETE", "/things/t1")
    check(st == 409, "a thing with a certificate is not deleted: %d %r" % (st, doc))
    fp = cert_of(site, "t1")["fingerprint"]
    st, _ = site.request("DELETE", "/certificates/%s/thing" % fp)
    check(st == 200, "detach")
    st, _ = site.request("DELETE", "/things/t1")
    check(st == 200, "deleted after detaching")
    site.clickctl("thing", "delete", "t2")
    check(site.request("GET", "/things/t2")[0] == 404, "clickctl thing delete")


def test_revoked_while_connected(site):
    d = site.device("rv1")
    p = sub(site, d, "rv1")
    try:
        wait_for("rv1 connected", lambda: connected(site, "rv1"), timeout=CMD_TIMEOUT)
        c = cert_of(site, "rv1")
        r = site.clickctl("cert", "revoke", c["fingerprint"])
        # The plugin's tick sweep or the broker's reload (which authenticates
        # every client again) closes the connection, whichever comes first.
        wait_for("rv1 disconnected",
                 lambda: "disconnecting client rv1: its certificate is no longer active" in
                 broker_log(site) or "Client rv1 disconnected" in broker_log(site), timeout=5)
    finally:
        p.kill()
        p.wait()
    r = site.press(d)
    check(r.returncode != 0, "a revoked certificate cannot connect again (rc %d)" % r.returncode)
    crl = openssl("crl", "-in", os.path.join(site.data, "ca", "crl.pem"), "-noout", "-text")
    check(c["serial"].upper() in crl.replace(":", ""), "the CRL lists the revoked serial")
    st, doc = site.request("PUT", "/certificates/" + c["fingerprint"], {"status": "active"})
    check(st == 409, "revocation is final: %d %r" % (st, doc))


def test_disabled_thing(site):
    d = site.device("dis1")
    p = sub(site, d, "dis1")
    try:
        wait_for("dis1 connected", lambda: connected(site, "dis1"), timeout=CMD_TIMEOUT)
        st, _ = site.request("PATCH", "/things/dis1", {"enabled": False})
        check(st == 200, "disable")
        wait_for("dis1 disconnected", lambda: "disconnecting client dis1:" in broker_log(site),
                 timeout=5)
    finally:
        p.kill()
        p.wait()
    check(site.press(d).returncode != 0, "a disabled thing cannot connect")
    site.request("PATCH", "/things/dis1", {"enabled": True})
    r = wait_for("dis1 presses again once enabled", lambda: site.press(d).returncode == 0,
                 timeout=10, interval=0.3)
    check(r, "enabled again")
    c = cert_of(site, "dis1")
    site.clickctl("cert", "deactivate", c["fingerprint"])
    check(site.press(d).returncode != 0, "an inactive certificate cannot connect")
    site.clickctl("cert", "activate", c["fingerprint"])
    check(wait_for("active again", lambda: site.press(d).returncode == 0, timeout=10,
                   interval=0.3), "activated again")


def test_csr(site):
    d = os.path.join(site.tmp, "csr-dev")
    os.makedirs(d)
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "key.pem", cwd=d)
    openssl("req", "-new", "-key", "key.pem", "-subj", "/CN=whatever", "-out", "req.pem", cwd=d)
    site.request("POST", "/things", {"name": "csr1"})
    st, doc = site.request("POST", "/things/csr1/certificates",
                           {"csr": open(os.path.join(d, "req.pem")).read()})
    check(st == 201 and "privateKeyPem" not in doc, "issued from the CSR without a key: %d" % st)
    with open(os.path.join(d, "cert.pem"), "w") as f:
        f.write(doc["certificatePem"])
    with open(os.path.join(d, "ca.pem"), "w") as f:
        f.write(doc["caPem"])
    check("CN=csr1" in openssl("x509", "-in", "cert.pem", "-noout", "-subject", cwd=d).replace(" ", ""),
          "the certificate names the thing, not the CSR's subject")
    r = pub(site, d, "csr1", "iotbutton/csr1")
    check(r.returncode == 0, "the device's own key connects: %s" % r.stderr)
    st, doc = site.request("POST", "/things/csr1/certificates", {"csr": "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"})
    check(st == 400, "a broken CSR is refused: %d %r" % (st, doc))


def test_operator_ca(site):
    d = os.path.join(site.tmp, "opca")
    os.makedirs(d)
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key", cwd=d)
    openssl("req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=Operator CA", "-days", "30",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
            "keyUsage=critical,keyCertSign,cRLSign", "-out", "opca.pem", cwd=d)
    with open(os.path.join(d, "index.txt"), "w"):
        pass
    with open(os.path.join(d, "ca.cnf"), "w") as f:
        f.write("[ca]\ndefault_ca=c\n[c]\ndatabase=index.txt\ndefault_md=sha256\n"
                "default_crl_days=30\ncrlnumber=crlnumber\n")
    with open(os.path.join(d, "crlnumber"), "w") as f:
        f.write("01\n")
    openssl("ca", "-config", "ca.cnf", "-gencrl", "-keyfile", "ca.key", "-cert", "opca.pem",
            "-out", "crl.pem", cwd=d)
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "key.pem", cwd=d)
    openssl("req", "-new", "-key", "key.pem", "-subj", "/CN=op1", "-out", "req.pem", cwd=d)
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\nextendedKeyUsage=clientAuth\n")
    openssl("x509", "-req", "-in", "req.pem", "-CA", "opca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "10", "-extfile", "ext.cnf", "-out", "cert.pem", cwd=d)
    cert = open(os.path.join(d, "cert.pem")).read()
    site.request("POST", "/things", {"name": "op1"})
    st, doc = site.request("POST", "/certificates", {"certificatePem": cert, "thing": "op1"})
    check(st == 400, "a certificate from an unknown CA is refused: %d %r" % (st, doc))
    st, doc = site.request("POST", "/cas", {"caPem": open(os.path.join(d, "opca.pem")).read()})
    check(st == 400, "a CA without its CRL is refused: %d" % st)
    r = site.clickctl("ca", "register", "--ca-file", os.path.join(d, "opca.pem"),
                      "--crl-file", os.path.join(d, "crl.pem"))
    st, doc = site.request("POST", "/certificates", {"certificatePem": cert, "thing": "op1"})
    check(st == 201 and doc["status"] == "active", "registered under the operator CA: %r" % doc)
    with open(os.path.join(d, "ca.pem"), "w") as f:
        f.write(open(os.path.join(site.data, "ca", "ca.pem")).read())
    ok = wait_for("the broker trusts the operator CA",
                  lambda: pub(site, d, "op1", "iotbutton/op1").returncode == 0, timeout=10,
                  interval=0.3)
    check(ok, "op1 connects")


def test_rotation(site):
    old = site.device("rot-old")
    r = site.clickctl("ca", "rotate", "--json")
    new_fp = json.loads(r.stdout)["fingerprint"]
    check(site.press(old).returncode == 0, "a device from the old CA still connects after rotation")
    new = site.device("rot-new")
    issuer = cert_of(site, "rot-new")["issuer"]
    check(issuer == new_fp, "new certificates come from the new CA")
    ca_pem = open(os.path.join(new, "ca.pem")).read()
    check(ca_pem.count("BEGIN CERTIFICATE") == 2, "device bundles trust both clickd CAs")
    ok = wait_for("the broker trusts the new CA",
                  lambda: site.press(new).returncode == 0, timeout=10, interval=0.3)
    check(ok, "a device from the new CA connects")
    check(site.press(old).returncode == 0, "and the old one too")


def main():
    site = Site("registry").start()
    failed = 0
    try:
        for t in (test_things, test_revoked_while_connected, test_disabled_thing, test_csr,
                  test_operator_ca, test_rotation):
            start = time.monotonic()
            try:
                t(site)
                print("PASS %s (%.2f s)" % (t.__name__, time.monotonic() - start), flush=True)
            except Exception as e:
                failed += 1
                print("FAIL %s: %s" % (t.__name__, e), flush=True)
    finally:
        if failed:
            print(site.log_text()[-3000:])
            print(broker_log(site)[-3000:])
        site.cleanup()
    print("%d passed, %d failed" % (6 - failed, failed))
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
