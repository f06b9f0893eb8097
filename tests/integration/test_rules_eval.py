"""clickctl rules eval: one rule against one message, offline, with exactly
the interface of issue 3 point 7. Each case cites the section of
rules-sql.md it checks. The output payload must be the exact bytes
(compact JSON, or the original bytes of a binary payload), exit 0 when the
rule fires, 1 when it does not (nothing printed), 2 for invalid SQL or
template (line and column on stderr) and for usage errors."""

import json
import os
import re
import subprocess
import tempfile

from harness import BIN, check, run

CLICKCTL = os.path.join(BIN, "clickctl")

BUTTON = b'{"serialNumber": "G030JF0001", "batteryVoltage": "1615mV", "clickType": "SINGLE"}'
DOC = (b'{"a":1,"b":2.5,"s":"str","n":null,"t":true,"f":false,"num":"10",'
       b'"arr":[1,"two",3],"o":{"x":{"y":7},"k-1":"dash"},"big":1597220890942926000,'
       b'"e":[{"n":"temperature","v":22.5},{"n":"light","v":1}],"color":"red",'
       b'"lat_long":[47.606,-122.332]}')
NOFIRE = None  # the rule does not fire: exit 1, nothing printed


def clickctl(args, stdin=None):
    # No token and an address nothing listens on: eval must not need either.
    env = dict(os.environ, CLICKD_SERVER="http://127.0.0.1:9", CLICKD_DATA_DIR="/nonexistent")
    env.pop("CLICKD_TOKEN", None)
    return subprocess.run([CLICKCTL, "rules", "eval"] + list(args), input=stdin,
                          capture_output=True, timeout=30, env=env)


def ev(sql, payload=DOC, topic="iotbutton/G030JF0001", extra=()):
    args = ["--sql", sql, "--topic", topic]
    if payload is not None:
        args += ["--payload", payload if isinstance(payload, bytes) else payload.encode()]
    return clickctl(args + list(extra))


def expect(section, r, want):
    """want: bytes (exact stdout, exit 0) or NOFIRE."""
    where = "%s: exit %d, stdout %r, stderr %r" % (section, r.returncode, r.stdout, r.stderr)
    if want is NOFIRE:
        check(r.returncode == 1, "expected no fire (exit 1); " + where)
        check(r.stdout == b"", "nothing on stdout when the rule does not fire; " + where)
    else:
        check(r.returncode == 0, "expected the rule to fire; " + where)
        check(r.stdout == want, "expected %r; %s" % (want, where))
    check(r.stderr == b"", "nothing on stderr; " + where)


def expect_error(section, r, line, column, needle=""):
    where = "%s: exit %d, stdout %r, stderr %r" % (section, r.returncode, r.stdout, r.stderr)
    err = r.stderr.decode("utf-8", "replace")
    check(r.returncode == 2, "expected exit 2; " + where)
    check(r.stdout == b"", "nothing on stdout after an error; " + where)
    check(err.startswith("clickctl: "), where)
    check("line %d, column %d" % (line, column) in err, "position in message; " + where)
    check(needle in err, "%r in message; %s" % (needle, where))


