/*
 * Store, rules and ingest together, on a real SQLite store in a temporary
 * directory with journal rows written the way the broker plugin writes
 * them: events are classified with their reasons, rules act exactly once,
 * and a failed batch leaves nothing behind.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "ck_test.h"
#include "engine/ingest.h"
#include "engine/rules.h"
#include "journal/reader.h"
#include "journal/writer.h"
#include "store/store.h"
#include "store/store_calls.h"
#include "store/store_usage.h"

static const struct ck_ingest_config cfg = { .dedup_window_ms = 3000 };
static char dir[] = "/tmp/ck-ingest-XXXXXX";
static char store_path[300], journal_path[300];
static struct ck_journal_reader jr;

/* Appends a record as the plugin does: a writer opened on the journal
 * directory for this one message (which also exercises reopening). */
static void journal_put(const char *thing, const char *topic, const char *payload, int retain,
                        long long size)
{
	struct ck_journal_writer w;
	struct ck_journal_writer_config wc = { .max_bytes = 1 << 20 };
	struct ck_journal_row row = {
		.received_ms = 1000,
		.client_id = thing,
		.thing = thing,
		.topic = topic,
		.qos = 1,
		.retain = retain != 0,
		.payload = (const uint8_t *)payload,
		.payload_len = payload ? strlen(payload) : 0,
		.payload_size = size >= 0 ? size : (long long)strlen(payload),
	};
	ck_journal_writer_init(&w);
	CK_CHECK_INT(ck_journal_writer_open(&w, journal_path, &wc, 0, NULL), ==, 0);
	CK_CHECK_INT(ck_journal_writer_append(&w, &row, 1000, NULL), ==, 0);
	ck_journal_writer_close(&w);
}

static int count(cJSON *items)
{
	return cJSON_GetArraySize(items);
}

static cJSON *list_events(struct ck_store *s, const char *status)
{
	struct ck_list_query q = { .status = status, .limit = 100 };
	cJSON *items = cJSON_CreateArray();
	int64_t next;
	CK_CHECK_INT(ck_store_event_list(s, &q, items, &next), ==, 0);
	return items;
}

static cJSON *list_workorders(struct ck_store *s)
{
	struct ck_list_query q = { .limit = 100 };
	cJSON *items = cJSON_CreateArray();
	int64_t next;
	CK_CHECK_INT(ck_store_workorder_list(s, &q, items, &next), ==, 0);
	return items;
}

static void test_rule_validation(void)
{
	struct ck_sql_error e;
	char why[256];
	cJSON *good = cJSON_Parse("[{\"type\":\"workorder\",\"kind\":\"pickup\"}]");
	cJSON *bad_type = cJSON_Parse("[{\"type\":\"email\"}]");
	cJSON *empty = cJSON_Parse("[]");
	const char *sql = "SELECT * FROM 'iotbutton/+' WHERE clickType = 'SINGLE'";

	CK_CHECK_INT(
	    ck_rule_validate("pickup", sql, "2016-03-23", good, NULL, &e, why, sizeof(why)), ==, 0);
	CK_CHECK_INT(
	    ck_rule_validate("bad name", sql, "2016-03-23", good, NULL, &e, why, sizeof(why)), ==,
	    -EINVAL);
	CK_CHECK_INT(ck_rule_validate("r", sql, "2099-01-01", good, NULL, &e, why, sizeof(why)), ==,
	             -EINVAL);
	CK_CHECK(strstr(why, "2099-01-01") != NULL);
	CK_CHECK_INT(ck_rule_validate("r", sql, "2016-03-23", bad_type, NULL, &e, why, sizeof(why)),
	             ==, -EINVAL);
	CK_CHECK(strstr(why, "email") != NULL);
	CK_CHECK_INT(ck_rule_validate("r", sql, "2016-03-23", empty, NULL, &e, why, sizeof(why)),
	             ==, -EINVAL);
	CK_CHECK_INT(
	    ck_rule_validate("r", "SELECT * WHERE", "2016-03-23", good, NULL, &e, why, sizeof(why)),
	    ==, -EINVAL);
	CK_CHECK_INT(e.line, ==, 1);
	CK_CHECK(e.column > 0);
	CK_CHECK(strncmp(why, "line 1, column ", 15) == 0);
	CK_CHECK(ck_name_valid("dock-1:a_b"));
	CK_CHECK(!ck_name_valid(""));
	CK_CHECK(!ck_name_valid("a/b"));
	cJSON_Delete(good);
	cJSON_Delete(bad_type);
	cJSON_Delete(empty);
}

