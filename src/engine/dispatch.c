/*
 * Dispatch (see dispatch.h): presses, operations and escalations applied
 * to calls in the store, with their change-log rows, timers and outbox
 * entries.
 */
#include "engine/dispatch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/name.h"
#include "channels/channels.h"
#include "engine/actions.h"
#include "store/store_calls.h"
#include "store/store_outbox.h"

#define ESCALATE_BATCH   100
#define FEEDBACK_MAX_AGE (600 * 1000) /* a button light older than this means nothing */
#define ESCALATE_MAX_AGE (3600 * 1000)
#define TOPIC_MAX        (CK_NAME_MAX + 32)

/* Writes one outbox entry for a call; an existing key is not an error. */
static int enqueue(struct ck_store *s, const struct ck_call_row *c, const char *key,
                   const cJSON *action, const char *destination, const char *payload,
                   int64_t now_ms, int64_t max_age_ms)
{
	char *action_text = cJSON_PrintUnformatted(action);
	if (!action_text)
		return -ENOMEM;
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(action, "type");
	struct ck_outbox_entry e = {
		.key = key,
		.rule = CK_DISPATCH_RULE,
		.action_index = 0,
		.action = action_text,
		.kind = cJSON_IsString(type) ? type->valuestring : "republish",
		.destination = destination,
		.payload = (const uint8_t *)payload,
		.payload_len = strlen(payload),
		.event_seq = c->event_seq,
		.thing = c->thing,
		.next_attempt_ms = now_ms,
		.created_ms = now_ms,
		.expires_ms = now_ms + max_age_ms,
	};
	int rc = ck_store_outbox_put(s, &e, NULL);
	cJSON_free(action_text);
	return rc == -EEXIST ? 0 : rc;
}

static bool kind_feedback(const cJSON *kind)
{
	const cJSON *fb = cJSON_GetObjectItemCaseSensitive(kind, "feedback");
	return !cJSON_IsFalse(fb);
}

/* The button's feedback for the call's new status, through the outbox. */
static int feedback(struct ck_store *s, const cJSON *kind, const struct ck_call_row *c,
                    enum ck_call_status st, const char *by, int64_t change_seq, int64_t now_ms)
{
	if (!kind_feedback(kind))
		return 0;
	char topic[TOPIC_MAX], key[96];
	snprintf(topic, sizeof(topic), "iotbutton/%s/feedback", c->thing);
	snprintf(key, sizeof(key), "call/%lld/%lld/feedback", (long long)c->id,
	         (long long)change_seq);
	char *payload = ck_calls_feedback(st, (long long)c->id, c->presses, by);
	cJSON *action = cJSON_CreateObject();
	int rc = -ENOMEM;
	if (payload && action) {
		cJSON_AddStringToObject(action, "type", "republish");
		cJSON_AddStringToObject(action, "topic", topic);
		cJSON_AddNumberToObject(action, "qos", 1);
		rc = enqueue(s, c, key, action, topic, payload, now_ms, FEEDBACK_MAX_AGE);
	}
	cJSON_Delete(action);
	cJSON_free(payload);
	return rc;
}

/* Arms the escalation timer of stage when the kind defines one. */
static int arm(struct ck_store *s, const cJSON *kind, int64_t id, const char *stage, int64_t now_ms)
{
	struct ck_call_escalation e;
	ck_calls_escalation(kind, stage, &e);
	if (!e.set)
		return 0;
	return ck_store_escalation_set(s, id, stage, now_ms + e.after_s * 1000);
}

