/*
 * Unit tests for the IoT SQL compiler and evaluator (src/sql). Each table row
 * is a rule, a payload and the expected result: the compact JSON output,
 * "-" when the rule does not fire, or "ERR l:c message-prefix" for a compile
 * error. Expected numbers are written the way the output prints.
 */
#include "sql/sql.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ck_test.h"

#define TOPIC "iotbutton/G030JF0001"
#define BUTTON                                                                                     \
	"{\"serialNumber\":\"G030JF0001\",\"batteryVoltage\":\"1615mV\",\"clickType\":\"SINGLE\"}"
#define DOC                                                                                        \
	"{\"a\":1,\"b\":2.5,\"s\":\"str\",\"n\":null,\"t\":true,\"f\":false,\"num\":\"10\","       \
	"\"arr\":[1,\"two\",3],\"o\":{\"x\":{\"y\":7},\"k-1\":\"dash\"},\"big\":"                  \
	"1597220890942926000,\"neg\":-4,\"e\":[{\"n\":\"temperature\",\"v\":22.5},{\"n\":"         \
	"\"light\",\"v\":1}],\"value\":42}"

struct eval_case {
	const char *sql;
	const char *payload; /* NULL: DOC */
	const char *want;
};

/*
 * Result of compiling and evaluating sql against payload, as text. When
 * same_bytes, ck_sql_eval_payload must give exactly the bytes that
 * cJSON_PrintUnformatted gives for ck_sql_eval's tree (it differs by design
 * only for binary pass-through); a difference is reported as "DIFF ...".
 */
static char *run(const char *sql, const char *payload, enum ck_sql_version ver, bool same_bytes)
{
	struct ck_sql_rule *rule = NULL;
	struct ck_sql_error err;
	char *text = malloc(512);
	if (!text)
		return NULL;
	int rc = ck_sql_compile(sql, ver, &rule, &err);
	if (rc != 0) {
		snprintf(text, 512, "ERR %d:%d %s", err.line, err.column, err.message);
		return text;
	}
	struct ck_sql_message msg = {
		.topic = TOPIC,
		.payload = (const uint8_t *)payload,
		.payload_len = strlen(payload),
		.client_id = "G030JF0001",
		.timestamp_ms = 1700000000123,
		.principal = "abc123",
	};
	cJSON *out = NULL;
	uint8_t *bytes = NULL;
	size_t nbytes = 0;
	rc = ck_sql_eval(rule, &msg, &out);
	int prc = ck_sql_eval_payload(rule, &msg, &bytes, &nbytes);
	int frc = ck_sql_eval_payload(rule, &msg, NULL, NULL);
	ck_sql_rule_free(rule);
	if (rc == 0 || rc < 0) {
		snprintf(text, 512, rc == 0 ? "-" : "RC %d", rc);
		if (prc != rc || frc != rc || bytes)
			snprintf(text, 512, "DIFF rc %d, payload rc %d, fires %d", rc, prc, frc);
		free(bytes);
		return text;
	}
	char *printed = cJSON_PrintUnformatted(out);
	cJSON_Delete(out);
	snprintf(text, 512, "%s", printed ? printed : "(print failed)");
	bool differs = prc != 1 || frc != 1 || !printed || strlen(printed) != nbytes ||
	               memcmp(printed, bytes, nbytes) != 0;
	if (same_bytes && differs)
		snprintf(text, 512, "DIFF cJSON %s, payload rc %d fires %d: %.*s",
		         printed ? printed : "(null)", prc, frc, (int)nbytes,
		         bytes ? (const char *)bytes : "");
	free(printed);
	free(bytes);
	return text;
}

static void check_cases_bytes(const struct eval_case *cases, size_t n, enum ck_sql_version ver,
                              bool same_bytes)
{
	for (size_t i = 0; i < n; i++) {
		char *got =
		    run(cases[i].sql, cases[i].payload ? cases[i].payload : DOC, ver, same_bytes);
		const char *want = cases[i].want;
		bool ok;
		if (strncmp(want, "ERR", 3) == 0)
			ok = got && strncmp(got, want, strlen(want)) == 0;
		else
			ok = got && strcmp(got, want) == 0;
		CK_CHECK(ok);
		if (!ok)
			fprintf(stderr, "  sql: %s\n  want: %s\n  got:  %s\n", cases[i].sql, want,
			        got ? got : "(null)");
		free(got);
	}
}

static void check_cases(const struct eval_case *cases, size_t n, enum ck_sql_version ver)
{
	check_cases_bytes(cases, n, ver, true);
}

