"""Integration test of zero-touch onboarding: the single-file bundle of
clickctl thing create --bundle, installed by clickbtn provision and used
for a press."""

import os
import stat
import subprocess

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


if __name__ == "__main__":
    run([test_single_file_bundle])