# (section, sql, payload, want): evaluated on topic iotbutton/G030JF0001.
CASES = [
    # §1 pipeline: WHERE first, then SELECT; only true fires
    ("§1", "SELECT * FROM 'iotbutton/+' WHERE clickType = 'SINGLE'", BUTTON,
     b'{"serialNumber":"G030JF0001","batteryVoltage":"1615mV","clickType":"SINGLE"}'),
    ("§1", "SELECT * FROM 'iotbutton/+' WHERE clickType = 'DOUBLE'", BUTTON, NOFIRE),
    ("§1", "SELECT clickType FROM 'iotbutton/+'", BUTTON, b'{"clickType":"SINGLE"}'),
    ("§1", "SELECT a FROM 'iotbutton/+' WHERE 1 / 0 = 1", DOC, NOFIRE),
    # §2 lexical structure
    ("§2", "select a as x from 'iotbutton/+' where s = \"str\"", DOC, b'{"x":1}'),
    ("§2", "SELECT a FROM 'iotbutton/+' WHERE \"s\" = 'str'", DOC, NOFIRE),
    ("§2", "SELECT A FROM 'iotbutton/+'", DOC, b'{}'),
    ("§2", "SELECT VALUE o.k-1 FROM 'iotbutton/+'", DOC, b''),
    ("§2", "SELECT VALUE get(o, 'k-1') FROM 'iotbutton/+'", DOC, b'"dash"'),
    ("§2", "SELECT VALUE IsUndefined(missing) = True FROM 'iotbutton/+'", DOC, b'true'),
    ("§2", "SELECT\n  a AS x,\n  s\nFROM\n  'iotbutton/+'", DOC, b'{"x":1,"s":"str"}'),
    # §3 grammar and precedence
    ("§3", "SELECT VALUE NOT a = 1 FROM 'iotbutton/+'", DOC, b'false'),
    ("§3", "SELECT VALUE true OR true AND false FROM 'iotbutton/+'", DOC, b'true'),
    ("§3", "SELECT VALUE 2 * 3 + 4 FROM 'iotbutton/+'", DOC, b'10'),
    ("§3", "SELECT VALUE decode('eyJ0ZW1wZXJhdHVyZSI6MjJ9', 'base64').temperature "
     "FROM 'iotbutton/+'", DOC, b'22'),
    # §4 types and number output
    ("§4", "SELECT n, missing, a FROM 'iotbutton/+'", DOC, b'{"n":null,"a":1}'),
    ("§4", "SELECT NULL AS n FROM 'iotbutton/+'", DOC, b'{"n":null}'),
    ("§4.1", "SELECT big FROM 'iotbutton/+'", DOC, b'{"big":1597220890942926000}'),
    ("§4.1", "SELECT * FROM 'iotbutton/+'", b'{"k":1,"k":2}', b'{"k":2}'),
    ("§4.2", "SELECT * FROM 'iotbutton/+'", b'{"x":36.903999599999999,"y":10.0}',
     b'{"x":36.9039996,"y":10}'),
    ("§4.2", "SELECT * FROM 'iotbutton/+'", b'{"d":-25.2632837000000772}',
     b'{"d":-25.263283700000077}'),
    ("§4.2", "SELECT VALUE sqrt(-1) FROM 'iotbutton/+'", DOC, b''),
    ("§4.3", "SELECT VALUE 7 / 2 FROM 'iotbutton/+'", DOC, b'3'),
    ("§4.3", "SELECT VALUE 9223372036854775807 + 1 FROM 'iotbutton/+'", DOC,
     b'9223372036854776000'),
    # §5 conversions
    ("§5", "SELECT VALUE cast(true AS Int) FROM 'iotbutton/+'", DOC, b'1'),
    ("§5", "SELECT VALUE cast('5.9' AS Int) FROM 'iotbutton/+'", DOC, b'5'),
    ("§5", "SELECT VALUE ' 5' < 6 FROM 'iotbutton/+'", DOC, b''),
    ("§5", "SELECT VALUE cast(arr AS String) FROM 'iotbutton/+'", DOC, b'"[1,\\"two\\",3]"'),
    # §6 operators
    ("§6.1", "SELECT a FROM 'iotbutton/+' WHERE true OR missing", DOC, NOFIRE),
    ("§6.1", "SELECT VALUE NOT 'false' FROM 'iotbutton/+'", DOC, b'true'),
    ("§6.2", "SELECT VALUE 5 = '5' FROM 'iotbutton/+'", DOC, b'false'),
    ("§6.2", "SELECT VALUE {'b': 2, 'a': 1} = {'a': 1, 'b': 2} FROM 'iotbutton/+'", DOC,
     b'true'),
    ("§6.2", "SELECT a FROM 'iotbutton/+' WHERE missing <> 'x'", DOC, NOFIRE),
    ("§6.3", "SELECT VALUE '10' > '9' FROM 'iotbutton/+'", DOC, b'true'),
    ("§6.3", "SELECT a FROM 'iotbutton/+' WHERE 'b' > 'a'", DOC, NOFIRE),
    ("§6.3", "SELECT * FROM 'iotbutton/+' WHERE batteryVoltage > 1500", BUTTON, NOFIRE),
    ("§6.4", "SELECT VALUE 1 + '2' FROM 'iotbutton/+'", DOC, b'"12"'),
    ("§6.4", "SELECT VALUE 'n=' + true FROM 'iotbutton/+'", DOC, b'"n=true"'),
    ("§6.5", "SELECT VALUE '5' - 2 FROM 'iotbutton/+'", DOC, b'3'),
    ("§6.5", "SELECT VALUE 'abc' - 1 FROM 'iotbutton/+'", DOC, b''),
    # §7 field references
    ("§7", "SELECT o.x.y FROM 'iotbutton/+'", DOC, b'{"y":7}'),
    ("§7", "SELECT VALUE get(arr, 1) FROM 'iotbutton/+'", DOC, b'"two"'),
    ("§7", "SELECT VALUE get(*, 'color') FROM 'iotbutton/+'", DOC, b'"red"'),
    ("§7", "SELECT color AS c FROM 'iotbutton/+' WHERE c = 'red'", DOC, NOFIRE),
    ("§7", "SELECT a FROM 'iotbutton/+' WHERE foo = 1", b'[1,2]', NOFIRE),
    # §8 SELECT output
    ("§8.1", "SELECT * FROM 'iotbutton/+'", b'[1, 2, {"z": "\\u00e9"}]',
     b'[1,2,{"z":"\xc3\xa9"}]'),
    ("§8.2", "SELECT *, 15 AS speed FROM 'iotbutton/+'", b'{"color":"red","temperature":50}',
     b'{"color":"red","temperature":50,"speed":15}'),
    ("§8.2", "SELECT missing FROM 'iotbutton/+'", DOC, b'{}'),
    ("§8.3", "SELECT o.x.y, topic(2), upper(s) FROM 'iotbutton/+'", DOC,
     b'{"y":7,"topic":"G030JF0001","upper":"STR"}'),
    ("§8.4", "SELECT state.debug AS state.debug, state.command AS state.command, version "
     "FROM 'iotbutton/+'", b'{"state":{"debug":1,"command":"go"},"version":"3.1"}',
     b'{"state":{"debug":1,"command":"go"},"version":"3.1"}'),
    ("§8.4", "SELECT true AS state.reported.light_detected FROM 'iotbutton/+'", b'{}',
     b'{"state":{"reported":{"light_detected":true}}}'),
    ("§8.5", "SELECT VALUE color FROM 'iotbutton/+'", DOC, b'"red"'),
    ("§8.5", "SELECT VALUE arr FROM 'iotbutton/+'", DOC, b'[1,"two",3]'),
    ("§8.5", "SELECT VALUE missing FROM 'iotbutton/+'", DOC, b''),
    ("§8.6", "SELECT * FROM 'iotbutton/+'", b'\x01\x02\xffhi \x7f', b'\x01\x02\xffhi \x7f'),
    ("§8.6", "SELECT VALUE * FROM 'iotbutton/+'", b'not json', b'not json'),
    ("§8.6", "SELECT encode(*, 'base64') AS b FROM 'iotbutton/+'", b'hi!', b'{"b":"aGkh"}'),
    ("§8.6", "SELECT a, topic() AS t FROM 'iotbutton/+'", b'{"a":1',
     b'{"t":"iotbutton/G030JF0001"}'),
    ("§8.6", "SELECT * FROM 'iotbutton/+' WHERE a = 1", b'\x89PNG', NOFIRE),
    ("§8.7", "SELECT s, a FROM 'iotbutton/+'", b'{ "a" : 1 ,\n "s" : "x\\ty\\"" }',
     b'{"s":"x\\ty\\"","a":1}'),
    # §9 WHERE
    ("§9", "SELECT a FROM 'iotbutton/+' WHERE a", DOC, NOFIRE),
    ("§9", "SELECT a FROM 'iotbutton/+' WHERE t", DOC, b'{"a":1}'),
    ("§9", "SELECT a FROM 'iotbutton/+' WHERE 'TRUE'", DOC, b'{"a":1}'),
    ("§9", "SELECT a FROM 'iotbutton/+' WHERE isUndefined(missing)", DOC, b'{"a":1}'),
    ("§9", "SELECT a FROM 'iotbutton/+' WHERE NOT isUndefined(a)", DOC, b'{"a":1}'),
    # §10 CASE
    ("§10", "SELECT CASE clickType WHEN 'SINGLE' THEN 'pickup' WHEN 'DOUBLE' THEN 'clean' "
     "ELSE 'other' END AS kind FROM 'iotbutton/+'", BUTTON, b'{"kind":"pickup"}'),
    ("§10", "SELECT CASE missing WHEN 'x' THEN 1 ELSE 2 END AS k, 1 AS one "
     "FROM 'iotbutton/+'", DOC, b'{"one":1}'),
    ("§10", "SELECT VALUE CASE a WHEN '1' THEN 'str' WHEN 1 THEN 'int' END "
     "FROM 'iotbutton/+'", DOC, b'"int"'),
    # §11 literals
    ("§11", "SELECT VALUE {'latitude': get(lat_long, 0), 'longitude': get(lat_long, 1)} "
     "FROM 'iotbutton/+'", DOC, b'{"latitude":47.606,"longitude":-122.332}'),
    ("§11", "SELECT [a, s] AS pair, {'m': missing} AS o FROM 'iotbutton/+'", DOC,
     b'{"pair":[1,"str"],"o":{}}'),
    # §12 nested object queries
    ("§12", "SELECT VALUE (SELECT VALUE n FROM e) FROM 'iotbutton/+'", DOC,
     b'["temperature","light"]'),
    ("§12", "SELECT (SELECT v FROM e WHERE n = 'temperature') AS t FROM 'iotbutton/+'", DOC,
     b'{"t":[{"v":22.5}]}'),
    # §13 functions
    ("§13.1", "SELECT topic() AS t, topic(1) AS t1, topic(2) AS t2, topic(3) AS t3 "
     "FROM 'iotbutton/+'", DOC,
     b'{"t":"iotbutton/G030JF0001","t1":"iotbutton","t2":"G030JF0001"}'),
    ("§13.1", "SELECT VALUE clientid() FROM 'iotbutton/+'", DOC, b'"n/a"'),
    ("§13.1", "SELECT VALUE concat([1,2,3], 'hello', [4,5,6]) FROM 'iotbutton/+'", DOC,
     b'[1,2,3,"hello",4,5,6]'),
    ("§13.1", "SELECT VALUE substring('012345', 1, 3) FROM 'iotbutton/+'", DOC, b'"12"'),
    ("§13.1", "SELECT VALUE Trim(' hi ') + '|' + Ltrim(' h i ') FROM 'iotbutton/+'", DOC,
     b'"hi|h i "'),
    ("§13.1", "SELECT VALUE [round(1.5), round(-1.5), ceil(-1.2), floor(-1.2)] "
     "FROM 'iotbutton/+'", DOC, b'[2,-2,-1,-2]'),
    ("§13.1", "SELECT VALUE replace('abcdabcd', 'b', 'x') FROM 'iotbutton/+'", DOC,
     b'"axcdaxcd"'),
    ("§13.1", "SELECT VALUE [length(false), indexof('abcd', 'bc'), abs('-5.123')] "
     "FROM 'iotbutton/+'", DOC, b'[5,1,5.123]'),
    ("§13.1", "SELECT VALUE nanvl(missing, 3) FROM 'iotbutton/+'", DOC, b'3'),
    ("§13.1", "SELECT VALUE encode('hello', 'base64') FROM 'iotbutton/+'", DOC,
     b'"aGVsbG8="'),
    ("§13.2", "SELECT VALUE regexp_replace('abcd', 'b(.*)d', '$1') FROM 'iotbutton/+'", DOC,
     b'"ac"'),
    ("§13.2", "SELECT VALUE md5('hello') FROM 'iotbutton/+'", DOC,
     b'"5d41402abc4b2a76b9719d911017c592"'),
    ("§13.2", "SELECT VALUE [lpad('hello', 2), bitand(13, 5), trunc(2.3123, 2), chr(65)] "
     "FROM 'iotbutton/+'", DOC, b'["  hello",5,2.31,"A"]'),
    # §14 FROM topic filters (topic iotbutton/G030JF0001)
    ("§14.2", "SELECT a FROM 'iotbutton/#'", DOC, b'{"a":1}'),
    ("§14.2", "SELECT a FROM 'iotbutton'", DOC, NOFIRE),
    ("§14.2", "SELECT a FROM 'IOTBUTTON/+'", DOC, NOFIRE),
    ("§14.2", "SELECT a FROM '+/+/+'", DOC, NOFIRE),
    ("§14.2", "SELECT a FROM '#'", DOC, b'{"a":1}'),
    # §16 is below (needs --sql-version); §17 errors are below
]

