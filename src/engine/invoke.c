/*
 * Asynchronous function invocation (see invoke.h): one attempt, then its
 * outcome in one transaction.
 */
#include "engine/invoke.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "engine/actions.h"
#include "engine/outbox.h"
#include "functions/function.h"
#include "store/store_outbox.h"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

cJSON *ck_invoke_failure_record(const char *function, const char *request_id, const char *condition,
                                int invoke_count, const uint8_t *event, size_t event_len,
                                const char *error, int64_t now)
{
	cJSON *r = cJSON_CreateObject();
	char stamp[32], arn[CK_NAME_MAX + 32];
	time_t secs = (time_t)(now / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	size_t n = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(stamp + n, sizeof(stamp) - n, ".%03dZ", (int)(now % 1000));
	snprintf(arn, sizeof(arn), "clickd:function:%s", function);
	cJSON_AddStringToObject(r, "version", "1.0");
	cJSON_AddStringToObject(r, "timestamp", stamp);
	cJSON *rc = cJSON_AddObjectToObject(r, "requestContext");
	cJSON_AddStringToObject(rc, "requestId", request_id);
	cJSON_AddStringToObject(rc, "functionArn", arn);
	cJSON_AddStringToObject(rc, "condition", condition);
	cJSON_AddNumberToObject(rc, "approximateInvokeCount", invoke_count);
	cJSON *payload = cJSON_ParseWithLength((const char *)event, event_len);
	if (!payload) {
		char *text = strndup((const char *)event, event_len);
		payload = cJSON_CreateString(text ? text : "");
		free(text);
	}
	cJSON_AddItemToObject(r, "requestPayload", payload);
	cJSON *resp = cJSON_AddObjectToObject(r, "responseContext");
	cJSON_AddNumberToObject(resp, "statusCode", 200);
	cJSON_AddStringToObject(resp, "executedVersion", "$LATEST");
	cJSON_AddStringToObject(resp, "functionError", "Unhandled");
	cJSON *rp = cJSON_AddObjectToObject(r, "responsePayload");
	cJSON_AddStringToObject(rp, "errorMessage", error ? error : "");
	cJSON_AddStringToObject(rp, "errorType", condition);
	return r;
}

/* The rule's error action, for entries that die (NULL: none). */
static const cJSON *rule_error_action(struct ck_store *s, const char *rule, cJSON **doc)
{
	*doc = NULL;
	if (ck_store_rule_get_json(s, rule, doc) != 0)
		return NULL;
	return cJSON_GetObjectItemCaseSensitive(*doc, "errorAction");
}

/* Marks the entry dead and settles the rule's error action. In a transaction. */
static int die(struct ck_store *s, const struct ck_invoke_job *j, int attempts, const char *why,
               int64_t now)
{
	int rc = ck_store_outbox_dead(s, j->id, attempts, now, why);
	ck_warn("functions", "function %s, %s: %s", j->function, j->key, why);
	if (rc != 0 || strncmp(j->rule, "function:", 9) == 0)
		return rc;
	cJSON *doc = NULL;
	const cJSON *error_action = rule_error_action(s, j->rule, &doc);
	struct ck_outbox_origin origin = {
		.event_seq = j->event_seq,
		.rule = j->rule,
		.thing = j->thing,
		.topic = j->topic,
		.client_id = j->client_id,
		.payload = j->original,
		.payload_len = j->original_len,
	};
	rc = ck_outbox_settle(s, &origin, error_action, now);
	cJSON_Delete(doc);
	return rc;
}

/* Hands the failure record to onFailure; the entry is done when it took it. */
static int on_failure(struct ck_store *s, const struct ck_invoke_job *j, const cJSON *action,
                      const char *condition, int attempts, const char *error, int64_t now)
{
	cJSON *record = ck_invoke_failure_record(j->function, j->key, condition, attempts, j->event,
	                                         j->event_len, error, now);
	char *text = record ? cJSON_PrintUnformatted(record) : NULL;
	cJSON_Delete(record);
	if (!text)
		return -ENOMEM;
	/* Its own rule name makes its outbox key "<seq>/function:F/<request>/error",
	 * unique per invocation, and keeps it apart from the rule's error action. */
	size_t rule_len = strlen(j->function) + strlen(j->key) + 16;
	char *rule = malloc(rule_len);
	if (!rule) {
		cJSON_free(text);
		return -ENOMEM;
	}
	snprintf(rule, rule_len, "function:%s/%s", j->function, j->key);
	struct ck_sql_message msg = {
		.topic = j->topic ? j->topic : "",
		.payload = (const uint8_t *)text,
		.payload_len = strlen(text),
		.client_id = j->client_id,
		.timestamp_ms = now,
		.principal = j->thing,
	};
	struct ck_action_ctx ctx = {
		.rule = rule,
		.thing = j->thing ? j->thing : "",
		.event_seq = j->event_seq,
		.pressed_ms = now,
		.now_ms = now,
		.msg = &msg,
		.output = (const uint8_t *)text,
		.output_len = strlen(text),
		.action_index = CK_ACTION_ERROR_INDEX,
	};
	struct ck_action_result res = { 0 };
	int rc = ck_action_run(s, action, &ctx, &res);
	if (rc == -EINVAL) {
		char why[400];
		snprintf(why, sizeof(why), "%s (%s); the onFailure action failed too: %s",
		         condition, error, res.error);
		rc = die(s, j, attempts, why, now);
	} else if (rc == 0) {
		rc = ck_store_outbox_done(s, j->id, now);
		ck_info("functions", "function %s, %s: %s; sent to onFailure (%s)", j->function,
		        j->key, condition, ck_action_type(action));
	}
	free(rule);
	cJSON_free(text);
	return rc;
}

void ck_invoke_run(struct ck_store *s, const struct ck_invoke_job *j, int64_t retry_base_ms)
{
	struct ck_function *f = NULL;
	char err[512] = "";
	int64_t now = now_ms();
	int attempt = j->attempts + 1;
	int rc = ck_function_load(s, j->function, &f, err, sizeof(err));
	const char *condition = NULL;
	struct ck_function_outcome out = { 0 };
	bool retry = false;
	int64_t next = 0;

	if (rc == -ENOENT)
		snprintf(err, sizeof(err), "no function named %s", j->function);
	else if (rc != 0 && !err[0])
		snprintf(err, sizeof(err), "cannot load function %s (%d)", j->function, rc);
	if (rc == 0 && now - j->created_ms > f->max_event_age_ms) {
		condition = "EventAgeExceeded";
		snprintf(err, sizeof(err), "the event is older than %lld s",
		         (long long)(f->max_event_age_ms / 1000));
	} else if (rc == 0) {
		char trigger[CK_NAME_MAX + 16];
		bool api = strncmp(j->rule, "function:", 9) == 0;
		snprintf(trigger, sizeof(trigger), api ? "api" : "rule %s", j->rule);
		struct ck_function_invocation inv = {
			.request_id = j->key,
			.trigger = trigger,
			.attempt = attempt,
			.rule = api ? NULL : j->rule,
			.event_seq = j->event_seq,
			.thing = j->thing,
			.event = (const char *)j->event,
			.event_len = j->event_len,
			.now_ms = now,
		};
		int irc = ck_function_invoke(s, f, &inv, &out);
		if (irc != 0) { /* the run could not be recorded: leave the entry pending */
			ck_error("functions", "function %s, %s: cannot record the run (%d)",
			         j->function, j->key, irc);
			goto out;
		}
		if (strcmp(out.status, "ok") != 0) {
			snprintf(err, sizeof(err), "%s: %s", out.status, out.error);
			next = now + retry_base_ms * attempt;
			retry = attempt <= f->max_retries && next < j->expires_ms &&
			        next - j->created_ms <= f->max_event_age_ms;
			condition = "RetriesExhausted";
		}
	}

	if ((rc = ck_store_begin(s)) != 0)
		goto fail;
	if (f && strcmp(out.status, "ok") == 0)
		rc = ck_store_outbox_done(s, j->id, now_ms());
	else if (retry) {
		rc = ck_store_outbox_retry(s, j->id, attempt, next, err);
		ck_info("functions", "function %s, %s attempt %d failed (%s); retry in %lld s",
		        j->function, j->key, attempt, err, (long long)((next - now) / 1000));
	} else if (f && f->on_failure && condition)
		rc = on_failure(s, j, f->on_failure, condition, attempt, err, now_ms());
	else
		rc = die(s, j, attempt, err, now_ms());
	if (rc == 0)
		rc = ck_store_commit(s);
	if (rc == 0)
		goto out;
fail:
	ck_store_rollback(s);
	ck_error("functions", "cannot record the outcome of %s (%d); it will run again", j->key,
	         rc);
out:
	ck_function_outcome_cleanup(&out);
	ck_function_free(f);
}
