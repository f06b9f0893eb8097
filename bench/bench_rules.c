/*
 * Rules engine benchmark (issue 3): evaluations per second on one core,
 * each including the JSON parsing of the payload, for
 *   (a) SELECT * FROM 'iotbutton/+' WHERE clickType = 'SINGLE' on the AWS
 *       IoT button payload,
 *   (b) a rule with nested fields, five functions and a CASE,
 *   (c) 10,000 rules of which one matches: the topic goes through a topic
 *       index holding every rule's FROM filter (core/topic_index.h, as the
 *       engine's rule set does) and the matching rule is evaluated.
 * Each evaluation produces the output payload bytes an action would send
 * (ck_sql_eval_payload); the cJSON-tree interface (ck_sql_eval) is shown
 * beside it. Single-threaded, so the figures are per core. Prints figures
 * only; it asserts nothing about time.
 *
 * Usage: bench_rules [SECONDS_PER_CASE]   (default 1)
 */
#include "core/topic.h"
#include "core/topic_index.h"
#include "sql/sql.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_RULES 10000

static const char button_payload[] =
    "{\"serialNumber\": \"G030JF0551752M8F\", \"batteryVoltage\": \"1705mV\", "
    "\"clickType\": \"SINGLE\"}";
static const char button_topic[] = "iotbutton/G030JF0551752M8F";
static const char rule_a[] = "SELECT * FROM 'iotbutton/+' WHERE clickType = 'SINGLE'";

static const char nested_payload[] =
    "{\"device\": {\"id\": \"g030jf0551752m8f\", \"site\": {\"name\": \"north-wing\", "
    "\"floor\": 3}, \"battery\": {\"mv\": 1705}}, \"click\": {\"type\": \"DOUBLE\", "
    "\"count\": 2}, \"ts\": 1700000000123}";
static const char nested_topic[] = "buttons/north-wing/click";
static const char rule_b[] =
    "SELECT upper(device.id) AS thing, concat(device.site.name, '/', device.site.floor) AS "
    "place, round(device.battery.mv / 10) AS battery_cv, substring(device.id, 0, 4) AS batch, "
    "CASE click.type WHEN 'SINGLE' THEN 'pickup' WHEN 'DOUBLE' THEN 'clean' ELSE 'other' END "
    "AS kind, click.count AS presses FROM 'buttons/+/click' "
    "WHERE device.battery.mv > 1000 AND startswith(click.type, 'D')";

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct ck_sql_rule *compile(const char *sql)
{
	struct ck_sql_rule *rule = NULL;
	struct ck_sql_error err;
	if (ck_sql_compile(sql, CK_SQL_2016_03_23, &rule, &err) != 0) {
		fprintf(stderr, "bench_rules: %s: line %d, column %d: %s\n", sql, err.line,
		        err.column, err.message);
		exit(1);
	}
	return rule;
}

static struct ck_sql_message message(const char *topic, const char *payload)
{
	struct ck_sql_message msg = {
		.topic = topic,
		.payload = (const uint8_t *)payload,
		.payload_len = strlen(payload),
		.client_id = "G030JF0551752M8F",
		.timestamp_ms = 1700000000123,
	};
	return msg;
}

/* One evaluation of a rule; returns 1 when it fired. */
typedef int (*eval_fn)(void *ctx);

struct one_rule {
	const struct ck_sql_rule *rule;
	struct ck_sql_message msg;
	bool tree; /* ck_sql_eval (cJSON tree) rather than ck_sql_eval_payload */
};

static int eval_one(void *ctx)
{
	struct one_rule *o = ctx;
	if (o->tree) {
		cJSON *out = NULL;
		int rc = ck_sql_eval(o->rule, &o->msg, &out);
		cJSON_Delete(out);
		return rc;
	}
	uint8_t *out = NULL;
	size_t len = 0;
	int rc = ck_sql_eval_payload(o->rule, &o->msg, &out, &len);
	free(out);
	return rc;
}

struct many_rules {
	struct ck_topic_index *index;
	struct ck_sql_rule **rules;
	struct ck_sql_message msg;
	bool tree;
	int fired;
};

static int eval_matched(int id, void *ctx)
{
	struct many_rules *m = ctx;
	struct one_rule o = { .rule = m->rules[id], .msg = m->msg, .tree = m->tree };
	if (eval_one(&o) == 1)
		m->fired++;
	return 0;
}

static int eval_many(void *ctx)
{
	struct many_rules *m = ctx;
	m->fired = 0;
	ck_topic_index_match(m->index, m->msg.topic, eval_matched, m);
	return m->fired;
}