# (section, sql, topic, want): topic matching of §14.
TOPICS = [
    ("§14.2", "SELECT VALUE 1 FROM 'sensor/#'", "sensor", NOFIRE),
    ("§14.2", "SELECT VALUE 1 FROM 'sensor/#'", "sensor/", b'1'),
    ("§14.2", "SELECT VALUE 1 FROM 'sensor/#'", "sensor/temperature/room1", b'1'),
    ("§14.2", "SELECT VALUE 1 FROM 'topic/+'", "topic/subtopic-3/details", NOFIRE),
    ("§14.2", "SELECT VALUE 1 FROM 'a/+/c'", "a//c", b'1'),
    ("§14.2", "SELECT VALUE 1 FROM '#'", "$aws/things/t1/shadow/update", NOFIRE),
    ("§14.2", "SELECT VALUE 1 FROM '+/things/#'", "$aws/things/t1", NOFIRE),
    ("§14.2", "SELECT VALUE topic(3) FROM '$aws/things/+/shadow/update'",
     "$aws/things/t1/shadow/update", b'"t1"'),
    ("§14.2", "SELECT VALUE topic(4) FROM '/company/windfarm/+/turbine/+/+'",
     "/company/windfarm/3/turbine/1/rpm", b'"3"'),
]

# (section, sql, line, column, message part): compile errors, exit 2.
ERRORS = [
    ("§2", "SELECT * FROM 'a' -- comment", 1, 19, "unexpected '-'"),
    ("§2", "SELECT * FROM a", 1, 15, "single-quoted topic filter"),
    ("§3", "SELECT FROM 'a'", 1, 8, "empty SELECT list"),
    ("§3", "SELECT * 'a'", 1, 10, "expected FROM"),
    ("§3", "SELECT a,, b FROM 'a'", 1, 10, "expected an expression"),
    ("§3", "SELECT (a FROM 'a'", 1, 11, "expected ')'"),
    ("§3", "SELECT\n  a\nFROM 'a'\nWHERE b = 'x", 4, 11, "unterminated string"),
    ("§3", "SELECT * FROM 'a' WHERE a < b < c", 1, 31, "cannot be chained"),
    ("§3", "SELECT nosuch(a) FROM 'a'", 1, 8, "unknown function 'nosuch'"),
    ("§10", "SELECT CASE a THEN 1 END FROM 'a'", 1, 15, "CASE without WHEN"),
    ("§13.1", "SELECT cast(a AS Float) FROM 'a'", 1, 18, "unknown CAST type"),
    ("§14.1", "SELECT * FROM 'a/#/b'", 1, 15, "invalid topic filter"),
    ("§14.1", "SELECT * FROM ''", 1, 15, "invalid topic filter"),
    ("§17", "SET @a = 1 SELECT * FROM 'a'", 1, 1, "SET is not supported"),
    ("§17", "SELECT * FROM 'a' WHERE a IN [1]", 1, 27, "IN is not supported"),
]