int ck_dispatch_press(struct ck_store *s, const cJSON *kind, const struct ck_dispatch_press *p,
                      int64_t *call_id, bool *created)
{
	struct ck_call_click click;
	struct ck_call_row c;
	const char *place = p->location && p->location[0] ? p->location : p->thing;
	int64_t seq = 0;
	*call_id = 0;
	*created = false;

	ck_calls_click(kind, p->click_type, &click);
	if (click.action == CK_CLICK_NOTHING)
		return 0;
	int rc = ck_store_call_find_open(s, p->kind, place, &c);
	if (rc != 0 && rc != -ENOENT)
		return rc;
	bool open = rc == 0;

	if (click.action == CK_CLICK_CANCEL) {
		if (!open)
			return 0;
		struct ck_call_update u = {
			.id = c.id,
			.from = c.status,
			.to = "cancelled",
			.actor = p->thing,
			.reason = "cancelled at the button",
			.now_ms = p->now_ms,
		};
		if ((rc = ck_store_call_update(s, &u)) != 0 ||
		    (rc = ck_store_escalation_clear(s, c.id, NULL)) != 0 ||
		    (rc = ck_store_call_change(s, c.id, "cancelled", p->now_ms, &seq)) != 0)
			return rc;
		*call_id = c.id;
		return feedback(s, kind, &c, CK_CALL_CANCELLED, NULL, seq, p->now_ms);
	}

	if (open) {
		int raise =
		    ck_calls_priority_rank(click.priority) > ck_calls_priority_rank(c.priority);
		if ((rc = ck_store_call_join(s, c.id, p->now_ms, click.priority, raise)) != 0 ||
		    (rc = ck_store_call_change(s, c.id, "joined", p->now_ms, &seq)) != 0)
			return rc;
		c.presses++;
		*call_id = c.id;
		enum ck_call_status st = CK_CALL_RAISED;
		ck_calls_status_parse(c.status, &st);
		return feedback(s, kind, &c, st, c.claimed_by[0] ? c.claimed_by : NULL, seq,
		                p->now_ms);
	}

	struct ck_call_new n = {
		.kind = p->kind,
		.thing = p->thing,
		.click_type = p->click_type,
		.location = p->location,
		.rule = p->rule,
		.place = place,
		.priority = click.priority,
		.category = click.category,
		.event_seq = p->event_seq,
		.pressed_ms = p->pressed_ms,
		.now_ms = p->now_ms,
	};
	int64_t id = 0;
	if ((rc = ck_store_call_insert(s, &n, &id)) != 0 ||
	    (rc = arm(s, kind, id, "unclaimed", p->now_ms)) != 0 ||
	    (rc = ck_store_call_change(s, id, "created", p->now_ms, &seq)) != 0)
		return rc;
	*call_id = id;
	*created = true;
	memset(&c, 0, sizeof(c));
	c.id = id;
	c.event_seq = p->event_seq;
	c.presses = 1;
	snprintf(c.thing, sizeof(c.thing), "%s", p->thing);
	ck_info("calls", "call %lld (%s, %s) raised at %s", (long long)id, p->kind, click.priority,
	        place);
	return feedback(s, kind, &c, CK_CALL_RAISED, NULL, seq, p->now_ms);
}

/* The timers after a transition to st. */
static int retime(struct ck_store *s, const cJSON *kind, int64_t id, enum ck_call_status st,
                  int64_t now_ms)
{
	int rc = ck_store_escalation_clear(s, id, NULL);
	if (rc != 0 || !kind)
		return rc;
	if (st == CK_CALL_RAISED)
		return arm(s, kind, id, "unclaimed", now_ms);
	if (st == CK_CALL_CLAIMED)
		return arm(s, kind, id, "unresolved", now_ms);
	if (st == CK_CALL_ARRIVED) /* the unresolved clock keeps running from the claim */
		return 0;
	return 0;
}