/* Runs fn for about seconds; returns evaluations per second. */
static double measure(eval_fn fn, void *ctx, double seconds)
{
	long done = 0, batch = 1000;
	double start = now_s(), elapsed = 0;
	if (fn(ctx) != 1) {
		fprintf(stderr, "bench_rules: the rule does not fire once\n");
		exit(1);
	}
	while (elapsed < seconds) {
		for (long i = 0; i < batch; i++)
			fn(ctx);
		done += batch;
		elapsed = now_s() - start;
	}
	return (double)done / elapsed;
}

static void row(const char *name, eval_fn fn, void *payload_ctx, void *tree_ctx, double seconds,
                double *payload_rate)
{
	*payload_rate = measure(fn, payload_ctx, seconds);
	double tree = measure(fn, tree_ctx, seconds);
	printf("%-44s %12.0f %12.0f %9.0f\n", name, *payload_rate, tree, 1e9 / *payload_rate);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? strtod(argv[1], NULL) : 1.0;
	if (!(seconds > 0))
		seconds = 1.0;

	struct ck_sql_rule *a = compile(rule_a);
	struct ck_sql_rule *b = compile(rule_b);

	/* (c): 9,999 rules that do not match the button topic, some of them
	 * literal siblings of its levels and some with wildcards, plus rule (a) */
	struct many_rules m = { .index = ck_topic_index_new() };
	m.rules = calloc(N_RULES, sizeof(*m.rules));
	if (!m.index || !m.rules)
		return 1;
	for (int i = 0; i < N_RULES; i++) {
		char sql[160];
		switch (i % 4) {
		case 0:
			snprintf(sql, sizeof(sql),
			         "SELECT * FROM 'iotbutton/G%06d' WHERE clickType = 'SINGLE'", i);
			break;
		case 1:
			snprintf(sql, sizeof(sql),
			         "SELECT * FROM 'site/%d/+/click' WHERE clickType = 'SINGLE'", i);
			break;
		case 2:
			snprintf(sql, sizeof(sql),
			         "SELECT * FROM '+/status/%d' WHERE clickType = 'SINGLE'", i);
			break;
		default:
			snprintf(sql, sizeof(sql),
			         "SELECT * FROM 'dev%d/#' WHERE clickType = 'SINGLE'", i);
			break;
		}
		m.rules[i] = compile(i == N_RULES / 2 ? rule_a : sql);
		if (ck_topic_index_add(m.index, ck_sql_rule_topic_filter(m.rules[i]), i) != 0)
			return 1;
	}
	m.msg = message(button_topic, button_payload);
	int matching = 0;
	for (int i = 0; i < N_RULES; i++)
		matching += ck_topic_match(ck_sql_rule_topic_filter(m.rules[i]), button_topic);
	if (matching != 1) {
		fprintf(stderr, "bench_rules: %d rules match, not 1\n", matching);
		return 1;
	}

	printf("IoT SQL rules, one thread; evaluations per second including JSON parsing\n");
	printf("%-44s %12s %12s %9s\n", "case", "payload/s", "cJSON/s", "ns/eval");

	struct one_rule pa = { a, message(button_topic, button_payload), false };
	struct one_rule ta = pa;
	ta.tree = true;
	double rate_a, rate_b, rate_c;
	row("(a) SELECT * ... WHERE clickType = 'SINGLE'", eval_one, &pa, &ta, seconds, &rate_a);

	struct one_rule pb = { b, message(nested_topic, nested_payload), false };
	struct one_rule tb = pb;
	tb.tree = true;
	row("(b) nested fields, 5 functions, CASE", eval_one, &pb, &tb, seconds, &rate_b);

	struct many_rules tm = m;
	tm.tree = true;
	row("(c) 10,000 rules, one matches (topic index)", eval_many, &m, &tm, seconds, &rate_c);

	printf("\ngoal (a) >= 1,000,000/s: %s (%.2fx)\n", rate_a >= 1e6 ? "met" : "NOT met",
	       rate_a / 1e6);
	printf("goal (c) within 2x of (a): %s ((a)/(c) = %.2f)\n",
	       rate_a / rate_c <= 2.0 ? "met" : "NOT met", rate_a / rate_c);

	for (int i = 0; i < N_RULES; i++)
		ck_sql_rule_free(m.rules[i]);
	free(m.rules);
	ck_topic_index_free(m.index);
	ck_sql_rule_free(a);
	ck_sql_rule_free(b);
	return 0;
}
