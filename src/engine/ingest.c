/*
 * Journal to events and effects, one transaction per batch (see ingest.h).
 */
#include "engine/ingest.h"

#include <errno.h>
#include <stdbool.h>

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "device/payload.h"
#include "engine/actions.h"
#include "engine/outbox.h"
#include "engine/placement.h"
#include "store/store_calls.h"
#include "store/store_outbox.h"
#include "store/store_usage.h"
#include "sql/sql.h"

#define BUTTON_PREFIX "iotbutton/"

/* Usage counters of one batch, written once at its end (store_usage.h). */
#define METER_MAX 64

struct meter_entry {
	char month[8];
	const char *metric;
	const char *scope;
	char key[CK_NAME_MAX + 1];
	int64_t delta;
};

/* Things whose last seen or battery a batch changed, announced once at its
 * end (a full table early), each at most once per CK_INGEST_THING_EVENT_MS. */
#define SEEN_MAX 64

struct batch {
	struct meter_entry meter[METER_MAX];
	int n_meter;
	char month[8];     /* the current row's month, for meter() */
	int64_t month_seq; /* the row it was computed for */
	char seen[SEEN_MAX][CK_NAME_MAX + 1];
	int n_seen;
	struct ck_store *s;
	const struct ck_rules *rules;
	const struct ck_ingest_config *cfg;
	int64_t now_ms;
	int64_t last_seq;
	struct ck_ingest_stats *stats;
	/* Per row: */
	const struct ck_journal_row *row;
	struct ck_sql_message msg; /* what rules see (Basic Ingest prefix removed) */
	char trace[37];
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

/* Records an action that failed at once, so the error action sees it. */
static int record_failure(struct batch *b, const struct ck_rule *rule, const cJSON *action,
                          int index, const char *error)
{
	char key[CK_NAME_MAX + 64];
	ck_action_key(key, sizeof(key), b->row->seq, rule->name, index);
	char *text = cJSON_PrintUnformatted(action);
	struct ck_outbox_entry e = {
		.key = key,
		.rule = rule->name,
		.action_index = index,
		.action = text ? text : "{}",
		.kind = ck_action_type(action),
		.destination = "",
		.event_seq = b->row->seq,
		.thing = b->row->thing,
		.topic = b->msg.topic,
		.client_id = b->row->client_id,
		.original = b->row->payload,
		.original_len = b->row->payload_len,
		.created_ms = b->now_ms,
		.expires_ms = b->now_ms,
		.last_error = error,
	};
	int rc = ck_store_outbox_put(b->s, &e, NULL);
	cJSON_free(text);
	ck_warn("ingest", "rule %s, event %lld: action %d (%s) failed: %s", rule->name,
	        (long long)b->row->seq, index, e.kind, error);
	return rc == -EEXIST ? 0 : rc;
}

/* Counts one unit of metric for key (and for the total). A full table is
 * written out early, so no count is ever dropped. */
static int meter(struct batch *b, const char *metric, const char *scope, const char *key,
                 int64_t delta);

static int meter_flush(struct batch *b)
{
	for (int i = 0; i < b->n_meter; i++) {
		struct meter_entry *m = &b->meter[i];
		int rc = ck_store_usage_add(b->s, m->month, m->metric, m->scope, m->key, m->delta);
		if (rc != 0)
			return rc;
	}
	b->n_meter = 0;
	return 0;
}

static int meter_one(struct batch *b, const char *month, const char *metric, const char *scope,
                     const char *key, int64_t delta)
{
	for (int i = 0; i < b->n_meter; i++) {
		struct meter_entry *m = &b->meter[i];
		if (m->metric == metric && m->scope == scope && strcmp(m->key, key) == 0 &&
		    strcmp(m->month, month) == 0) {
			m->delta += delta;
			return 0;
		}
	}
	if (b->n_meter == METER_MAX) {
		int rc = meter_flush(b);
		if (rc != 0)
			return rc;
	}
	struct meter_entry *m = &b->meter[b->n_meter++];
	snprintf(m->month, sizeof(m->month), "%s", month);
	m->metric = metric;
	m->scope = scope;
	snprintf(m->key, sizeof(m->key), "%s", key);
	m->delta = delta;
	return 0;
}

static int meter(struct batch *b, const char *metric, const char *scope, const char *key,
                 int64_t delta)
{
	if (b->month_seq != b->row->seq) {
		ck_usage_month(b->row->received_ms, b->month);
		b->month_seq = b->row->seq;
	}
	int rc = meter_one(b, b->month, metric, "total", "", delta);
	if (rc == 0 && scope)
		rc = meter_one(b, b->month, metric, scope, key, delta);
	return rc;
}

/* Writes the device-health change rows of the things seen so far. */
static int seen_flush(struct batch *b)
{
	for (int i = 0; i < b->n_seen; i++) {
		int64_t seq;
		int rc = ck_store_thing_change(b->s, b->seen[i], b->now_ms,
		                               CK_INGEST_THING_EVENT_MS, &seq);
		if (rc != 0)
			return rc;
	}
	b->n_seen = 0;
	return 0;
}

/* Notes that thing was seen in this batch: no query, unless the table is full. */
static int seen(struct batch *b, const char *thing)
{
	for (int i = 0; i < b->n_seen; i++)
		if (strcmp(b->seen[i], thing) == 0)
			return 0;
	if (b->n_seen == SEEN_MAX) {
		int rc = seen_flush(b);
		if (rc != 0)
			return rc;
	}
	snprintf(b->seen[b->n_seen++], sizeof(b->seen[0]), "%s", thing);
	return 0;
}

/*
 * The message's trace id for traceid(): a version-4-shaped UUID derived
 * from the journal row with a fast mixing function (not a cryptographic
 * one: it only has to be unique and stable), so that a batch run again
 * after a crash sees the same ids.
 */
static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void trace_id(const struct ck_journal_row *row, char out[37])
{
	static const char hex[] = "0123456789abcdef";
	uint64_t state = (uint64_t)row->seq * 0x100000001b3ULL ^ (uint64_t)row->received_ms;
	unsigned char md[16];
	uint64_t a = splitmix64(&state), c = splitmix64(&state);
	for (int i = 0; i < 8; i++) {
		md[i] = (unsigned char)(a >> (8 * i));
		md[8 + i] = (unsigned char)(c >> (8 * i));
	}
	md[6] = (unsigned char)((md[6] & 0x0f) | 0x40);
	md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
	size_t o = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[md[i] >> 4];
		out[o++] = hex[md[i] & 15];
	}
	out[o] = '\0';
}