static int apply_op(struct ck_store *s, int64_t id, enum ck_call_op op,
                    const struct ck_dispatch_actor *a, int64_t now_ms, char *why, size_t why_len)
{
	struct ck_call_row c;
	enum ck_call_status from, to;
	int rc = ck_store_call_read(s, id, &c);
	if (rc == -ENOENT)
		snprintf(why, why_len, "no call %lld", (long long)id);
	if (rc != 0)
		return rc;
	if (ck_calls_status_parse(c.status, &from) != 0 ||
	    ck_calls_transition(from, op, &to) != 0) {
		if (op == CK_CALL_CLAIM && c.claimed_by[0])
			snprintf(why, why_len, "call %lld is %s by %s", (long long)id, c.status,
			         c.claimed_by);
		else
			snprintf(why, why_len, "call %lld is %s; it cannot be %s", (long long)id,
			         c.status, ck_calls_op_change(op));
		return -EPERM;
	}
	if (!a->privileged) {
		bool own = c.claimed_by[0] && strcmp(c.claimed_by, a->user) == 0;
		if (op == CK_CALL_CANCEL || (op != CK_CALL_CLAIM && !own)) {
			snprintf(why, why_len, "call %lld is %s", (long long)id,
			         op == CK_CALL_CANCEL ? "cancelled by supervisors only"
			                              : "not yours");
			return -EACCES;
		}
	}
	const char *to_name = ck_calls_status_name(to);
	struct ck_call_update u = {
		.id = id,
		.from = c.status,
		.to = to_name,
		.actor = op == CK_CALL_RELEASE ? NULL : a->user,
		.reason = a->reason,
		.note = a->note,
		.now_ms = now_ms,
	};
	rc = ck_store_call_update(s, &u);
	if (rc == -EAGAIN) {
		snprintf(why, why_len, "call %lld changed meanwhile; reload it", (long long)id);
		return -EPERM;
	}
	if (rc != 0)
		return rc;
	cJSON *kind = NULL;
	if (c.is_call && ck_store_kind_get(s, c.kind, &kind) != 0)
		kind = NULL;
	int64_t seq = 0;
	rc = retime(s, kind, id, to, now_ms);
	if (rc == 0)
		rc = ck_store_call_change(s, id, ck_calls_op_change(op), now_ms, &seq);
	if (rc == 0 && kind)
		rc = feedback(s, kind, &c, to, op == CK_CALL_CLAIM ? a->user : NULL, seq, now_ms);
	cJSON_Delete(kind);
	return rc;
}

int ck_dispatch_op(struct ck_store *s, int64_t id, enum ck_call_op op,
                   const struct ck_dispatch_actor *a, int64_t now_ms, char *why, size_t why_len)
{
	int rc = ck_store_begin(s);
	if (rc != 0)
		return rc;
	rc = apply_op(s, id, op, a, now_ms, why, why_len);
	if (rc == 0)
		rc = ck_store_commit(s);
	if (rc != 0)
		ck_store_rollback(s);
	return rc;
}

/* The notice an escalation sends: the call as the API shows it, plus why. */
static char *notice(struct ck_store *s, int64_t id, const char *stage, int fired)
{
	cJSON *call = NULL;
	if (ck_store_call_get_json(s, id, &call) != 0)
		return NULL;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "escalation", stage);
	cJSON_AddNumberToObject(o, "reminder", fired);
	cJSON_AddItemToObject(o, "call", call);
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

/* Publishes an escalation notice to the channel named by the notify action. */
static int channel_notice(struct ck_store *s, const struct ck_call_row *c, const cJSON *notify,
                          const char *key, const char *stage, const char *payload, int64_t now_ms)
{
	const cJSON *channel = cJSON_GetObjectItemCaseSensitive(notify, "channel");
	const cJSON *subject = cJSON_GetObjectItemCaseSensitive(notify, "subject");
	char subj[200];
	snprintf(subj, sizeof(subj), "Call %lld (%s) %s", (long long)c->id, c->kind,
	         strcmp(stage, "unclaimed") == 0 ? "not claimed" : "not resolved");
	struct ck_channels_origin o = {
		.key = key,
		.rule = CK_DISPATCH_RULE,
		.event_seq = c->event_seq,
		.thing = c->thing,
		.source = "calls",
	};
	struct ck_channels_result res;
	int rc = ck_channels_notify(s, cJSON_IsString(channel) ? channel->valuestring : "",
	                            cJSON_IsString(subject) ? subject->valuestring : subj, payload,
	                            NULL, &o, now_ms, &res);
	if (rc == -ENOENT || rc == -EINVAL) { /* a deleted channel must not stop the timers */
		ck_warn("calls", "escalation of call %lld: %s", (long long)c->id, res.error);
		return 0;
	}
	return rc;
}