/* The walking skeleton's rule and the basics of SELECT / WHERE. */
static const struct eval_case basics[] = {
	{ "SELECT * FROM 'iotbutton/+' WHERE clickType = 'SINGLE'", BUTTON, BUTTON },
	{ "SELECT * FROM 'iotbutton/+' WHERE clickType = 'DOUBLE'", BUTTON, "-" },
	{ "select * from 'iotbutton/+' where clickType = \"SINGLE\"", BUTTON, BUTTON },
	{ "SELECT serialNumber AS thing, clickType FROM 'iotbutton/#'", BUTTON,
	  "{\"thing\":\"G030JF0001\",\"clickType\":\"SINGLE\"}" },
	{ "SELECT VALUE clickType FROM 'a'", BUTTON, "\"SINGLE\"" },
	{ "SELECT VALUE missing FROM 'a'", BUTTON, "" },
	{ "SELECT missing, clickType FROM 'a'", BUTTON, "{\"clickType\":\"SINGLE\"}" },
	{ "SELECT missing FROM 'a'", BUTTON, "{}" },
	{ "SELECT n, a FROM 'a'", NULL, "{\"n\":null,\"a\":1}" },
	{ "SELECT NULL AS n FROM 'a'", NULL, "{\"n\":null}" },
	{ "SELECT o.x.y FROM 'a'", NULL, "{\"y\":7}" },
	{ "SELECT o.x.y AS deep FROM 'a'", NULL, "{\"deep\":7}" },
	{ "SELECT o.x.z AS deep FROM 'a'", NULL, "{}" },
	{ "SELECT a.b AS x FROM 'a'", NULL, "{}" },
	{ "SELECT *, 15 AS speed FROM 'a'", "{\"color\":\"red\"}",
	  "{\"color\":\"red\",\"speed\":15}" },
	{ "SELECT *, 'blue' AS color FROM 'a'", "{\"color\":\"red\",\"x\":1}",
	  "{\"color\":\"blue\",\"x\":1}" },
	{ "SELECT * FROM 'a'", "[1,2]", "[1,2]" },
	{ "SELECT * FROM 'a'", "  7 ", "7" },
	{ "SELECT big FROM 'a'", NULL, "{\"big\":1597220890942926000}" },
	{ "SELECT * FROM 'a'", "{\"big\":1597220890942926000,\"d\":-25.2632837000000772}",
	  "{\"big\":1597220890942926000,\"d\":-25.263283700000077}" },
	{ "SELECT * FROM 'a'", "{\"x\":36.903999599999999}", "{\"x\":36.9039996}" },
	{ "SELECT * FROM 'a'", "{\"x\":10.0,\"y\":1E3}", "{\"x\":10,\"y\":1000}" },
	{ "SELECT * FROM 'a'", "{\"k\":1,\"k\":2}", "{\"k\":2}" },
	/* §4.1, §8.7: string escapes are decoded on input and written back per RFC 8259 */
	{ "SELECT * FROM 'a'",
	  "{\"s\":\"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\ud83d\\ude00\\b\\f\\u001f\"}",
	  "{\"s\":\"a\\\"b\\\\c/d\\n\\t\xc3\xa9\xf0\x9f\x98\x80\\b\\f\\u001f\"}" },
	{ "SELECT VALUE s FROM 'a'", "{\"s\":\"x\\ud800y\"}", "\"x\xef\xbf\xbdy\"" },
	{ "SELECT VALUE length(s) FROM 'a'", "{\"s\":\"\xc3\xa9t\xc3\xa9\"}", "3" },
	{ "SELECT VALUE isUndefined(s) FROM 'a'", "{\"s\":\"\\x\"}", "true" },
	{ "SELECT state.debug AS state.debug, state.command AS state.command, version FROM 'a'",
	  "{\"state\":{\"debug\":1,\"command\":\"go\"},\"version\":\"3.1\"}",
	  "{\"state\":{\"debug\":1,\"command\":\"go\"},\"version\":\"3.1\"}" },
	{ "SELECT true AS state.reported.on FROM 'a'", "{}",
	  "{\"state\":{\"reported\":{\"on\":true}}}" },
	{ "SELECT *, 1 AS o.new FROM 'a'", "{\"o\":{\"old\":0}}", "{\"o\":{\"old\":0,\"new\":1}}" },
	{ "SELECT value FROM 'a'", NULL, "{\"value\":42}" },
	{ "SELECT value AS v FROM 'a'", NULL, "{\"v\":42}" },
	{ "SELECT VALUE value FROM 'a'", NULL, "42" },
	{ "SELECT VALUE * FROM 'a'", "{\"x\":1}", "{\"x\":1}" },
	{ "SELECT VALUE *.x FROM 'a'", "{\"x\":[1]}", "[1]" },
	{ "SELECT value * 2 AS d FROM 'a'", NULL, "{\"d\":84}" },
	{ "SELECT a + 1 FROM 'a'", NULL, "{\"_1\":2}" },
	{ "SELECT upper(s), topic(2) FROM 'a'", NULL,
	  "{\"upper\":\"STR\",\"topic\":\"G030JF0001\"}" },
	{ "SELECT a, FROM 'a'", NULL, "{\"a\":1}" },
	{ "SELECT\n  a AS x\nFROM\n  'a'\nWHERE\n  s = 'str'", NULL, "{\"x\":1}" },
	{ "SELECT a FROM 'a' WHERE t", NULL, "{\"a\":1}" },
	{ "SELECT a FROM 'a' WHERE f", NULL, "-" },
	{ "SELECT a FROM 'a' WHERE 'TRUE'", NULL, "{\"a\":1}" },
	{ "SELECT a FROM 'a' WHERE 1", NULL, "-" },
	{ "SELECT a FROM 'a' WHERE n", NULL, "-" },
	{ "SELECT a FROM 'a' WHERE missing", NULL, "-" },
	/* WHERE cannot see aliases */
	{ "SELECT s AS c FROM 'a' WHERE c = 'str'", NULL, "-" },
	/* double-quoted tokens are strings */
	{ "SELECT a FROM 'a' WHERE \"s\" = 's'", NULL, "{\"a\":1}" },
	{ "SELECT a FROM 'a' WHERE \"s\" = 'str'", NULL, "-" },
	/* keywords and function names in any case, keys case-sensitive */
	{ "SeLeCt A FrOm 'a'", NULL, "{}" },
	{ "SELECT TOPIC(1) AS t, ClientId() AS c FROM 'a'", NULL,
	  "{\"t\":\"iotbutton\",\"c\":\"G030JF0001\"}" },
};

/* Binary payloads: fields Undefined, '*' is the bytes. */
static const struct eval_case binary[] = {
	{ "SELECT * FROM 'a'", "\x01\x02\x03hello", "\"AQIDaGVsbG8=\"" },
	{ "SELECT VALUE * FROM 'a'", "not json", "\"bm90IGpzb24=\"" },
	{ "SELECT a FROM 'a'", "not json", "{}" },
	{ "SELECT * FROM 'a' WHERE a = 1", "not json", "-" },
	{ "SELECT encode(*, 'base64') AS b FROM 'a'", "hi!", "{\"b\":\"aGkh\"}" },
	{ "SELECT *, 1 AS x FROM 'a'", "{bad", "{\"x\":1}" },
	{ "SELECT * FROM 'a'", "{\"a\":1", "\"eyJhIjox\"" },
	{ "SELECT * FROM 'a'", "", "\"\"" },
	{ "SELECT * FROM 'a'", "\"\xff\"", "\"Iv8i\"" },
	{ "SELECT topic() AS t FROM 'a'", "", "{\"t\":\"iotbutton/G030JF0001\"}" },
};