static int run_rule(const struct ck_rule *rule, void *ctx)
{
	struct batch *b = ctx;
	int mrc = meter(b, "rule_triggers", "rule", rule->name, 1);
	if (mrc != 0)
		return mrc;
	uint8_t *payload = NULL;
	size_t payload_len = 0;
	int fired = ck_sql_eval_payload(rule->sql, &b->msg, &payload, &payload_len);
	if (fired == -E2BIG) {
		/* Not a store failure: the rule's output is over the cap. */
		ck_warn("ingest", "rule %s, event %lld: output over %u bytes; actions skipped",
		        rule->name, (long long)b->row->seq, CK_SQL_OUT_MAX);
		return 0;
	}
	if (fired <= 0)
		return fired;
	b->stats->rule_matches++;
	mrc = meter(b, "rule_matches", "rule", rule->name, 1);
	if (mrc == 0)
		mrc = meter(b, "actions", "rule", rule->name, cJSON_GetArraySize(rule->actions));
	if (mrc != 0) {
		free(payload);
		return mrc;
	}
	b->action.rule = rule->name;
	b->action.output = payload;
	b->action.output_len = payload_len;
	b->action.msg = &b->msg;
	const cJSON *action;
	int index = 0, rc = 0, failed = 0;
	cJSON_ArrayForEach(action, rule->actions)
	{
		struct ck_action_result res = { 0 };
		b->action.action_index = index;
		rc = ck_action_run(b->s, action, &b->action, &res);
		if (rc == -EINVAL) {
			failed++;
			rc = record_failure(b, rule, action, index, res.error);
		}
		if (rc != 0)
			break;
		b->stats->workorders += res.workorders;
		if (res.workorders)
			rc = meter(b, "workorders", NULL, NULL, res.workorders);
		if (rc != 0)
			break;
		b->stats->enqueued += res.enqueued;
		index++;
	}
	if (rc == 0 && failed > 0) {
		struct ck_outbox_origin origin = {
			.event_seq = b->row->seq,
			.rule = rule->name,
			.thing = b->row->thing,
			.topic = b->msg.topic,
			.client_id = b->row->client_id,
			.payload = b->row->payload,
			.payload_len = b->row->payload_len,
		};
		rc = ck_outbox_settle(b->s, &origin, rule->error_action, b->now_ms);
	}
	free(payload);
	return rc;
}