def test_spec_cases():
    for section, sql, payload, want in CASES:
        expect("%s %s" % (section, sql), ev(sql, payload), want)


def test_topics():
    for section, sql, topic, want in TOPICS:
        expect("%s %s on %s" % (section, sql, topic), ev(sql, DOC, topic), want)


def test_invalid_sql():
    for section, sql, line, column, needle in ERRORS:
        r = ev(sql)
        expect_error("%s %s" % (section, sql), r, line, column, needle)
        # the caret line points at the column
        lines = r.stderr.decode().splitlines()
        check(len(lines) == 3 and lines[2].index("^") == column + 1, r.stderr)
    # an invalid rule is reported even when the topic would not match
    expect_error("§3", ev("SELECT * FROM 'other' WHERE", topic="x"), 1, 28, "expression")


def test_clientid_and_timestamp():
    # §13.1: clientid() is the publisher's client id; timestamp() is now, in ms
    r = ev("SELECT clientid() AS c, timestamp() AS ts, newuuid() AS id FROM 'iotbutton/+'",
           extra=["--clientid", "G030JF0001"])
    expect("§13.1", r, r.stdout if r.returncode == 0 else b"?")
    out = json.loads(r.stdout)
    check(out["c"] == "G030JF0001", r.stdout)
    check(isinstance(out["ts"], int) and out["ts"] > 1600000000000, r.stdout)
    check(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                       out["id"]) is not None, r.stdout)