static int count_thing_changes(int64_t seq, int64_t id, const char *change, const char *thing,
                               void *arg)
{
	(void)seq;
	if (thing && id == 0 && strcmp(change, "thing") == 0 && strcmp(thing, "dock-1") == 0)
		(*(int *)arg)++;
	return 0;
}

static void test_ingest(void)
{
	struct ck_store *s = NULL;
	char err[256];
	CK_CHECK_INT(ck_store_open_sqlite(store_path, &s, err, sizeof(err)), ==, 0);
	CK_CHECK_INT(ck_store_schema_version(s), >=, 1);
	CK_CHECK_INT(ck_journal_reader_open(&jr, journal_path), ==, 0);

	struct ck_thing t = { .name = "dock-1", .enabled = true, .created_ms = 1 };
	t.attributes = cJSON_Parse("{\"location\":\"Dock 1\"}");
	CK_CHECK_INT(ck_store_thing_put(s, &t), ==, 0);
	CK_CHECK_INT(ck_store_thing_put(s, &t), ==, -EEXIST);
	cJSON_Delete(t.attributes);

	struct ck_rule_row r = {
		.name = "pickup",
		.sql = "SELECT * FROM 'iotbutton/+' WHERE clickType = 'SINGLE'",
		.sql_version = "2016-03-23",
		.actions = "[{\"type\":\"workorder\",\"kind\":\"pickup\"}]",
		.enabled = true,
	};
	CK_CHECK_INT(ck_store_rule_put(s, &r), ==, 0);
	struct ck_rules *rules = NULL;
	CK_CHECK_INT(ck_rules_load(s, &rules), ==, 0);
	CK_CHECK_INT(ck_rules_count(rules), ==, 1);

	struct ck_ingest_stats st = { 0 };
	CK_CHECK_INT(ck_ingest_batch(s, &jr, rules, &cfg, 10, 5000, &st), ==, 0);

	journal_put(
	    "dock-1", "iotbutton/dock-1",
	    "{\"serialNumber\":\"x\",\"batteryVoltage\":\"1615mV\",\"clickType\":\"SINGLE\"}", 0,
	    -1);
	journal_put("dock-1", "iotbutton/dock-1", "{\"clickType\":\"DOUBLE\"}", 0, -1);
	journal_put("dock-1", "iotbutton/dock-1", "not json", 0, -1);
	journal_put("dock-1", "iotbutton/dock-1", "{\"batteryVoltage\":\"1615mV\"}", 0, -1);
	journal_put("dock-1", "iotbutton/dock-1", NULL, 0, 100000);
	journal_put("dock-1", "iotbutton/dock-1", "{\"clickType\":\"SINGLE\"}", 1, -1);

	/* Two batches of at most 4 rows: the cursor carries over. */
	CK_CHECK_INT(ck_ingest_batch(s, &jr, rules, &cfg, 4, 5000, &st), ==, 4);
	CK_CHECK_INT(ck_ingest_batch(s, &jr, rules, &cfg, 4, 5000, &st), ==, 2);
	CK_CHECK_INT(ck_ingest_batch(s, &jr, rules, &cfg, 4, 5000, &st), ==, 0);
	CK_CHECK_INT(st.processed, ==, 6);
	CK_CHECK_INT(st.accepted, ==, 2);
	/* Both presses announced the thing once (one second apart at most). */
	int n_thing = 0;
	CK_CHECK_INT(ck_store_call_changes(s, 0, 100, count_thing_changes, &n_thing), ==, 0);
	CK_CHECK_INT(n_thing, ==, 1);
	int64_t seq = -1;
	CK_CHECK_INT(ck_store_thing_change(s, "dock-1", 5999, 1000, &seq), ==, 0);
	CK_CHECK_INT(seq, ==, 0);
	CK_CHECK_INT(ck_store_thing_change(s, "dock-1", 6000, 1000, &seq), ==, 0);
	CK_CHECK_INT(seq, >, 0);
	CK_CHECK_INT(ck_store_thing_change(s, "no-such-thing", 9000, 1000, &seq), ==, 0);
	CK_CHECK_INT(seq, ==, 0);
	CK_CHECK_INT(st.rejected, ==, 4);
	CK_CHECK_INT(st.workorders, ==, 1); /* Usage metering counted exactly what happened
	                                     * (received_ms 1000 is January 1970). */
	cJSON *usage = cJSON_CreateArray();
	CK_CHECK_INT(ck_store_usage_month(s, "1970-01", usage), ==, 0);
	int64_t messages = -1, triggers = -1, matches = -1, wos_total = -1, thing_msgs = -1;
	const cJSON *u;
	cJSON_ArrayForEach(u, usage)
	{
		const char *metric = cJSON_GetStringValue(cJSON_GetObjectItem(u, "metric"));
		const char *scope = cJSON_GetStringValue(cJSON_GetObjectItem(u, "scope"));
		int64_t v = (int64_t)cJSON_GetObjectItem(u, "value")->valuedouble;
		if (strcmp(scope, "total") == 0 && strcmp(metric, "messages") == 0)
			messages = v;
		if (strcmp(scope, "total") == 0 && strcmp(metric, "rule_triggers") == 0)
			triggers = v;
		if (strcmp(scope, "rule") == 0 && strcmp(metric, "rule_matches") == 0)
			matches = v;
		if (strcmp(scope, "total") == 0 && strcmp(metric, "workorders") == 0)
			wos_total = v;
		if (strcmp(scope, "thing") == 0 && strcmp(metric, "messages") == 0)
			thing_msgs = v;
	}
	CK_CHECK_INT(messages, ==, 6);
	CK_CHECK_INT(thing_msgs, ==, 6);
	CK_CHECK_INT(triggers, ==, 2); /* the two accepted presses on iotbutton/+ */
	CK_CHECK_INT(matches, ==, 1);
	CK_CHECK_INT(wos_total, ==, 1);
	cJSON_Delete(usage);

	cJSON *rejected = list_events(s, "rejected");
	CK_CHECK_INT(count(rejected), ==, 4);
	const char *want[] = { "retained", "too large", "clickType", "not JSON" };
	int i = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, rejected)
	{
		const cJSON *reason = cJSON_GetObjectItem(e, "reason");
		CK_CHECK(cJSON_IsString(reason) && strstr(reason->valuestring, want[i]) != NULL);
		i++;
	}
	cJSON_Delete(rejected);

	cJSON *wos = list_workorders(s);
	CK_CHECK_INT(count(wos), ==, 1);
	const cJSON *wo = cJSON_GetArrayItem(wos, 0);
	CK_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(wo, "location")), "Dock 1");
	CK_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(wo, "clickType")), "SINGLE");
	CK_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(wo, "kind")), "pickup");
	CK_CHECK_INT(cJSON_GetObjectItem(wo, "eventSeq")->valuedouble, ==, 1);
	cJSON_Delete(wos);

	struct ck_thing got;
	CK_CHECK_INT(ck_store_thing_get(s, "dock-1", &got), ==, 0);
	CK_CHECK_INT(got.battery_mv, ==, 1615);
	CK_CHECK_INT(got.last_seen_ms, ==, 1000);
	ck_thing_cleanup(&got);
	CK_CHECK_INT(ck_store_thing_get(s, "nobody", &got), ==, -ENOENT);

	/* A batch that fails part-way keeps nothing: the event row for seq 7
	 * exists already, so recording it again fails and the batch rolls back. */
	journal_put("dock-1", "iotbutton/dock-1", "{\"clickType\":\"SINGLE\"}", 0, -1);
	struct ck_event_row clash = {
		.seq = 7, .thing = "dock-1", .topic = "t", .status = CK_EVENT_ACCEPTED
	};
	CK_CHECK_INT(ck_store_event_put(s, &clash), ==, 0);
	CK_CHECK(ck_ingest_batch(s, &jr, rules, &cfg, 4, 5000, &st) < 0);
	wos = list_workorders(s);
	CK_CHECK_INT(count(wos), ==, 1);
	cJSON_Delete(wos);
	int64_t cursor;
	CK_CHECK_INT(ck_store_cursor_get(s, CK_INGEST_CURSOR, &cursor), ==, 0);
	CK_CHECK_INT(cursor, ==, 6);
	ck_rules_free(rules);
	ck_store_close(s);
	ck_journal_reader_close(&jr);

	/* Reopening runs no migration again and keeps the data. */
	CK_CHECK_INT(ck_store_open_sqlite(store_path, &s, err, sizeof(err)), ==, 0);
	CK_CHECK_INT(ck_store_cursor_get(s, CK_INGEST_CURSOR, &cursor), ==, 0);
	CK_CHECK_INT(cursor, ==, 6);
	ck_store_close(s);
}

