/*
 * libFuzzer target for the IoT SQL compiler and evaluator: the input is the
 * SQL text (NUL-terminated copy); when it compiles, it is evaluated against
 * a JSON payload, a binary payload and an empty one, under both SQL
 * versions, and the output is printed to exercise the conversion to cJSON.
 * The same text is also compiled and rendered as a substitution template.
 */
#include "sql/sql.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char json_payload[] =
    "{\"serialNumber\":\"G030JF0001\",\"batteryVoltage\":\"1615mV\",\"clickType\":\"SINGLE\","
    "\"a\":1,\"b\":2.5,\"s\":\"str\",\"n\":null,\"t\":true,\"arr\":[1,\"two\",[3]],"
    "\"o\":{\"x\":{\"y\":7}},\"e\":[{\"n\":\"t\",\"v\":22.5},{\"n\":\"l\",\"v\":1}],"
    "\"big\":1597220890942926000,\"d\":-25.2632837000000772}";

static const uint8_t binary_payload[] = { 0x00, 0x01, 0xff, 'h', 'i', 0x7f };

static void eval_one(const struct ck_sql_rule *rule, const uint8_t *payload, size_t len)
{
	struct ck_sql_message msg = {
		.topic = "iotbutton/G030JF0001",
		.payload = payload,
		.payload_len = len,
		.client_id = "G030JF0001",
		.timestamp_ms = 1700000000123,
	};
	cJSON *out = NULL;
	if (ck_sql_eval(rule, &msg, &out) == 1 && out) {
		char *text = cJSON_PrintUnformatted(out);
		free(text);
	}
	cJSON_Delete(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > CK_SQL_MAX_LEN + 16)
		return 0;
	char *sql = malloc(size + 1);
	if (!sql)
		return 0;
	memcpy(sql, data, size);
	sql[size] = '\0';
	for (int v = 0; v < 2; v++) {
		struct ck_sql_rule *rule = NULL;
		struct ck_sql_error err;
		enum ck_sql_version ver = v ? CK_SQL_2015_10_08 : CK_SQL_2016_03_23;
		if (ck_sql_compile(sql, ver, &rule, &err) != 0)
			continue;
		eval_one(rule, (const uint8_t *)json_payload, sizeof(json_payload) - 1);
		eval_one(rule, binary_payload, sizeof(binary_payload));
		eval_one(rule, NULL, 0);
		ck_sql_rule_free(rule);
	}
	struct ck_sql_template *tpl = NULL;
	if (ck_sql_template_compile(sql, CK_SQL_2016_03_23, &tpl, NULL) == 0) {
		struct ck_sql_message msg = {
			.topic = "iotbutton/G030JF0001",
			.payload = (const uint8_t *)json_payload,
			.payload_len = sizeof(json_payload) - 1,
		};
		char *text = NULL;
		if (ck_sql_template_render(tpl, &msg, &text) == 0)
			free(text);
		ck_sql_template_free(tpl);
	}
	free(sql);
	return 0;
}