def test_sql_versions():
    # §16: 2015-10-08 keeps whole decimals and has no literals or 2016 functions
    expect("§16", ev("SELECT * FROM 'iotbutton/+'", b'{"x":10.0}',
                     extra=["--sql-version", "2015-10-08"]), b'{"x":10.0}')
    expect("§16", ev("SELECT * FROM 'iotbutton/+'", b'{"x":10.0}',
                     extra=["--sql-version", "2016-03-23"]), b'{"x":10}')
    expect("§16", ev("SELECT VALUE sql_version() FROM 'iotbutton/+'",
                     extra=["--sql-version", "2015-10-08"]), b'"2015-10-08"')
    expect_error("§16", ev("SELECT VALUE [1] FROM 'a'", extra=["--sql-version", "2015-10-08"]),
                 1, 14, "2016-03-23")
    r = ev("SELECT * FROM 'a'", extra=["--sql-version", "beta"])
    check(r.returncode == 2 and b"--sql-version" in r.stderr, r.stderr)


def test_templates():
    sql = "SELECT color AS c FROM 'iotbutton/+' WHERE a = 1"
    # §15: templates see the original message, never the SELECT output
    cases = [
        ("${topic()}/republish", b"iotbutton/G030JF0001/republish"),
        ("${topic(2)}/${color}/${c}", b"G030JF0001/red/"),
        ("$$aws/things/${topic(2)}/shadow/update", b"$aws/things/G030JF0001/shadow/update"),
        ("${a + 1} ${b} ${t} ${n} [${missing}] ${arr}", b'2 2.5 true null [] [1,"two",3]'),
        ("${floor(1700000000123 / 1E3)}", b"1700000000"),
        ("${get(o, 'k-1')}", b"dash"),
        ("plain", b"plain"),
    ]
    for tpl, want in cases:
        expect("§15 %s" % tpl, ev(sql, extra=["--template", tpl]), want)
    # the rule does not fire: the template is not rendered
    expect("§15", ev(sql, b'{"a":2}', extra=["--template", "x"]), NOFIRE)
    # binary payload: fields are empty
    expect("§15", ev("SELECT * FROM 'iotbutton/+'", b"\x01\x02", extra=["--template", "[${a}]"]),
           b"[]")
    # invalid templates: line and column within the template, exit 2
    expect_error("§15", ev(sql, extra=["--template", "ab ${a +}"]), 1, 9, "expected an expr")
    expect_error("§15", ev(sql, extra=["--template", "x\n${upper(s)"]), 2, 1, "unterminated")