/* Comparison, logic and Undefined (rules-sql.md §6, §9). */
static const struct eval_case logic[] = {
	{ "SELECT VALUE 5 = '5' FROM 'a'", NULL, "false" },
	{ "SELECT VALUE 5 <> '5' FROM 'a'", NULL, "true" },
	{ "SELECT VALUE 10 = 10.0 FROM 'a'", NULL, "true" },
	{ "SELECT VALUE true = 'true' FROM 'a'", NULL, "false" },
	{ "SELECT VALUE null = 'x' FROM 'a'", NULL, "false" },
	{ "SELECT VALUE null = null FROM 'a'", NULL, "true" },
	{ "SELECT VALUE null <> null FROM 'a'", NULL, "false" },
	{ "SELECT VALUE n = null FROM 'a'", NULL, "true" },
	{ "SELECT VALUE missing = 'x' FROM 'a'", NULL, "" },
	{ "SELECT VALUE missing <> 'x' FROM 'a'", NULL, "" },
	{ "SELECT a FROM 'a' WHERE missing <> 'x'", NULL, "-" },
	{ "SELECT a FROM 'a' WHERE NOT (missing = 'x')", NULL, "-" },
	{ "SELECT VALUE arr = [1, 'two', 3] FROM 'a'", NULL, "true" },
	{ "SELECT VALUE arr = [1, 3, 'two'] FROM 'a'", NULL, "false" },
	{ "SELECT VALUE {'b': 2, 'a': 1} = {'a': 1, 'b': 2} FROM 'a'", NULL, "true" },
	{ "SELECT VALUE {'a': 1} = {'a': 1, 'b': 2} FROM 'a'", NULL, "false" },
	{ "SELECT VALUE '10' > '9' FROM 'a'", NULL, "true" },
	{ "SELECT VALUE 'b' > 'a' FROM 'a'", NULL, "" },
	{ "SELECT VALUE num >= 10 FROM 'a'", NULL, "true" },
	{ "SELECT VALUE 3 < 2.5 FROM 'a'", NULL, "false" },
	{ "SELECT VALUE 2 <= 2 FROM 'a'", NULL, "true" },
	{ "SELECT VALUE t < 2 FROM 'a'", NULL, "" },
	{ "SELECT VALUE '1705mV' > 1500 FROM 'a'", NULL, "" },
	{ "SELECT VALUE '5E-12' < 1 FROM 'a'", NULL, "true" },
	{ "SELECT VALUE ' 5' < 6 FROM 'a'", NULL, "" },
	{ "SELECT VALUE '+5' < 6 FROM 'a'", NULL, "" },
	{ "SELECT VALUE '5.' < 6 FROM 'a'", NULL, "" },
	{ "SELECT VALUE true AND false FROM 'a'", NULL, "false" },
	{ "SELECT VALUE true AND 'TRUE' FROM 'a'", NULL, "true" },
	{ "SELECT VALUE true OR missing FROM 'a'", NULL, "" },
	{ "SELECT VALUE false AND missing FROM 'a'", NULL, "" },
	{ "SELECT VALUE true AND 1 FROM 'a'", NULL, "" },
	{ "SELECT VALUE NOT t FROM 'a'", NULL, "false" },
	{ "SELECT VALUE NOT 'false' FROM 'a'", NULL, "true" },
	{ "SELECT VALUE NOT 0 FROM 'a'", NULL, "" },
	{ "SELECT VALUE NOT a = 1 FROM 'a'", NULL, "false" },
	{ "SELECT VALUE true OR true AND false FROM 'a'", NULL, "true" },
	{ "SELECT VALUE (true OR true) AND false FROM 'a'", NULL, "false" },
	{ "SELECT a FROM 'a' WHERE a = 1 AND (s = 'x' OR t = true)", NULL, "{\"a\":1}" },
	{ "SELECT a FROM 'a' WHERE a >= 1 AND a <= 1 AND NOT f", NULL, "{\"a\":1}" },
	{ "SELECT VALUE isUndefined(missing) FROM 'a'", NULL, "true" },
	{ "SELECT VALUE isUndefined(a) FROM 'a'", NULL, "false" },
	{ "SELECT a FROM 'a' WHERE NOT isUndefined(a)", NULL, "{\"a\":1}" },
	{ "SELECT VALUE isNull(n) FROM 'a'", NULL, "true" },
	{ "SELECT VALUE isNull(missing) FROM 'a'", NULL, "false" },
	{ "SELECT VALUE a != 2 FROM 'a'", NULL, "true" },
};

/* Arithmetic and + concatenation (rules-sql.md §6.4-6.5, §4). */
static const struct eval_case arith[] = {
	{ "SELECT VALUE 1 + '2' FROM 'a'", NULL, "\"12\"" },
	{ "SELECT VALUE 'a' + 1 FROM 'a'", NULL, "\"a1\"" },
	{ "SELECT VALUE 'n=' + true FROM 'a'", NULL, "\"n=true\"" },
	{ "SELECT VALUE 'x' + arr FROM 'a'", NULL, "\"x[1,\\\"two\\\",3]\"" },
	{ "SELECT VALUE 'x' + n FROM 'a'", NULL, "" },
	{ "SELECT VALUE 'x' + missing FROM 'a'", NULL, "" },
	{ "SELECT VALUE 1 + 2 FROM 'a'", NULL, "3" },
	{ "SELECT VALUE 1 + 2.5 FROM 'a'", NULL, "3.5" },
	{ "SELECT VALUE 1.5 + 1.5 FROM 'a'", NULL, "3" },
	{ "SELECT VALUE true + 1 FROM 'a'", NULL, "" },
	{ "SELECT VALUE null + 1 FROM 'a'", NULL, "" },
	{ "SELECT VALUE '5' - 2 FROM 'a'", NULL, "3" },
	{ "SELECT VALUE '5' * '2' FROM 'a'", NULL, "10" },
	{ "SELECT VALUE 'abc' - 1 FROM 'a'", NULL, "" },
	{ "SELECT VALUE missing * 2 FROM 'a'", NULL, "" },
	{ "SELECT VALUE 7 / 2 FROM 'a'", NULL, "3" },
	{ "SELECT VALUE -7 / 2 FROM 'a'", NULL, "-3" },
	{ "SELECT VALUE 7 % 3 FROM 'a'", NULL, "1" },
	{ "SELECT VALUE -7 % 3 FROM 'a'", NULL, "-1" },
	{ "SELECT VALUE 7.5 / 2 FROM 'a'", NULL, "3.75" },
	{ "SELECT VALUE 1 / 0 FROM 'a'", NULL, "" },
	{ "SELECT VALUE 1 % 0 FROM 'a'", NULL, "" },
	{ "SELECT VALUE 1.5 / 0 FROM 'a'", NULL, "" },
	{ "SELECT VALUE 2 * 3 + 4 FROM 'a'", NULL, "10" },
	{ "SELECT VALUE 2 * (3 + 4) FROM 'a'", NULL, "14" },
	{ "SELECT VALUE 10 - 2 - 3 FROM 'a'", NULL, "5" },
	{ "SELECT VALUE -a FROM 'a'", NULL, "-1" },
	{ "SELECT VALUE - - 3 FROM 'a'", NULL, "3" },
	{ "SELECT VALUE -'5' FROM 'a'", NULL, "-5" },
	{ "SELECT VALUE -s FROM 'a'", NULL, "" },
	{ "SELECT VALUE 9223372036854775807 + 1 FROM 'a'", NULL, "9223372036854776000" },
	{ "SELECT VALUE -9223372036854775808 FROM 'a'", NULL, "-9223372036854775808" },
	{ "SELECT VALUE 0.1 + 0.2 FROM 'a'", NULL, "0.30000000000000004" },
	{ "SELECT VALUE 1E3 FROM 'a'", NULL, "1000" },
	{ "SELECT VALUE 5E-12 FROM 'a'", NULL, "5E-12" },
	{ "SELECT VALUE 1.5E300 FROM 'a'", NULL, "1.5E300" },
	{ "SELECT VALUE 0.0000001 FROM 'a'", NULL, "1E-7" },
	{ "SELECT VALUE 1.5E300 * 1E10 FROM 'a'", NULL, "" },
	{ "SELECT VALUE 1E308 * 10 FROM 'a'", NULL, "" },
	{ "SELECT VALUE 47.606 FROM 'a'", NULL, "47.606" },
	{ "SELECT VALUE timestamp() % 1E3 FROM 'a'", NULL, "123" },
	{ "SELECT VALUE b * 2 FROM 'a'", NULL, "5" },
	{ "SELECT VALUE 1 + 2 = 3 FROM 'a'", NULL, "true" },
};

