"""clickctl cost estimate: the seed document's example in all three formats,
exact figures, no server or token needed, and every bad argument or price
file refused with one 'clickctl: ' line and exit status 2."""

import csv
import io
import json
import os
import subprocess
import tempfile

from harness import BIN, check, run

CLICKCTL = os.path.join(BIN, "clickctl")
SOURCE = os.path.abspath(os.environ.get("CK_SOURCE_DIR",
                                        os.path.join(os.path.dirname(__file__), "..", "..")))
SHIPPED = os.path.join(SOURCE, "data", "prices", "aws-us-east-1.prices")
SEED = ["--buttons", "10", "--presses-per-day", "100", "--days", "30", "--sms-per-press", "1"]


def clickctl(*args):
    # No token and an address nothing listens on: the estimator must not care.
    env = dict(os.environ, CLICKD_SERVER="http://127.0.0.1:9", CLICKD_DATA_DIR="/nonexistent")
    env.pop("CLICKD_TOKEN", None)
    return subprocess.run([CLICKCTL, "cost", "estimate"] + list(args), capture_output=True,
                          text=True, timeout=30, env=env)


def usage_error(r, *needles):
    lines = r.stderr.splitlines()
    check(r.returncode == 2, "expected exit 2, got %d: %r" % (r.returncode, r.stderr))
    check(len(lines) == 1 and lines[0].startswith("clickctl: "),
          "expected one 'clickctl: ' line, got %r" % r.stderr)
    check(r.stdout == "", "nothing on stdout after an error, got %r" % r.stdout)
    for n in needles:
        check(n in lines[0], "%r not in %r" % (n, lines[0]))


def row(stdout, name):
    for line in stdout.splitlines():
        if line.startswith(name + "  "):
            return line.split()
    raise AssertionError("no row %r in:\n%s" % (name, stdout))


def test_seed_table():
    r = clickctl(*SEED, "--prices", SHIPPED)
    check(r.returncode == 0 and r.stderr == "", "exit %d: %s" % (r.returncode, r.stderr))
    check("= 30,000 presses" in r.stdout, r.stdout)
    check(row(r.stdout, "IoT Core messages")[-1] == "$0.03", r.stdout)
    check(row(r.stdout, "IoT Core rules triggered")[-1] == "$0.0045", r.stdout)
    check(row(r.stdout, "Lambda requests")[-1] == "$0.00", r.stdout)
    check(row(r.stdout, "Lambda compute")[2:5] == ["375", "GB-s", "400,000"], r.stdout)
    check(row(r.stdout, "SNS SMS")[-1] == "$193.50", r.stdout)
    check(row(r.stdout, "DynamoDB writes")[-1] == "$0.01875", r.stdout)
    check(row(r.stdout, "without SMS")[2:] == ["$0.05775", "(≈", "$0.06)", "$3.0817008219",
                                                "(≈", "$3.08)"], r.stdout)
    check(row(r.stdout, "with SMS")[2:4] == ["$193.55775", "(≈"], r.stdout)
    check(row(r.stdout, "Server amortisation")[-2:] == ["$2.1917808219", "(rounded)"], r.stdout)
    check("Prices: %s" % os.path.realpath(SHIPPED) in r.stdout, r.stdout)


def test_default_price_file_is_found():
    # clickctl in build/<dir>/ finds the source tree's data/prices.
    r = clickctl(*SEED)
    check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr))
    check(row(r.stdout, "SNS SMS")[-1] == "$193.50", r.stdout)
    check("aws-us-east-1.prices" in r.stdout, r.stdout)


