/*
 * libFuzzer target for the IoT SQL evaluator over untrusted messages: the
 * input is a message, "TOPIC\nPAYLOAD" (no newline, or a first line longer
 * than a topic: all of it is the payload, on a fixed topic). A fixed set of
 * rules, compiled once, is routed and evaluated the way clickd does it
 * (Basic Ingest, else the FROM filter) under both SQL versions, and a few
 * templates are rendered. Besides memory errors it checks that the two
 * output interfaces agree: ck_sql_eval_payload's bytes equal the printed
 * cJSON tree of ck_sql_eval, except for binary pass-through (the payload
 * bytes themselves) and strings holding U+0000 (which cJSON cuts).
 */
#include "core/topic.h"
#include "sql/sql.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DEFAULT_TOPIC "iotbutton/G030JF0001"

static const char *const rule_texts[] = {
	"SELECT * FROM 'iotbutton/+' WHERE clickType = 'SINGLE'",
	"SELECT * FROM '#'",
	"SELECT VALUE * FROM '#'",
	"SELECT *, topic(2) AS thing, 15 AS speed FROM '+/+'",
	"SELECT serialNumber AS id, batteryVoltage, upper(clickType) AS kind, "
	"substring(batteryVoltage, 0, length(batteryVoltage) - 2) AS mv FROM '#' "
	"WHERE startswith(serialNumber, 'G') OR isUndefined(serialNumber)",
	"SELECT a.b.c AS deep, get(*, 'k-1') AS dash, get(arr, 0) AS first, arr[1] AS second, "
	"o.x + 1 AS sum, o.x * 2.5 AS prod, o.x / o.y AS quot, o.x % 3 AS rem, -o.x AS neg "
	"FROM '#' WHERE NOT isUndefined(*)",
	"SELECT VALUE (SELECT VALUE v FROM e WHERE n = 'temperature') FROM '#'",
	"SELECT (SELECT n, v * 2 AS v2 FROM e) AS doubled, (SELECT VALUE a FROM *) AS self "
	"FROM '#'",
	"SELECT CASE clickType WHEN 'SINGLE' THEN 1 WHEN 'DOUBLE' THEN 2 ELSE 3 END AS c, "
	"CASE WHEN a > 1 THEN 'big' ELSE 'small' END AS size FROM '#'",
	"SELECT cast(a AS String) AS s, cast(a AS Int) AS i, cast(a AS Decimal) AS d, "
	"cast(a AS Bool) AS b, a = '5' AS eq, a > '5' AS gt, a + '5' AS cat, concat(a, arr) AS cc "
	"FROM '#'",
	"SELECT encode(*, 'base64') AS b64, decode(s, 'base64') AS dec, md5(s) AS h, "
	"regexp_replace(s, '[0-9]+', '#') AS r, regexp_matches(s, '^a') AS m, trim(s) AS t, "
	"replace(s, 'a', 'bb') AS rep, lpad(s, 3) AS lp, numbytes(s) AS nb, indexof(s, 'x') AS ix "
	"FROM '#'",
	"SELECT VALUE {'t': topic(), 'c': clientid(), 'ts': timestamp(), 'one': topic(1), "
	"'v': [a, s, n, t]} FROM '#'",
	"SELECT round(a) AS r, floor(a) AS f, ceil(a) AS c, abs(a) AS ab, sign(a) AS sg, "
	"power(a, 2) AS p, sqrt(a) AS sq, log(a) AS lg, trunc(a, 2) AS tr, bitand(a, 7) AS ba, "
	"nanvl(a, 0) AS nv, mod(a, 7) AS md FROM '#' WHERE a <> 0",
	"SELECT a AS x.y.z, s AS x.w, t AS x FROM '$aws/things/+/shadow/update'",
};

static const char *const template_texts[] = {
	"${topic()}/republish",
	"$$aws/things/${topic(2)}/shadow/${clickType}",
	"${a}|${s}|${arr}|${o}|${*}|${missing}|${upper(s) + a}",
};