static int fire(struct ck_store *s, const struct ck_escalation_row *r, int64_t now_ms)
{
	struct ck_call_row c;
	cJSON *kind = NULL;
	struct ck_call_escalation e = { 0 };
	int rc = ck_store_call_read(s, r->id, &c);
	if (rc == 0)
		rc = ck_store_kind_get(s, c.kind, &kind);
	if (rc == -ENOENT) /* call or kind gone: nothing to escalate */
		return ck_store_escalation_clear(s, r->id, r->stage);
	if (rc != 0)
		return rc;
	ck_calls_escalation(kind, r->stage, &e);
	bool holds = strcmp(r->stage, "unclaimed") == 0
	                 ? strcmp(c.status, "raised") == 0
	                 : strcmp(c.status, "claimed") == 0 || strcmp(c.status, "arrived") == 0;
	if (!e.set || !holds) {
		rc = ck_store_escalation_clear(s, r->id, r->stage);
		goto out;
	}
	char key[96], *payload = notice(s, r->id, r->stage, r->fired + 1);
	if (!payload) {
		rc = -ENOMEM;
		goto out;
	}
	snprintf(key, sizeof(key), "call/%lld/%s/%d", (long long)r->id, r->stage, r->fired + 1);
	const char *type = ck_action_type(e.notify);
	if (strcmp(type, "notify") == 0) { /* a channel: email, SMS, webhooks */
		rc = channel_notice(s, &c, e.notify, key, r->stage, payload, now_ms);
		cJSON_free(payload);
		payload = NULL;
		goto fired;
	}
	const cJSON *dest = cJSON_GetObjectItemCaseSensitive(
	    e.notify, strcmp(type, "webhook") == 0 ? "url" : "topic");
	rc = enqueue(s, &c, key, e.notify, cJSON_IsString(dest) ? dest->valuestring : "", payload,
	             now_ms, ESCALATE_MAX_AGE);
	cJSON_free(payload);
fired:;
	/* A timer that fell due long ago (clickd was down) fires once, then
	 * follows its interval from now. */
	int64_t next = e.repeat_s ? now_ms + e.repeat_s * 1000 : 0;
	int64_t seq = 0;
	if (rc == 0)
		rc = ck_store_escalation_fired(s, r->id, r->stage, next);
	if (rc == 0)
		rc = ck_store_call_escalated(s, r->id, now_ms);
	if (rc == 0)
		rc = ck_store_call_change(s, r->id, "escalated", now_ms, &seq);
	if (rc == 0)
		ck_warn("calls", "call %lld (%s) escalated: %s (reminder %d)", (long long)r->id,
		        c.kind, r->stage, r->fired + 1);
out:
	cJSON_Delete(kind);
	return rc;
}

int ck_dispatch_escalate(struct ck_store *s, int64_t now_ms)
{
	struct ck_escalation_row rows[ESCALATE_BATCH];
	int rc = ck_store_begin(s);
	if (rc != 0)
		return rc;
	int n = ck_store_escalation_due(s, now_ms, rows, ESCALATE_BATCH);
	rc = n < 0 ? n : 0;
	for (int i = 0; rc == 0 && i < n; i++)
		rc = fire(s, &rows[i], now_ms);
	if (rc == 0)
		rc = ck_store_commit(s);
	if (rc != 0) {
		ck_store_rollback(s);
		return rc;
	}
	return n;
}