def test_basic_ingest():
    # issue 3 point 5: $aws/rules/<name>/<rest> reaches the named rule alone,
    # whatever its FROM filter; topic() sees <rest>
    sql = "SELECT topic() AS t, topic(1) AS t1, clickType FROM 'elsewhere/+'"
    topic = "$aws/rules/pickup/iotbutton/G030JF0001"
    want = b'{"t":"iotbutton/G030JF0001","t1":"iotbutton","clickType":"SINGLE"}'
    expect("§1 basic ingest", ev(sql, BUTTON, topic, ["--rule-name", "pickup"]), want)
    expect("§1 basic ingest, other rule", ev(sql, BUTTON, topic, ["--rule-name", "other"]),
           NOFIRE)
    expect("§1 basic ingest, no rule name", ev(sql, BUTTON, topic), NOFIRE)
    expect("§1 basic ingest, WHERE false",
           ev(sql + " WHERE clickType = 'LONG'", BUTTON, topic, ["--rule-name", "pickup"]),
           NOFIRE)
    # a FROM filter on the prefix does not make it an ordinary topic
    expect("§1 basic ingest", ev("SELECT VALUE 1 FROM '$aws/rules/pickup/#'", BUTTON, topic),
           NOFIRE)
    # --rule-name does not matter for ordinary topics
    expect("§1", ev(sql.replace("elsewhere", "iotbutton"), BUTTON, extra=["--rule-name", "x"]),
           b'{"t":"iotbutton/G030JF0001","t1":"iotbutton","clickType":"SINGLE"}')
    # templates also see the topic without the prefix
    expect("§15 basic ingest", ev(sql, BUTTON, topic, ["--rule-name", "pickup",
                                                        "--template", "${topic(2)}"]),
           b"G030JF0001")