def test_seed_json():
    for fmt in (["--format", "json"], ["--json"], ["--json", "--format", "json"]):
        r = clickctl(*SEED, "--prices", SHIPPED, *fmt)
        check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr))
        j = json.loads(r.stdout)
        check(j["presses"] == 30000 and j["currency"] == "USD", j)
        check(j["inputs"]["free_tier"] is True and j["inputs"]["sms_per_press"] == 1, j)
        aws = {l["id"]: l for l in j["aws"]["lines"]}
        check(aws["aws.iot.messages"]["cost"] == "0.03", aws["aws.iot.messages"])
        check(aws["aws.sns.sms"]["cost"] == "193.50", aws["aws.sns.sms"])
        check(aws["aws.sns.sms"]["price"] == "0.00645", aws["aws.sns.sms"])
        check(aws["aws.sns.sms"]["source"] == "https://aws.amazon.com/sns/sms-pricing/",
              aws["aws.sns.sms"])
        check(aws["aws.dynamodb.writes"]["cost"] == "0.01875", aws["aws.dynamodb.writes"])
        check(aws["aws.lambda.compute"]["quantity"] == "375", aws["aws.lambda.compute"])
        check(j["aws"]["total"] == "193.55775", j["aws"])
        check(j["aws"]["total_without_sms"] == "0.05775", j["aws"])
        check(j["self_hosted"]["total"] == "253.2317008219", j["self_hosted"])
        for l in j["aws"]["lines"] + j["self_hosted"]["lines"]:
            check(len(l["date"]) == 10 and l["source"], l)


def test_seed_csv():
    r = clickctl(*SEED, "--prices", SHIPPED, "--format", "csv")
    check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr))
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    by = {(x["side"], x["id"]): x for x in rows}
    check(by[("aws", "aws.sns.sms")]["cost"] == "193.50", rows)
    check(by[("aws", "total")]["cost"] == "193.55775", rows)
    check(by[("aws", "total_without_sms")]["cost"] == "0.05775", rows)
    check(by[("self_hosted", "self.server")]["rounded"] == "true", rows)
    check(by[("self_hosted", "total")]["cost"] == "253.2317008219", rows)
    check(len(rows) == 14 + 4, "14 lines and 4 totals, got %d" % len(rows))


def test_without_free_tier():
    r = clickctl(*SEED, "--prices", SHIPPED, "--no-free-tier", "--json")
    check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr))
    j = json.loads(r.stdout)
    aws = {l["id"]: l for l in j["aws"]["lines"]}
    check(aws["aws.lambda.compute"]["cost"] == "0.0062500125", aws["aws.lambda.compute"])
    check(j["aws"]["total"] == "193.5850000125", j["aws"])
    r = clickctl(*SEED, "--prices", SHIPPED, "--free-tier", "--json")
    check(json.loads(r.stdout)["aws"]["total"] == "193.55775", r.stdout)


def test_custom_prices():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "mine.prices")
        with open(SHIPPED) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace("aws.sns.sms                0.00645",
                                 "aws.sns.sms                0.00581"))
        r = clickctl(*SEED, "--prices", path, "--json")
        check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr))
        j = json.loads(r.stdout)
        check(j["aws"]["total"] == "174.35775", j["aws"])
        check(j["prices"] == os.path.realpath(path), j["prices"])


def test_bad_arguments():
    cases = [
        (["--buttons", "-5", "--presses-per-day", "100"], ["--buttons", "'-5'"]),
        (["--buttons", "10", "--presses-per-day", "-1"], ["--presses-per-day", "'-1'"]),
        (["--buttons", "10", "--presses-per-day", "1", "--days", "-30"], ["--days"]),
        (["--buttons", "10", "--presses-per-day", "1", "--sms-per-press", "-1"],
         ["--sms-per-press"]),
        (["--buttons", "10", "--presses-per-day", "1", "--emails-per-press", "1.5"],
         ["--emails-per-press", "'1.5'"]),
        (["--buttons", "10", "--presses-per-day", "1", "--webhooks-per-press", "x"],
         ["--webhooks-per-press"]),
        (["--buttons", "0", "--presses-per-day", "1"], ["--buttons", "from 1"]),
        (["--buttons", "1000001", "--presses-per-day", "1"], ["--buttons", "1000000"]),
        (["--buttons", "99999999999999999999", "--presses-per-day", "1"], ["--buttons"]),
        (["--buttons", "+5", "--presses-per-day", "1"], ["--buttons"]),
        (["--buttons", "", "--presses-per-day", "1"], ["--buttons"]),
        (["--presses-per-day", "1"], ["needs --buttons"]),
        (["--buttons", "10"], ["needs --presses-per-day"]),
        (["--buttons", "10", "--presses-per-day", "1", "--format", "xml"], ["--format", "xml"]),
        (["--buttons", "10", "--presses-per-day", "1", "--json", "--format", "table"],
         ["--json"]),
        (["--buttons", "10", "--presses-per-day", "1", "--free-tier", "--no-free-tier"],
         ["not both"]),
        (["--buttons", "10", "--presses-per-day", "1", "extra"], ["extra"]),
        (["--buttons", "10", "--presses-per-day", "1", "--status", "x"], ["--status"]),
        (["--buttons", "10", "--presses-per-day", "1", "--frobnicate"], ["--frobnicate"]),
        (["--buttons"], ["--buttons"]),
    ]
    for args, needles in cases:
        usage_error(clickctl(*args), *needles)