/* CASE, literals, [index], get(), nested SELECT. */
static const struct eval_case structure[] = {
	{ "SELECT VALUE CASE s WHEN 'x' THEN 1 WHEN 'str' THEN 2 ELSE 3 END FROM 'a'", NULL, "2" },
	{ "SELECT VALUE CASE s WHEN 'x' THEN 1 ELSE 3 END FROM 'a'", NULL, "3" },
	{ "SELECT VALUE CASE s WHEN 'x' THEN 1 END FROM 'a'", NULL, "" },
	{ "SELECT VALUE CASE missing WHEN 'x' THEN 1 ELSE 3 END FROM 'a'", NULL, "" },
	{ "SELECT VALUE CASE a WHEN '1' THEN 'str' WHEN 1 THEN 'int' END FROM 'a'", NULL,
	  "\"int\"" },
	{ "SELECT VALUE CASE WHEN a > 5 THEN 'big' WHEN a > 0 THEN 'small' END FROM 'a'", NULL,
	  "\"small\"" },
	{ "SELECT CASE clickType WHEN 'SINGLE' THEN 'p1' ELSE 'p2' END AS prio FROM 'a'", BUTTON,
	  "{\"prio\":\"p1\"}" },
	{ "SELECT VALUE [a, s, missing, n] FROM 'a'", NULL, "[1,\"str\",null]" },
	{ "SELECT VALUE {'latitude': get(arr, 0), 'x': missing, \"y\": 'z'} FROM 'a'", NULL,
	  "{\"latitude\":1,\"y\":\"z\"}" },
	{ "SELECT VALUE [] FROM 'a'", NULL, "[]" },
	{ "SELECT VALUE {} FROM 'a'", NULL, "{}" },
	{ "SELECT VALUE arr[1] FROM 'a'", NULL, "\"two\"" },
	{ "SELECT VALUE arr[3] FROM 'a'", NULL, "" },
	{ "SELECT VALUE arr[-1] FROM 'a'", NULL, "" },
	{ "SELECT VALUE e[0].v FROM 'a'", NULL, "22.5" },
	{ "SELECT VALUE get(arr, 2) FROM 'a'", NULL, "3" },
	{ "SELECT VALUE get(arr, '1') FROM 'a'", NULL, "\"two\"" },
	{ "SELECT VALUE get(arr, 1.6) FROM 'a'", NULL, "3" },
	{ "SELECT VALUE get('abc', 1) FROM 'a'", NULL, "\"b\"" },
	{ "SELECT VALUE get(o, 'k-1') FROM 'a'", NULL, "\"dash\"" },
	{ "SELECT VALUE get(*, 'value') FROM 'a'", NULL, "42" },
	{ "SELECT VALUE get(o, 1) FROM 'a'", NULL, "" },
	{ "SELECT VALUE get(a, 0) FROM 'a'", NULL, "" },
	{ "SELECT VALUE o.k-1 FROM 'a'", NULL, "" },
	{ "SELECT VALUE get(o, 'x').y FROM 'a'", NULL, "7" },
	{ "SELECT VALUE (o).x.y FROM 'a'", NULL, "7" },
	{ "SELECT VALUE (SELECT VALUE n FROM e) FROM 'a'", NULL, "[\"temperature\",\"light\"]" },
	{ "SELECT (SELECT v FROM e WHERE n = 'temperature') AS t FROM 'a'", NULL,
	  "{\"t\":[{\"v\":22.5}]}" },
	{ "SELECT VALUE get((SELECT v FROM e WHERE n = 'light'), 0).v FROM 'a'", NULL, "1" },
	{ "SELECT VALUE (SELECT VALUE a FROM *) FROM 'a'", NULL, "[1]" },
	{ "SELECT VALUE isNull(SELECT VALUE x FROM e) FROM 'a'", NULL, "false" },
	{ "SELECT VALUE (SELECT VALUE n FROM s) FROM 'a'", NULL, "" },
	{ "SELECT VALUE cast(true AS Int) FROM 'a'", NULL, "1" },
	{ "SELECT VALUE cast('5.9' AS Int) FROM 'a'", NULL, "5" },
	{ "SELECT VALUE cast(5.9 AS Int) FROM 'a'", NULL, "5" },
	{ "SELECT VALUE cast(topic(2) AS String) FROM 'a'", NULL, "\"G030JF0001\"" },
	{ "SELECT VALUE cast('32' AS DECIMAL) FROM 'a'", NULL, "32" },
	{ "SELECT VALUE cast(2.5 AS double) FROM 'a'", NULL, "2.5" },
	{ "SELECT VALUE cast(0 AS Boolean) FROM 'a'", NULL, "false" },
	{ "SELECT VALUE cast(3 AS Bool) FROM 'a'", NULL, "true" },
	{ "SELECT VALUE cast('TRUE' AS Bool) FROM 'a'", NULL, "true" },
	{ "SELECT VALUE cast(n AS Int) FROM 'a'", NULL, "" },
	{ "SELECT VALUE cast(arr AS String) FROM 'a'", NULL, "\"[1,\\\"two\\\",3]\"" },
	{ "SELECT VALUE cast(2.5 AS varchar) FROM 'a'", NULL, "\"2.5\"" },
};

