/*
 * accountid() and traceid() (rules-sql.md §13.2): they return what the
 * message carries and are Undefined (so their SELECT items are omitted)
 * when it carries nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "ck_test.h"
#include "sql/sql.h"

static char *run(const struct ck_sql_message *m)
{
	struct ck_sql_rule *r = NULL;
	struct ck_sql_error e;
	uint8_t *out = NULL;
	size_t len = 0;
	CK_CHECK_INT(ck_sql_compile("SELECT accountid() AS a, traceid() AS t, 1 AS x FROM '#'",
	                            CK_SQL_2016_03_23, &r, &e),
	             ==, 0);
	CK_CHECK_INT(ck_sql_eval_payload(r, m, &out, &len), ==, 1);
	ck_sql_rule_free(r);
	return (char *)out;
}

int main(void)
{
	struct ck_sql_message m = {
		.topic = "iotbutton/x",
		.payload = (const uint8_t *)"{}",
		.payload_len = 2,
		.account_id = "123456789012",
		.trace_id = "0b7f3d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
	};
	char *out = run(&m);
	CK_CHECK_STR(out, "{\"a\":\"123456789012\",\"t\":\"0b7f3d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f\","
	                  "\"x\":1}");
	free(out);
	m.account_id = NULL;
	m.trace_id = NULL;
	out = run(&m);
	CK_CHECK_STR(out, "{\"x\":1}");
	free(out);
	return ck_test_main("sql_ids");
}
