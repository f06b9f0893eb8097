/*
 * Journal to events and effects, one transaction per batch (see ingest.h).
 */
#include "engine/ingest.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "device/payload.h"
#include "engine/actions.h"
#include "sql/sql.h"

#define BUTTON_PREFIX "iotbutton/"

struct batch {
	struct ck_store *s;
	const struct ck_rules *rules;
	int64_t now_ms;
	int64_t last_seq;
	struct ck_ingest_stats *stats; /* Per row: */
	const struct ck_journal_row *row;
	const char *topic; /* the topic rules see (Basic Ingest prefix removed) */
	struct ck_action_ctx action;
};

/* Checks what every message must satisfy; fills why when it does not. */
static int check_row(const struct ck_journal_row *row, struct ck_press *press, char *why,
                     size_t why_len)
{
	if (row->retain) {
		snprintf(why, why_len, "retained message is not a press");
		return -EINVAL;
	}
	if (!row->payload || row->payload_size > CK_PAYLOAD_MAX) {
		snprintf(why, why_len, "payload too large (%lld bytes, limit %d)",
		         (long long)row->payload_size, CK_PAYLOAD_MAX);
		return -E2BIG;
	}
	if (strncmp(row->topic, BUTTON_PREFIX, strlen(BUTTON_PREFIX)) != 0)
		return 0;
	return ck_payload_decode(row->payload, row->payload_len, press, why, why_len);
}

static int run_rule(const struct ck_rule *rule, void *ctx)
{
	struct batch *b = ctx;
	struct ck_sql_message msg = {
		.topic = b->topic,
		.payload = b->row->payload,
		.payload_len = b->row->payload_len,
		.client_id = b->row->client_id,
		.timestamp_ms = b->row->received_ms,
		.principal = b->row->thing,
	};
	cJSON *out = NULL;
	int fired = ck_sql_eval(rule->sql, &msg, &out);
	cJSON_Delete(out);
	if (fired < 0)
		return fired;
	if (fired == 0)
		return 0;
	b->stats->rule_matches++;
	b->action.rule = rule->name;
	const cJSON *action;
	cJSON_ArrayForEach(action, rule->actions)
	{
		int created = 0;
		int rc = ck_action_run(b->s, action, &b->action, &created);
		if (rc != 0)
			return rc;
		b->stats->workorders += created;
	}
	return 0;
}

static int ingest_row(const struct ck_journal_row *row, void *ctx)
{
	struct batch *b = ctx;
	struct ck_press press = {
		.click = CK_CLICK_NONE, .battery_mv = -1, .seq = -1, .pressed_ms = -1
	};
	char why[160] = "";
	struct ck_event_row ev = {
		.seq = row->seq,
		.thing = row->thing,
		.topic = row->topic,
		.received_ms = row->received_ms,
		.status = CK_EVENT_ACCEPTED,
		.payload_size = row->payload_size,
	};
	int rc;

	b->last_seq = row->seq;
	b->stats->processed++;
	if (check_row(row, &press, why, sizeof(why)) != 0) {
		ev.status = CK_EVENT_REJECTED;
		ev.reason = why;
		ck_info("ingest", "event %lld from %s rejected: %s", (long long)row->seq,
		        row->thing, why);
		b->stats->rejected++;
		return ck_store_event_put(b->s, &ev);
	}
	ev.click_type = ck_click_name(press.click);
	rc = ck_store_event_put(b->s, &ev);
	if (rc == 0)
		rc = ck_store_thing_seen(b->s, row->thing, row->received_ms, press.battery_mv);
	if (rc != 0)
		return rc;
	b->stats->accepted++;

	struct ck_thing thing = { 0 };
	const char *location = NULL;
	if (ck_store_thing_get(b->s, row->thing, &thing) == 0) {
		const cJSON *loc = cJSON_GetObjectItemCaseSensitive(thing.attributes, "location");
		location = cJSON_IsString(loc) ? loc->valuestring : NULL;
	}
	b->row = row;
	b->action = (struct ck_action_ctx){
		.thing = row->thing,
		.click_type = ev.click_type,
		.location = location,
		.event_seq = row->seq,
		.pressed_ms = press.pressed_ms > 0 ? press.pressed_ms : row->received_ms,
		.now_ms = b->now_ms,
	};
	char rule_name[CK_NAME_MAX + 1];
	const char *rest = ck_rules_basic_ingest(row->topic, rule_name, sizeof(rule_name));
	if (rest) {
		const struct ck_rule *rule = ck_rules_find(b->rules, rule_name);
		b->topic = rest;
		rc = rule ? run_rule(rule, b) : 0;
		if (!rule)
			ck_info("ingest",
			        "event %lld: Basic Ingest for unknown or disabled rule %s",
			        (long long)row->seq, rule_name);
	} else {
		b->topic = row->topic;
		rc = ck_rules_match(b->rules, row->topic, run_rule, b);
	}
	ck_thing_cleanup(&thing);
	return rc;
}

int ck_ingest_batch(struct ck_store *s, const struct ck_rules *rules, int max, int64_t now_ms,
                    struct ck_ingest_stats *stats)
{
	struct ck_ingest_stats local = { 0 };
	struct batch b = { .s = s, .rules = rules, .now_ms = now_ms, .stats = &local };
	int64_t cursor = 0;

	int rc = ck_store_begin(s);
	if (rc != 0)
		return rc;
	rc = ck_store_cursor_get(s, CK_INGEST_CURSOR, &cursor);
	if (rc != 0)
		goto fail;
	b.last_seq = cursor;
	rc = ck_store_journal_read(s, cursor, max, ingest_row, &b);
	if (rc < 0)
		goto fail;
	if (rc == 0) {
		ck_store_rollback(s);
		return 0;
	}
	rc = ck_store_cursor_set(s, CK_INGEST_CURSOR, b.last_seq);
	if (rc != 0)
		goto fail;
	rc = ck_store_commit(s);
	if (rc != 0)
		goto fail;
	stats->processed += local.processed;
	stats->accepted += local.accepted;
	stats->rejected += local.rejected;
	stats->rule_matches += local.rule_matches;
	stats->workorders += local.workorders;
	return (int)local.processed;
fail:
	ck_store_rollback(s);
	ck_error("ingest", "batch after journal sequence %lld failed (%d); will retry",
	         (long long)cursor, rc);
	return rc < 0 ? rc : -EIO;
}