#define N_RULES     (sizeof(rule_texts) / sizeof(rule_texts[0]))
#define N_TEMPLATES (sizeof(template_texts) / sizeof(template_texts[0]))

static struct ck_sql_rule *rules[2][N_RULES];
static struct ck_sql_template *templates[N_TEMPLATES];

static void setup(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	for (int v = 0; v < 2; v++) {
		enum ck_sql_version ver = v ? CK_SQL_2015_10_08 : CK_SQL_2016_03_23;
		for (size_t i = 0; i < N_RULES; i++) {
			struct ck_sql_error err;
			if (ck_sql_compile(rule_texts[i], ver, &rules[v][i], &err) != 0 && v == 0) {
				fprintf(stderr, "fuzz_sql_eval: rule %zu: %d:%d %s\n", i, err.line,
				        err.column, err.message);
				abort();
			}
		}
	}
	for (size_t i = 0; i < N_TEMPLATES; i++)
		if (ck_sql_template_compile(template_texts[i], CK_SQL_2016_03_23, &templates[i],
		                            NULL) != 0)
			abort();
}

/* The payload and tree outputs must tell the same story (file comment). */
static void check_agree(const struct ck_sql_rule *rule, const struct ck_sql_message *msg)
{
	uint8_t *bytes = NULL;
	size_t len = 0;
	cJSON *tree = NULL;
	int prc = ck_sql_eval_payload(rule, msg, &bytes, &len);
	int trc = ck_sql_eval(rule, msg, &tree);
	int frc = ck_sql_eval_payload(rule, msg, NULL, NULL);

	if (prc == -ENOMEM || trc == -ENOMEM || prc == -E2BIG)
		goto out;
	if (prc != trc || frc != trc)
		abort();
	if (prc != 1)
		goto out;
	char *text = cJSON_PrintUnformatted(tree);
	if (!text)
		goto out;
	bool same = strlen(text) == len && memcmp(text, bytes, len) == 0;
	bool passthrough = len == msg->payload_len &&
	                   (len == 0 || memcmp(bytes, msg->payload, len) == 0) &&
	                   cJSON_IsString(tree);
	bool has_nul = memmem(bytes, len, "\\u0000", 6) != NULL;
	free(text);
	if (!same && !passthrough && !has_nul)
		abort();
	if (bytes[len] != '\0')
		abort();
out:
	free(bytes);
	cJSON_Delete(tree);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char topic[CK_TOPIC_MAX_LEN + 1] = DEFAULT_TOPIC;
	const uint8_t *payload = data;
	size_t payload_len = size;

	setup();
	const uint8_t *nl = memchr(data, '\n', size < sizeof(topic) ? size : sizeof(topic));
	if (nl) {
		size_t n = (size_t)(nl - data);
		memcpy(topic, data, n);
		topic[n] = '\0';
		payload = nl + 1;
		payload_len = size - n - 1;
		if (!ck_topic_name_valid(topic))
			snprintf(topic, sizeof(topic), "%s", DEFAULT_TOPIC);
	}
	char name[129];
	const char *rest = ck_topic_basic_ingest(topic, name, sizeof(name));
	struct ck_sql_message msg = {
		.topic = rest ? rest : topic,
		.payload = payload,
		.payload_len = payload_len,
		.client_id = "G030JF0001",
		.timestamp_ms = 1700000000123,
		.principal = "fuzz",
	};
	for (int v = 0; v < 2; v++) {
		for (size_t i = 0; i < N_RULES; i++) {
			const struct ck_sql_rule *rule = rules[v][i];
			if (!rule)
				continue;
			if (!rest && !ck_topic_match(ck_sql_rule_topic_filter(rule), topic))
				continue;
			check_agree(rule, &msg);
		}
	}
	for (size_t i = 0; i < N_TEMPLATES; i++) {
		char *text = NULL;
		if (ck_sql_template_render(templates[i], &msg, &text) == 0)
			free(text);
	}
	return 0;
}