def test_bad_price_files():
    with open(SHIPPED) as f:
        text = f.read()
    lines = text.splitlines(keepends=True)
    sms_line = next(i for i, l in enumerate(lines) if l.startswith("aws.sns.sms ")) + 1

    def edited(old, new):
        check(old in text, "%r not in the shipped file" % old)
        return text.replace(old, new, 1)

    cases = [
        ("unknown_key", edited("aws.sns.sms ", "aws.sns.mms "),
         ["line %d" % sms_line, "unknown price key 'aws.sns.mms'"]),
        ("missing_key", "".join(l for l in lines if not l.startswith("aws.sns.sms ")),
         ["missing price key 'aws.sns.sms'"]),
        ("negative", edited("0.00645", "-0.00645"),
         ["line %d" % sms_line, "aws.sns.sms", "'-0.00645'"]),
        ("exponent", edited("0.00645", "6.45e-3"), ["aws.sns.sms", "'6.45e-3'"]),
        ("comma", edited("0.00645", "0,00645"), ["aws.sns.sms", "'0,00645'"]),
        ("unit", edited("USD/1M-WRU", "USD/1K-WRU"), ["aws.dynamodb.write", "USD/1M-WRU"]),
        ("date", edited("2026-11-26", "2026-13-01"), ["line", "date '2026-13-01'"]),
        ("source", edited("https://aws.amazon.com/sns/sms-pricing/", "seed"),
         ["aws.sns.sms", "source 'seed'"]),
        ("fields", edited("USD/SMS ", ""), ["line %d" % sms_line, "4 fields"]),
        ("duplicate", text + lines[sms_line - 1], ["given twice", "line %d" % sms_line]),
        ("binary", "\x00\x01\x02garbage", ["line 1", "control character"]),
        ("empty", "", ["missing price key 'aws.iot.message'"]),
        ("huge", "#" * 70000 + "\n", ["larger than 65536 bytes"]),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for name, content, needles in cases:
            path = os.path.join(tmp, name + ".prices")
            with open(path, "w") as f:
                f.write(content)
            r = clickctl(*SEED, "--prices", path)
            try:
                usage_error(r, *needles)
            except Exception as e:
                raise AssertionError("%s: %s" % (name, e))
            if name != "huge":
                check(path in r.stderr, "%s: the path is named: %r" % (name, r.stderr))
        usage_error(clickctl(*SEED, "--prices", os.path.join(tmp, "absent.prices")),
                    "absent.prices", "No such file")
        usage_error(clickctl(*SEED, "--prices", tmp), "price file")


def test_help():
    r = subprocess.run([CLICKCTL, "--help"], capture_output=True, text=True, timeout=30)
    check(r.returncode == 0 and "cost estimate --buttons N" in r.stdout, r.stdout)
    r = clickctl("--help")
    check(r.returncode == 0 and "--no-free-tier" in r.stdout and "--prices FILE" in r.stdout,
          r.stdout)


if __name__ == "__main__":
    run([test_seed_table, test_default_price_file_is_found, test_seed_json, test_seed_csv,
         test_without_free_tier, test_custom_prices, test_bad_arguments, test_bad_price_files,
         test_help])