static void test_basic_ingest(void)
{
	char path[300], jpath[300], err[256];
	snprintf(path, sizeof(path), "%s/bi.db", dir);
	snprintf(jpath, sizeof(jpath), "%s/bi-journal", dir);
	snprintf(journal_path, sizeof(journal_path), "%s", jpath);
	struct ck_store *s = NULL;
	CK_CHECK_INT(ck_store_open_sqlite(path, &s, err, sizeof(err)), ==, 0);
	CK_CHECK_INT(ck_journal_reader_open(&jr, jpath), ==, 0);
	struct ck_rule_row r = {
		.name = "pickup",
		.sql = "SELECT * FROM 'iotbutton/+' WHERE clickType = 'SINGLE'",
		.sql_version = "2016-03-23",
		.actions = "[{\"type\":\"workorder\"}]",
		.enabled = true,
	};
	CK_CHECK_INT(ck_store_rule_put(s, &r), ==, 0);
	struct ck_rules *rules = NULL;
	CK_CHECK_INT(ck_rules_load(s, &rules), ==, 0);
	CK_CHECK(ck_rules_find(rules, "pickup") != NULL);
	CK_CHECK(ck_rules_find(rules, "nosuchrule") == NULL);

	char name[CK_NAME_MAX + 1];
	CK_CHECK_STR(ck_rules_basic_ingest("$aws/rules/pickup/a/b", name, sizeof(name)), "a/b");
	CK_CHECK_STR(name, "pickup");
	CK_CHECK(ck_rules_basic_ingest("$aws/rules/pickup", name, sizeof(name)) == NULL);
	CK_CHECK(ck_rules_basic_ingest("$aws/rules/pickup/", name, sizeof(name)) == NULL);
	CK_CHECK(ck_rules_basic_ingest("$aws/things/x/y", name, sizeof(name)) == NULL);

	/* The named rule alone, whatever its FROM filter; an unknown name and a
	 * direct publish to a topic no rule's filter matches do nothing. */
	journal_put("dock-1", "$aws/rules/pickup/anything/here", "{\"clickType\":\"SINGLE\"}", 0,
	            -1);
	journal_put("dock-1", "$aws/rules/nosuchrule/x", "{\"clickType\":\"SINGLE\"}", 0, -1);
	journal_put("dock-1", "anything/here", "{\"clickType\":\"SINGLE\"}", 0, -1);
	struct ck_ingest_stats st = { 0 };
	CK_CHECK_INT(ck_ingest_batch(s, &jr, rules, &cfg, 10, 5000, &st), ==, 3);
	CK_CHECK_INT(st.workorders, ==, 1);
	cJSON *wos = list_workorders(s);
	CK_CHECK_INT(count(wos), ==, 1);
	CK_CHECK_INT(cJSON_GetObjectItem(cJSON_GetArrayItem(wos, 0), "eventSeq")->valuedouble, ==,
	             1);
	cJSON_Delete(wos);
	ck_rules_free(rules);
	ck_store_close(s);
	ck_journal_reader_close(&jr);
}

static void test_store_refuses_newer_schema(void)
{
	char path[300];
	snprintf(path, sizeof(path), "%s/newer.db", dir);
	sqlite3 *db;
	sqlite3_open(path, &db);
	sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL);
	sqlite3_close(db);
	struct ck_store *s = NULL;
	char err[256] = "";
	CK_CHECK_INT(ck_store_open_sqlite(path, &s, err, sizeof(err)), ==, -EPROTO);
	CK_CHECK(strstr(err, "newer") != NULL);
	CK_CHECK(s == NULL);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(store_path, sizeof(store_path), "%s/clickd.db", dir);
	snprintf(journal_path, sizeof(journal_path), "%s/journal", dir);
	test_rule_validation();
	test_ingest();
	test_store_refuses_newer_schema();
	test_basic_ingest();
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return ck_test_main("ingest");
}