/* The function list of rules-sql.md §13. */
static const struct eval_case functions[] = {
	{ "SELECT VALUE topic() FROM 'a'", NULL, "\"iotbutton/G030JF0001\"" },
	{ "SELECT VALUE topic(1) FROM 'a'", NULL, "\"iotbutton\"" },
	{ "SELECT VALUE topic('2') FROM 'a'", NULL, "\"G030JF0001\"" },
	{ "SELECT VALUE topic(3) FROM 'a'", NULL, "" },
	{ "SELECT VALUE topic(0) FROM 'a'", NULL, "" },
	{ "SELECT VALUE clientid() FROM 'a'", NULL, "\"G030JF0001\"" },
	{ "SELECT VALUE timestamp() FROM 'a'", NULL, "1700000000123" },
	{ "SELECT VALUE principal() FROM 'a'", NULL, "\"abc123\"" },
	{ "SELECT VALUE sql_version() FROM 'a'", NULL, "\"2016-03-23\"" },
	{ "SELECT VALUE length(newuuid()) FROM 'a'", NULL, "36" },
	{ "SELECT VALUE substring(newuuid(), 14, 15) FROM 'a'", NULL, "\"4\"" },
	{ "SELECT VALUE upper(['hello']) FROM 'a'", NULL, "\"[\\\"HELLO\\\"]\"" },
	{ "SELECT VALUE lower('HeLLo') FROM 'a'", NULL, "\"hello\"" },
	{ "SELECT VALUE upper(missing) FROM 'a'", NULL, "" },
	{ "SELECT VALUE concat([1,2,3], 'hello', [4,5,6]) FROM 'a'", NULL,
	  "[1,2,3,\"hello\",4,5,6]" },
	{ "SELECT VALUE concat(1, 'hello') FROM 'a'", NULL, "\"1hello\"" },
	{ "SELECT VALUE concat(1) FROM 'a'", NULL, "\"1\"" },
	{ "SELECT VALUE concat(1, 2) FROM 'a'", NULL, "" },
	{ "SELECT VALUE concat('a', missing) FROM 'a'", NULL, "" },
	{ "SELECT VALUE substring('012345', 2) FROM 'a'", NULL, "\"2345\"" },
	{ "SELECT VALUE substring('012345', 2.745) FROM 'a'", NULL, "\"2345\"" },
	{ "SELECT VALUE substring(123, 2) FROM 'a'", NULL, "\"3\"" },
	{ "SELECT VALUE substring('012345', -1) FROM 'a'", NULL, "\"012345\"" },
	{ "SELECT VALUE substring(true, 1.2) FROM 'a'", NULL, "\"rue\"" },
	{ "SELECT VALUE substring(false, -2.411E247) FROM 'a'", NULL, "\"false\"" },
	{ "SELECT VALUE substring('012345', 1, 3) FROM 'a'", NULL, "\"12\"" },
	{ "SELECT VALUE substring('012345', -50, 50) FROM 'a'", NULL, "\"012345\"" },
	{ "SELECT VALUE substring('012345', 3, 1) FROM 'a'", NULL, "\"\"" },
	{ "SELECT VALUE substring('h\xc3\xa9llo', 1, 2) FROM 'a'", NULL, "\"\xc3\xa9\"" },
	{ "SELECT VALUE regexp_substr('\xc3\xa9', '.') FROM 'a'", NULL, "\"\xef\xbf\xbd\"" },
	{ "SELECT VALUE Trim(' hi ') FROM 'a'", NULL, "\"hi\"" },
	{ "SELECT VALUE Ltrim(' h i ') FROM 'a'", NULL, "\"h i \"" },
	{ "SELECT VALUE rtrim(' h i ') FROM 'a'", NULL, "\" h i\"" },
	{ "SELECT VALUE startswith('cat', 'ca') FROM 'a'", NULL, "true" },
	{ "SELECT VALUE endswith(\"cat\",\"at\") FROM 'a'", NULL, "true" },
	{ "SELECT VALUE endswith('cat', 'x') FROM 'a'", NULL, "false" },
	{ "SELECT VALUE startswith(n, 'x') FROM 'a'", NULL, "" },
	{ "SELECT VALUE startswith(123, 12) FROM 'a'", NULL, "true" },
	{ "SELECT VALUE replace('abcdabcd', 'b', 'x') FROM 'a'", NULL, "\"axcdaxcd\"" },
	{ "SELECT VALUE replace('aaa', 'aa', 'b') FROM 'a'", NULL, "\"ba\"" },
	{ "SELECT VALUE length(false) FROM 'a'", NULL, "5" },
	{ "SELECT VALUE length('\xe2\x82\xac') FROM 'a'", NULL, "1" },
	{ "SELECT VALUE numbytes('\xe2\x82\xac') FROM 'a'", NULL, "3" },
	{ "SELECT VALUE indexof('abcd', 'bc') FROM 'a'", NULL, "1" },
	{ "SELECT VALUE indexof('abcd', 'x') FROM 'a'", NULL, "-1" },
	{ "SELECT VALUE abs('-5.123') FROM 'a'", NULL, "5.123" },
	{ "SELECT VALUE abs(neg) FROM 'a'", NULL, "4" },
	{ "SELECT VALUE abs(true) FROM 'a'", NULL, "" },
	{ "SELECT VALUE round(1.5) FROM 'a'", NULL, "2" },
	{ "SELECT VALUE round(-1.5) FROM 'a'", NULL, "-2" },
	{ "SELECT VALUE round(-1.1) FROM 'a'", NULL, "-1" },
	{ "SELECT VALUE ceil(-1.2) FROM 'a'", NULL, "-1" },
	{ "SELECT VALUE floor(-1.2) FROM 'a'", NULL, "-2" },
	{ "SELECT VALUE floor('7.9') FROM 'a'", NULL, "7" },
	{ "SELECT VALUE isUndefined(floor([1,2,3])) FROM 'a'", NULL, "true" },
	{ "SELECT VALUE mod(8, 3) FROM 'a'", NULL, "2" },
	{ "SELECT VALUE remainder(8, 3) FROM 'a'", NULL, "2" },
	{ "SELECT VALUE sign(-3.5) FROM 'a'", NULL, "-1" },
	{ "SELECT VALUE sign(0) FROM 'a'", NULL, "0" },
	{ "SELECT VALUE nanvl(8, 3) FROM 'a'", NULL, "8" },
	{ "SELECT VALUE nanvl(missing, 3) FROM 'a'", NULL, "3" },
	{ "SELECT VALUE nanvl(n, 3) FROM 'a'", NULL, "3" },
	{ "SELECT VALUE encode('hello', 'base64') FROM 'a'", NULL, "\"aGVsbG8=\"" },
	{ "SELECT VALUE encode(12, 'base64') FROM 'a'", NULL, "\"MTI=\"" },
	{ "SELECT VALUE encode('x', 'hex') FROM 'a'", NULL, "" },
	{ "SELECT VALUE decode('aGVsbG8=', 'base64') FROM 'a'", NULL, "\"hello\"" },
	{ "SELECT VALUE decode('eyJ0ZW1wZXJhdHVyZSI6MjJ9', 'base64').temperature FROM 'a'", NULL,
	  "22" },
	{ "SELECT VALUE decode('!!!', 'base64') FROM 'a'", NULL, "null" },
	{ "SELECT VALUE regexp_matches('aaaa', 'a{2,}') FROM 'a'", NULL, "true" },
	{ "SELECT VALUE regexp_matches('abc', '^b') FROM 'a'", NULL, "false" },
	{ "SELECT VALUE regexp_matches('abc', '(') FROM 'a'", NULL, "" },
	{ "SELECT VALUE regexp_replace('abcd', 'b(.*)d', '$1') FROM 'a'", NULL, "\"ac\"" },
	{ "SELECT VALUE regexp_replace('a1b22c', '[0-9]+', '#') FROM 'a'", NULL, "\"a#b#c\"" },
	{ "SELECT VALUE regexp_substr('hihihello', '(hi)*') FROM 'a'", NULL, "\"hihi\"" },
	{ "SELECT VALUE lpad('hello', 2) FROM 'a'", NULL, "\"  hello\"" },
	{ "SELECT VALUE rpad('hello', 1) FROM 'a'", NULL, "\"hello \"" },
	{ "SELECT VALUE chr(65) FROM 'a'", NULL, "\"A\"" },
	{ "SELECT VALUE power(2, 5) FROM 'a'", NULL, "32" },
	{ "SELECT VALUE power('2', 0.5) FROM 'a'", NULL, "1.4142135623730951" },
	{ "SELECT VALUE sqrt(9) FROM 'a'", NULL, "3" },
	{ "SELECT VALUE sqrt(-1) FROM 'a'", NULL, "" },
	{ "SELECT VALUE log(100) FROM 'a'", NULL, "2" },
	{ "SELECT VALUE ln(0) FROM 'a'", NULL, "" },
	{ "SELECT VALUE exp(0) FROM 'a'", NULL, "1" },
	{ "SELECT VALUE cos(0) + sin(0) + tan(0) FROM 'a'", NULL, "1" },
	{ "SELECT VALUE acos(2) FROM 'a'", NULL, "" },
	{ "SELECT VALUE atan2(0, 1) + asin(0) + atan(0) FROM 'a'", NULL, "0" },
	{ "SELECT VALUE cosh(0) + sinh(0) + tanh(0) FROM 'a'", NULL, "1" },
	{ "SELECT VALUE power(10, 400) FROM 'a'", NULL, "" },
	{ "SELECT VALUE bitand(13, 5) FROM 'a'", NULL, "5" },
	{ "SELECT VALUE bitor(8, 5) FROM 'a'", NULL, "13" },
	{ "SELECT VALUE bitxor(13, 5) FROM 'a'", NULL, "8" },
	{ "SELECT VALUE bitnot(13) FROM 'a'", NULL, "-14" },
	{ "SELECT VALUE trunc(2.3123, 2) FROM 'a'", NULL, "2.31" },
	{ "SELECT VALUE trunc(2.888, 2) FROM 'a'", NULL, "2.88" },
	{ "SELECT VALUE trunc(2.00, 5) FROM 'a'", NULL, "2" },
	{ "SELECT VALUE trunc(0.29, 2) FROM 'a'", NULL, "0.29" },
	{ "SELECT VALUE md5('hello') FROM 'a'", NULL, "\"5d41402abc4b2a76b9719d911017c592\"" },
	{ "SELECT VALUE sha1('hello') FROM 'a'", NULL,
	  "\"aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d\"" },
	{ "SELECT VALUE sha256('') FROM 'a'", NULL,
	  "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"" },
	{ "SELECT VALUE rand() < 1 FROM 'a'", NULL, "true" },
};

/* Compile errors: position and message prefix. */
static const struct eval_case errors[] = {
	{ "SELECT * 'a'", NULL, "ERR 1:10 expected FROM" },
	{ "SELECT * FROM", NULL, "ERR 1:14 expected a single-quoted topic filter" },
	{ "SELECT * FROM a", NULL, "ERR 1:15 expected a single-quoted topic filter" },
	{ "SELECT * FROM \"a\"", NULL, "ERR 1:15 expected a single-quoted topic filter" },
	{ "SELECT * FROM ''", NULL, "ERR 1:15 invalid topic filter" },
	{ "SELECT * FROM 'a/#/b'", NULL, "ERR 1:15 invalid topic filter 'a/#/b'" },
	{ "SELECT * FROM 'a/b#'", NULL, "ERR 1:15 invalid topic filter" },
	{ "SELECT * FROM 'a+/b'", NULL, "ERR 1:15 invalid topic filter" },
	{ "SELECT FROM 'a'", NULL, "ERR 1:8 empty SELECT list" },
	{ "SELECT a,, b FROM 'a'", NULL, "ERR 1:10 expected an expression" },
	{ "SELECT 'abc FROM 'a'", NULL, "ERR 1:19 expected FROM" },
	{ "SELECT a FROM 'a' WHERE s = 'abc", NULL, "ERR 1:29 unterminated string" },
	{ "SELECT (a FROM 'a'", NULL, "ERR 1:11 expected ')'" },
	{ "SELECT a) FROM 'a'", NULL, "ERR 1:9 expected FROM" },
	{ "SELECT * FROM 'a' WHERE (a = 1))", NULL, "ERR 1:32 unbalanced ')'" },
	{ "SELECT a + FROM 'a'", NULL, "ERR 1:12 expected an expression" },
	{ "SELECT * FROM 'a' WHERE a =", NULL, "ERR 1:28 expected an expression" },
	{ "SELECT CASE a THEN 1 END FROM 'a'", NULL, "ERR 1:15 CASE without WHEN" },
	{ "SELECT CASE a WHEN 1 THEN 2 FROM 'a'", NULL, "ERR 1:29 expected END" },
	{ "SELECT nosuch(a) FROM 'a'", NULL, "ERR 1:8 unknown function 'nosuch'" },
	{ "SELECT upper(a, b) FROM 'a'", NULL, "ERR 1:8 upper() takes 1 argument" },
	{ "SELECT substring(a) FROM 'a'", NULL, "ERR 1:8 substring() takes 2 to 3 arguments" },
	{ "SELECT cast(a AS Float) FROM 'a'", NULL, "ERR 1:18 unknown CAST type" },
	{ "SELECT * FROM 'a' WHERE a < b < c", NULL, "ERR 1:31 comparisons cannot be chained" },
	{ "SELECT * FROM 'a' -- comment", NULL, "ERR 1:19 unexpected '-'" },
	{ "SELECT a FROM 'a' WHERE #", NULL, "ERR 1:25 unexpected character" },
	{ "SELECT\n  a\nFROM 'a'\nWHERE b = 'x", NULL, "ERR 4:11 unterminated string" },
	{ "SELECT\n  a AS\nFROM 'a'", NULL, "ERR 3:1 expected a name after AS" },
	{ "SELECT a AS from FROM 'a'", NULL, "ERR 1:13 expected a name after AS" },
	{ "", NULL, "ERR 1:1 expected SELECT" },
	{ "UPDATE x", NULL, "ERR 1:1 expected SELECT" },
	{ "SELECT * FROM 'a' WHERE a IN [1]", NULL, "ERR 1:27 IN is not supported" },
	{ "SET @a = 1 SELECT * FROM 'a'", NULL, "ERR 1:1 SET is not supported" },
	{ "SELECT @a FROM 'a'", NULL, "ERR 1:8 SET variables" },
	{ "SELECT VALUE FROM 'a'", NULL, "{}" }, /* the field "VALUE" */
	{ "SELECT VALUE 'x' AS y FROM 'a'", NULL, "ERR 1:18 expected FROM" },
	{ "SELECT {a: 1} FROM 'a'", NULL, "ERR 1:9 expected a string key" },
	{ "SELECT a. FROM 'a'", NULL, "ERR 1:16 expected FROM" },
	{ "SELECT a.'b' FROM 'a'", NULL, "ERR 1:10 expected a field name" },
	{ "SELECT 1E999 FROM 'a'", NULL, "ERR 1:8 number out of range" },
	{ "SELECT\n 'caf\xc3\xa9\xff' FROM 'a'", NULL, "ERR 2:7 invalid UTF-8" },
};

/* 2015-10-08 differences (rules-sql.md §16). */
static const struct eval_case v2015[] = {
	{ "SELECT * FROM 'a'", "{\"x\":10.0,\"y\":1}", "{\"x\":10.0,\"y\":1}" },
	{ "SELECT VALUE cast(5 AS Double) FROM 'a'", NULL, "5.0" },
	{ "SELECT VALUE 1.5 + 1.5 FROM 'a'", NULL, "3.0" },
	{ "SELECT VALUE sql_version() FROM 'a'", NULL, "\"2015-10-08\"" },
	{ "SELECT VALUE [1] FROM 'a'", NULL, "ERR 1:14 an array literal requires SQL version" },
	{ "SELECT VALUE {'a': 1} FROM 'a'", NULL, "ERR 1:14 an object literal requires" },
	{ "SELECT VALUE isUndefined(a) FROM 'a'", NULL, "ERR 1:14 this function requires" },
	{ "SELECT VALUE cast(a AS Bool) FROM 'a'", NULL, "ERR 1:24 this CAST type requires" },
	{ "SELECT VALUE (SELECT VALUE n FROM e) FROM 'a'", NULL, "ERR 1:14 a nested SELECT" },
	{ "SELECT VALUE 'x' + 2.5 FROM 'a'", NULL, "\"x2.5\"" },
};

static void test_api(void)
{
	struct ck_sql_rule *rule = NULL;
	struct ck_sql_error err;
	enum ck_sql_version v = CK_SQL_2015_10_08;

	CK_CHECK_INT(ck_sql_version_parse(NULL, &v), ==, 0);
	CK_CHECK_INT(v, ==, CK_SQL_2016_03_23);
	CK_CHECK_INT(ck_sql_version_parse("2015-10-08", &v), ==, 0);
	CK_CHECK_INT(v, ==, CK_SQL_2015_10_08);
	CK_CHECK_INT(ck_sql_version_parse("", &v), ==, 0);
	CK_CHECK_INT(v, ==, CK_SQL_2016_03_23);
	CK_CHECK_INT(ck_sql_version_parse("beta", &v), ==, -EINVAL);
	CK_CHECK_STR(ck_sql_version_name(CK_SQL_2015_10_08), "2015-10-08");
	CK_CHECK_STR(ck_sql_version_name(CK_SQL_2016_03_23), "2016-03-23");

	CK_CHECK_INT(ck_sql_compile("SELECT * FROM '$aws/things/+/shadow/update'",
	                            CK_SQL_2016_03_23, &rule, &err),
	             ==, 0);
	CK_CHECK_STR(ck_sql_rule_topic_filter(rule), "$aws/things/+/shadow/update");
	ck_sql_rule_free(rule);
	ck_sql_rule_free(NULL);

	/* length limit */
	char *big = malloc(CK_SQL_MAX_LEN + 64);
	if (big) {
		memset(big, ' ', CK_SQL_MAX_LEN + 63);
		memcpy(big, "SELECT * FROM 'a'", 17);
		big[CK_SQL_MAX_LEN + 63] = '\0';
		CK_CHECK_INT(ck_sql_compile(big, CK_SQL_2016_03_23, &rule, &err), ==, -E2BIG);
		CK_CHECK(rule == NULL);
		big[CK_SQL_MAX_LEN] = '\0';
		CK_CHECK_INT(ck_sql_compile(big, CK_SQL_2016_03_23, &rule, &err), ==, 0);
		ck_sql_rule_free(rule);
		free(big);
	}

	/* nesting limit: deep parentheses and long operator chains are refused */
	char deep[1024];
	size_t o = 0;
	o += (size_t)snprintf(deep + o, sizeof(deep) - o, "SELECT VALUE ");
	for (int i = 0; i < CK_SQL_MAX_DEPTH + 5; i++)
		deep[o++] = '(';
	deep[o++] = '1';
	for (int i = 0; i < CK_SQL_MAX_DEPTH + 5; i++)
		deep[o++] = ')';
	snprintf(deep + o, sizeof(deep) - o, " FROM 'a'");
	CK_CHECK_INT(ck_sql_compile(deep, CK_SQL_2016_03_23, &rule, &err), ==, -EINVAL);
	CK_CHECK(strstr(err.message, "nested too deeply") != NULL);

	o = (size_t)snprintf(deep, sizeof(deep), "SELECT VALUE 1");
	for (int i = 0; i < CK_SQL_MAX_DEPTH + 5; i++)
		o += (size_t)snprintf(deep + o, sizeof(deep) - o, "+1");
	snprintf(deep + o, sizeof(deep) - o, " FROM 'a'");
	CK_CHECK_INT(ck_sql_compile(deep, CK_SQL_2016_03_23, &rule, &err), ==, -EINVAL);
	CK_CHECK(strstr(err.message, "nested too deeply") != NULL);

	o = (size_t)snprintf(deep, sizeof(deep), "SELECT VALUE 1");
	for (int i = 0; i < 20; i++)
		o += (size_t)snprintf(deep + o, sizeof(deep) - o, "+1");
	snprintf(deep + o, sizeof(deep) - o, " FROM 'a'");
	CK_CHECK_INT(ck_sql_compile(deep, CK_SQL_2016_03_23, &rule, &err), ==, 0);
	ck_sql_rule_free(rule);

	/* NULL error pointer is allowed */
	CK_CHECK_INT(ck_sql_compile("SELECT", CK_SQL_2016_03_23, &rule, NULL), ==, -EINVAL);

	/* one compiled rule, many messages; a NULL payload is an empty binary one */
	CK_CHECK_INT(
	    ck_sql_compile("SELECT a FROM 'a' WHERE a > 1", CK_SQL_2016_03_23, &rule, &err), ==, 0);
	struct ck_sql_message msg = { .topic = "a",
		                      .payload = (const uint8_t *)"{\"a\":2}",
		                      .payload_len = 7 };
	cJSON *out = NULL;
	CK_CHECK_INT(ck_sql_eval(rule, &msg, &out), ==, 1);
	CK_CHECK(cJSON_IsObject(out));
	CK_CHECK(cJSON_GetObjectItem(out, "a") && cJSON_GetObjectItem(out, "a")->valuedouble == 2);
	cJSON_Delete(out);
	msg.payload = (const uint8_t *)"{\"a\":1}";
	CK_CHECK_INT(ck_sql_eval(rule, &msg, &out), ==, 0);
	CK_CHECK(out == NULL);
	msg.payload = NULL;
	msg.payload_len = 0;
	CK_CHECK_INT(ck_sql_eval(rule, &msg, &out), ==, 0);
	ck_sql_rule_free(rule);

	/* a value built past the per-string ceiling degrades to Undefined */
	CK_CHECK_INT(ck_sql_compile("SELECT VALUE length(lpad(lpad(lpad(lpad(lpad(lpad(lpad(s, "
	                            "1000), 1000), 1000), 1000), 1000), 1000), 1000)) FROM 'a'",
	                            CK_SQL_2016_03_23, &rule, &err),
	             ==, 0);
	msg.payload = (const uint8_t *)"{\"s\":\"x\"}";
	msg.payload_len = 9;
	CK_CHECK_INT(ck_sql_eval(rule, &msg, &out), ==, 1);
	CK_CHECK(out && out->valuedouble == 7001);
	cJSON_Delete(out);
	ck_sql_rule_free(rule);
}

struct tpl_case {
	const char *text;
	const char *want; /* rendering, or "ERR l:c message-prefix" */
};

static const struct tpl_case templates[] = {
	{ "${topic()}/republish", "iotbutton/G030JF0001/republish" },
	{ "${topic(2)}/delta", "G030JF0001/delta" },
	{ "${clientId()}", "G030JF0001" },
	{ "${floor(timestamp() / 1E3)}", "1700000000" },
	{ "${(timestamp() % 1E3) * 1E6}", "123000000" },
	{ "${o.x.y}", "7" },
	{ "${s}-${a}-${b}-${t}-${n}-${missing}-${arr}", "str-1-2.5-true-null--[1,\"two\",3]" },
	{ "${o}", "{\"x\":{\"y\":7},\"k-1\":\"dash\"}" },
	{ "$$aws/things/${topic(2)}/shadow/update", "$aws/things/G030JF0001/shadow/update" },
	{ "cost $5 ${a}$", "cost $5 1$" },
	{ "${ {'k': '}'}.k }", "}" },
	{ "${'a' + \"}\"}", "a}" },
	{ "plain", "plain" },
	{ "", "" },
	{ "${get(*, 'k-1')}", "" },
	{ "${get(o, 'k-1')}", "dash" },
	{ "${upper(s)", "ERR 1:1 unterminated ${" },
	{ "x ${}", "ERR 1:5 expected an expression" },
	{ "ab\n  ${a +}", "ERR 2:8 expected an expression" },
	{ "${nosuch()}", "ERR 1:3 unknown function" },
	{ "${a b}", "ERR 1:5 unexpected 'b'" },
};

static void test_templates(void)
{
	struct ck_sql_message msg = {
		.topic = TOPIC,
		.payload = (const uint8_t *)DOC,
		.payload_len = strlen(DOC),
		.client_id = "G030JF0001",
		.timestamp_ms = 1700000000123,
	};
	for (size_t i = 0; i < sizeof(templates) / sizeof(templates[0]); i++) {
		struct ck_sql_template *tpl = NULL;
		struct ck_sql_error err;
		char got[512];
		int rc = ck_sql_template_compile(templates[i].text, CK_SQL_2016_03_23, &tpl, &err);
		if (rc != 0) {
			snprintf(got, sizeof(got), "ERR %d:%d %s", err.line, err.column,
			         err.message);
		} else {
			char *text = NULL;
			rc = ck_sql_template_render(tpl, &msg, &text);
			snprintf(got, sizeof(got), "%s",
			         rc == 0 && text ? text : "(render failed)");
			free(text);
		}
		ck_sql_template_free(tpl);
		const char *want = templates[i].want;
		bool ok = strncmp(want, "ERR", 3) == 0 ? strncmp(got, want, strlen(want)) == 0
		                                       : strcmp(got, want) == 0;
		CK_CHECK(ok);
		if (!ok)
			fprintf(stderr, "  template: %s\n  want: %s\n  got:  %s\n",
			        templates[i].text, want, got);
	}

	/* binary payload: fields render empty, '*' as base64 */
	struct ck_sql_template *tpl = NULL;
	CK_CHECK_INT(ck_sql_template_compile("[${a}|${*}]", CK_SQL_2016_03_23, &tpl, NULL), ==, 0);
	msg.payload = (const uint8_t *)"hi";
	msg.payload_len = 2;
	char *text = NULL;
	CK_CHECK_INT(ck_sql_template_render(tpl, &msg, &text), ==, 0);
	CK_CHECK_STR(text, "[|aGk=]");
	free(text);
	ck_sql_template_free(tpl);
	ck_sql_template_free(NULL);
}

#define RUN(table, ver) check_cases(table, sizeof(table) / sizeof(table[0]), ver)

int main(void)
{
	RUN(basics, CK_SQL_2016_03_23);
	check_cases_bytes(binary, sizeof(binary) / sizeof(binary[0]), CK_SQL_2016_03_23, false);
	RUN(logic, CK_SQL_2016_03_23);
	RUN(arith, CK_SQL_2016_03_23);
	RUN(structure, CK_SQL_2016_03_23);
	RUN(functions, CK_SQL_2016_03_23);
	RUN(errors, CK_SQL_2016_03_23);
	RUN(v2015, CK_SQL_2015_10_08);
	test_api();
	test_templates();
	return ck_test_main("test_sql");
}