def test_payload_file():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "button.json")
        with open(path, "wb") as f:
            f.write(BUTTON + b"\n")
        r = clickctl(["--sql", "SELECT * FROM 'iotbutton/+' WHERE clickType = 'SINGLE'",
                      "--topic", "iotbutton/x", "--payload-file", path])
        expect("§1 payload file", r,
               b'{"serialNumber":"G030JF0001","batteryVoltage":"1615mV","clickType":"SINGLE"}')
        # every byte value, NUL included, passes through unchanged (§8.6)
        blob = bytes(range(256)) * 4
        path = os.path.join(tmp, "blob.bin")
        with open(path, "wb") as f:
            f.write(blob)
        r = clickctl(["--sql", "SELECT * FROM 'iotbutton/+'", "--topic", "iotbutton/x",
                      "--payload-file", path])
        expect("§8.6 payload file", r, blob)
        r = clickctl(["--sql", "SELECT VALUE numbytes(encode(*, 'base64')) FROM 'iotbutton/+'",
                      "--topic", "iotbutton/x", "--payload-file", path])
        expect("§8.6 payload file", r, b"1368")
        # "-" is standard input; an empty file is an empty (binary) payload
        r = clickctl(["--sql", "SELECT VALUE * FROM 'iotbutton/+'", "--topic", "iotbutton/x",
                      "--payload-file", "-"], stdin=b'{"from":"stdin"}')
        expect("§8.5 stdin", r, b'{"from":"stdin"}')
        path = os.path.join(tmp, "empty")
        open(path, "wb").close()
        r = clickctl(["--sql", "SELECT * FROM 'iotbutton/+'", "--topic", "iotbutton/x",
                      "--payload-file", path])
        expect("§8.6 empty payload", r, b"")
        r = clickctl(["--sql", "SELECT * FROM 'iotbutton/+'", "--topic", "iotbutton/x",
                      "--payload-file", os.path.join(tmp, "absent")])
        check(r.returncode == 2 and b"absent" in r.stderr and r.stdout == b"", r.stderr)


def test_usage_errors():
    sql = "SELECT * FROM 'a'"
    bad = [
        ["--topic", "a", "--payload", "{}"],                                  # no --sql
        ["--sql", sql, "--payload", "{}"],                                     # no --topic
        ["--sql", sql, "--topic", "a"],                                        # no payload
        ["--sql", sql, "--topic", "a", "--payload", "{}", "--payload-file", "-"],
        ["--sql", sql, "--topic", "a/+", "--payload", "{}"],                   # not a name
        ["--sql", sql, "--topic", "a", "--payload", "{}", "--rule-name", "bad name"],
        ["--sql", sql, "--topic", "a", "--payload", "{}", "--action", "workorder"],
        ["NAME", "--sql", sql, "--topic", "a", "--payload", "{}"],
    ]
    for args in bad:
        r = clickctl(args)
        check(r.returncode == 2, "%r: exit %d %r" % (args, r.returncode, r.stderr))
        check(r.stdout == b"" and r.stderr.startswith(b"clickctl: "), "%r: %r" % (args, r))


def test_help():
    r = subprocess.run([CLICKCTL, "rules", "eval", "--help"], capture_output=True, text=True,
                       timeout=30)
    check(r.returncode == 0, r.stderr)
    for needle in ["--sql SQL", "--topic TOPIC", "--clientid ID", "--sql-version V",
                   "--rule-name NAME", "--payload BYTES", "--payload-file FILE",
                   "--template TEMPLATE"]:
        check(needle in r.stdout, "%r in help" % needle)


if __name__ == "__main__":
    run([test_spec_cases, test_topics, test_invalid_sql, test_clientid_and_timestamp,
         test_sql_versions, test_templates, test_basic_ingest, test_payload_file,
         test_usage_errors, test_help])