/* Runs a rule on the 1-Click event only when its FROM filter names the
 * iot1click/ topics, so no rule runs twice for one press (a '#' or '+'
 * filter already saw the press itself). */
static int run_rule_oneclick(const struct ck_rule *rule, void *ctx)
{
	if (!ck_placement_rule_wants(ck_sql_rule_topic_filter(rule->sql)))
		return 0;
	return run_rule(rule, ctx);
}

/*
 * The dedup key of an accepted message: its seq (with pressedAt, so a
 * device whose counter restarted is not mistaken for a retry) or eventId
 * when the device sends one, forever; otherwise its payload's SHA-256,
 * within the configured window.
 */
static void dedup_key(const struct ck_journal_row *row, const struct ck_press *press, char *key,
                      size_t len, bool *windowed)
{
	*windowed = false;
	if (press->seq >= 0) {
		snprintf(key, len, "seq:%lld:%lld", (long long)press->seq,
		         (long long)press->pressed_ms);
		return;
	}
	cJSON *doc = cJSON_ParseWithLength((const char *)row->payload, row->payload_len);
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(doc, "eventId");
	if (cJSON_IsString(id) && id->valuestring[0] && strlen(id->valuestring) <= 128) {
		snprintf(key, len, "id:%s", id->valuestring);
		cJSON_Delete(doc);
		return;
	}
	cJSON_Delete(doc);
	unsigned char md[32];
	static const char hex[] = "0123456789abcdef"; /* A retry repeats both topic and payload. */
	EVP_MD_CTX *sha = EVP_MD_CTX_new();
	if (!sha || EVP_DigestInit_ex(sha, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(sha, row->topic, strlen(row->topic) + 1) != 1 ||
	    EVP_DigestUpdate(sha, row->payload, row->payload_len) != 1 ||
	    EVP_DigestFinal_ex(sha, md, NULL) != 1)
		memset(md, 0, sizeof(md)); /* cannot happen short of ENOMEM; no dedup then */
	EVP_MD_CTX_free(sha);
	size_t o = (size_t)snprintf(key, len, "sha256:");
	for (size_t i = 0; i < sizeof(md) && o + 2 < len; i++) {
		key[o++] = hex[md[i] >> 4];
		key[o++] = hex[md[i] & 15];
	}
	key[o] = '\0';
	*windowed = true;
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
	b->row = row;
	rc = meter(b, "messages", "thing", row->thing, 1);
	if (rc != 0)
		return rc;
	if (check_row(row, &press, why, sizeof(why)) != 0) {
		ev.status = CK_EVENT_REJECTED;
		ev.reason = why;
		ck_info("ingest", "event %lld from %s rejected: %s", (long long)row->seq,
		        row->thing, why);
		b->stats->rejected++;
		return ck_store_event_put(b->s, &ev);
	}
	ev.click_type = ck_click_name(press.click);
	char key[200], dup_reason[64];
	bool windowed;
	int64_t dup_of = 0;
	dedup_key(row, &press, key, sizeof(key), &windowed);
	rc = ck_store_dedup(b->s, row->thing, key, row->received_ms,
	                    windowed ? b->cfg->dedup_window_ms : 0, row->seq, &dup_of);
	if (rc == -EEXIST) {
		snprintf(dup_reason, sizeof(dup_reason), "duplicate of event %lld",
		         (long long)dup_of);
		ev.status = CK_EVENT_DUPLICATE;
		ev.reason = dup_reason;
		b->stats->duplicates++;
		ck_info("ingest", "event %lld from %s is a %s", (long long)row->seq, row->thing,
		        dup_reason);
		return ck_store_event_put(b->s, &ev);
	}
	if (rc != 0)
		return rc;
	rc = ck_store_event_put(b->s, &ev);
	if (rc == 0)
		rc = ck_store_thing_seen(b->s, row->thing, row->received_ms, press.battery_mv);
	if (rc == 0)
		rc = seen(b, row->thing);
	if (rc != 0)
		return rc;
	b->stats->accepted++;

	struct ck_thing thing = { 0 };
	struct ck_placement_press placed;
	int64_t pressed_ms = press.pressed_ms > 0 ? press.pressed_ms : row->received_ms;
	ck_store_thing_get(b->s, row->thing, &thing);
	/* Where the press happened: its placement's location, else the thing's. */
	rc = ck_placement_press_init(b->s, row->thing, thing.attributes, ev.click_type, pressed_ms,
	                             press.battery_mv, &placed);
	if (rc != 0) {
		ck_placement_press_cleanup(&placed);
		ck_thing_cleanup(&thing);
		return rc;
	}
	const char *location = placed.location;
	if (placed.placed) {
		/* Usage per 1-Click project, as the thing's messages are counted. */
		rc = meter(b, "project_messages", "project", placed.where.project, 1);
		if (rc != 0) {
			ck_placement_press_cleanup(&placed);
			ck_thing_cleanup(&thing);
			return rc;
		}
	}
	b->row = row;
	trace_id(row, b->trace);
	b->msg = (struct ck_sql_message){
		.account_id = b->cfg->account_id,
		.trace_id = b->trace,
		.topic = row->topic,
		.payload = row->payload,
		.payload_len = row->payload_len,
		.client_id = row->client_id,
		.timestamp_ms = row->received_ms,
		.principal = row->thing,
	};
	b->action = (struct ck_action_ctx){
		.thing = row->thing,
		.click_type = ev.click_type,
		.location = location,
		.event_seq = row->seq,
		.pressed_ms = pressed_ms,
		.now_ms = b->now_ms,
	};
	char rule_name[CK_NAME_MAX + 1];
	const char *rest = ck_rules_basic_ingest(row->topic, rule_name, sizeof(rule_name));
	if (rest) {
		const struct ck_rule *rule = ck_rules_find(b->rules, rule_name);
		b->msg.topic = rest;
		rc = rule ? run_rule(rule, b) : 0;
		if (!rule)
			ck_info("ingest",
			        "event %lld: Basic Ingest for unknown or disabled rule %s",
			        (long long)row->seq, rule_name);
	} else {
		rc = ck_rules_match(b->rules, row->topic, run_rule, b);
	}
	if (rc == 0 && placed.event) {
		/* The 1-Click event, for rules reading iot1click/<project>/<placement>. */
		b->msg.topic = placed.topic;
		b->msg.payload = (const uint8_t *)placed.event;
		b->msg.payload_len = placed.event_len;
		rc = ck_rules_match(b->rules, placed.topic, run_rule_oneclick, b);
	}
	ck_placement_press_cleanup(&placed);
	ck_thing_cleanup(&thing);
	return rc;
}

int ck_ingest_batch(struct ck_store *s, struct ck_journal_reader *jr, const struct ck_rules *rules,
                    const struct ck_ingest_config *cfg, int max, int64_t now_ms,
                    struct ck_ingest_stats *stats)
{
	struct ck_ingest_stats local = { 0 };
	struct batch b = { .s = s, .rules = rules, .cfg = cfg, .now_ms = now_ms, .stats = &local };
	int64_t cursor = 0;

	int rc = ck_store_begin(s);
	if (rc != 0)
		return rc;
	rc = ck_store_cursor_get(s, CK_INGEST_CURSOR, &cursor);
	if (rc != 0)
		goto fail;
	b.last_seq = cursor;
	rc = ck_journal_reader_read(jr, cursor, max, ingest_row, &b);
	if (jr->warned)
		ck_error("ingest", "%s", jr->warn);
	if (rc < 0)
		goto fail;
	if (rc == 0) {
		ck_store_rollback(s);
		return 0;
	}
	rc = meter_flush(&b);
	if (rc == 0)
		rc = seen_flush(&b);
	if (rc != 0)
		goto fail;
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
	stats->enqueued += local.enqueued;
	stats->duplicates += local.duplicates;
	return (int)local.processed;
fail:
	ck_store_rollback(s);
	ck_error("ingest", "batch after journal sequence %lld failed (%d); will retry",
	         (long long)cursor, rc);
	return rc < 0 ? rc : -EIO;
}
