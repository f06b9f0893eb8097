/*
 * The queues area of the API (docs/api.md "Queues"): create, list, show
 * and delete queues; send, receive (with long polling), delete and change
 * the visibility of messages; purge. A receive that finds nothing and may
 * wait returns CK_API_SUSPEND, and the server runs it again when a commit
 * may have made a message receivable, when the next delayed or in-flight
 * message becomes visible, or at its deadline.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "http/api_int.h"
#include "store/store_queues.h"

/*
 * Receives parked per queue, shown as "waitingReceives". Handlers run on
 * the HTTP server's one thread, so no lock; queues beyond WAITING_SLOTS
 * with waiters at the same time are not counted.
 */
#define WAITING_SLOTS 64
static struct {
	char queue[CK_QUEUE_NAME_MAX + 1];
	int n;
} waiting[WAITING_SLOTS];

static void waiting_add(const char *queue, int delta)
{
	int free_slot = -1;
	for (int i = 0; i < WAITING_SLOTS; i++) {
		if (waiting[i].n > 0 && strcmp(waiting[i].queue, queue) == 0) {
			waiting[i].n += delta;
			return;
		}
		if (waiting[i].n <= 0 && free_slot < 0)
			free_slot = i;
	}
	if (delta > 0 && free_slot >= 0) {
		snprintf(waiting[free_slot].queue, sizeof(waiting[free_slot].queue), "%s", queue);
		waiting[free_slot].n = delta;
	}
}

static int waiting_count(const char *queue)
{
	for (int i = 0; i < WAITING_SLOTS; i++)
		if (waiting[i].n > 0 && strcmp(waiting[i].queue, queue) == 0)
			return waiting[i].n;
	return 0;
}

/* Reads an optional integer member in [lo, hi]; 0 or 400 with *out set. */
static int int_member(const cJSON *o, const char *key, int lo, int hi, int *v, cJSON **out)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!m || cJSON_IsNull(m))
		return 0;
	if (!cJSON_IsNumber(m) || m->valuedouble != floor(m->valuedouble) || m->valuedouble < lo ||
	    m->valuedouble > hi) {
		char msg[160];
		snprintf(msg, sizeof(msg), "\"%s\" must be an integer from %d to %d", key, lo, hi);
		return ck_api_fail(out, 400, "bad_request", msg);
	}
	*v = (int)m->valuedouble;
	return 0;
}

static int queue_fail(cJSON **out, int rc, const char *why)
{
	switch (rc) {
	case -ENOENT:
		return ck_api_fail(out, 404, "not_found", "no such queue");
	case -EEXIST:
		return ck_api_fail(out, 409, "conflict", "a queue with that name exists");
	case -EINVAL:
		return ck_api_fail(out, 400, "bad_request",
		                   why && why[0] ? why : "invalid request");
	case -EBUSY:
		return ck_api_fail(out, 409, "conflict", why);
	case -ESTALE:
		return ck_api_fail(out, 404, "invalid_receipt_handle",
		                   "no message has this receipt handle: it was deleted, or "
		                   "received again since (use the newest handle)");
	case -ETIME:
		return ck_api_fail(out, 409, "message_not_inflight",
		                   "the message is not in flight: its visibility timeout has "
		                   "expired");
	default:
		return ck_api_store_fail(out, rc);
	}
}

static int queue_create(const struct ck_api_env *env, const struct ck_api_request *req,
                        const char *const *param, cJSON **out)
{
	(void)param;
	struct ck_queue_attrs a;
	cJSON *body = NULL;
	char why[256] = "";
	int status = ck_api_parse_body(req, &body, out);
	if (status)
		return status;
	ck_queue_attrs_default(&a);
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(body, "name");
	const cJSON *redrive = cJSON_GetObjectItemCaseSensitive(body, "redrivePolicy");
	if (!cJSON_IsString(name) || !ck_queue_name_valid(name->valuestring)) {
		status = ck_api_fail(out, 400, "invalid_name",
		                     "\"name\" must be 1 to 80 letters, digits, '_' or '-'");
		goto out;
	}
	snprintf(a.name, sizeof(a.name), "%s", name->valuestring);
	status = int_member(body, "visibilityTimeout", 0, CK_QUEUE_VISIBILITY_MAX_S,
	                    &a.visibility_timeout_s, out);
	if (!status)
		status = int_member(body, "messageRetentionPeriod", CK_QUEUE_RETENTION_MIN_S,
		                    CK_QUEUE_RETENTION_MAX_S, &a.retention_s, out);
	if (!status)
		status = int_member(body, "delaySeconds", 0, CK_QUEUE_DELAY_MAX_S, &a.delay_s, out);
	if (!status)
		status = int_member(body, "receiveMessageWaitTimeSeconds", 0, CK_QUEUE_WAIT_MAX_S,
		                    &a.receive_wait_s, out);
	if (status)
		goto out;
	if (redrive && !cJSON_IsNull(redrive)) {
		const cJSON *dlq = cJSON_GetObjectItemCaseSensitive(redrive, "deadLetterQueue");
		if (!cJSON_IsObject(redrive) || !cJSON_IsString(dlq) ||
		    !ck_queue_name_valid(dlq->valuestring)) {
			status =
			    ck_api_fail(out, 400, "bad_request",
			                "\"redrivePolicy\" must be {\"deadLetterQueue\": NAME, "
			                "\"maxReceiveCount\": 1..1000}");
			goto out;
		}
		snprintf(a.dead_letter_queue, sizeof(a.dead_letter_queue), "%s", dlq->valuestring);
		a.max_receive_count = -1;
		status = int_member(redrive, "maxReceiveCount", 1, CK_QUEUE_MAX_RECEIVE_COUNT,
		                    &a.max_receive_count, out);
		if (status)
			goto out;
	}
	a.created_ms = ck_api_now_ms();
	int rc = ck_store_queue_create(env->store, &a, why, sizeof(why));
	if (rc != 0) {
		status = queue_fail(out, rc, why);
		goto out;
	}
	rc = ck_store_queue_json(env->store, a.name, a.created_ms, out);
	status = rc == 0 ? 201 : queue_fail(out, rc, NULL);
out:
	cJSON_Delete(body);
	return status;
}

static int queue_list(const struct ck_api_env *env, const struct ck_api_request *req,
                      const char *const *param, cJSON **out)
{
	(void)param;
	return ck_api_list(env, req, ck_store_queue_list, out);
}

static int queue_show(const struct ck_api_env *env, const struct ck_api_request *req,
                      const char *const *param, cJSON **out)
{
	(void)req;
	int rc = ck_store_queue_json(env->store, param[0], ck_api_now_ms(), out);
	if (rc != 0)
		return queue_fail(out, rc, NULL);
	cJSON_AddNumberToObject(*out, "waitingReceives", waiting_count(param[0]));
	return 200;
}

static int queue_delete(const struct ck_api_env *env, const struct ck_api_request *req,
                        const char *const *param, cJSON **out)
{
	(void)req;
	char why[256] = "";
	int rc = ck_store_queue_delete(env->store, param[0], why, sizeof(why));
	if (rc != 0)
		return queue_fail(out, rc, why);
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "deleted", param[0]);
	return 200;
}

static int queue_purge(const struct ck_api_env *env, const struct ck_api_request *req,
                       const char *const *param, cJSON **out)
{
	(void)req;
	int64_t n = 0;
	int rc = ck_store_queue_purge(env->store, param[0], &n);
	if (rc != 0)
		return queue_fail(out, rc, NULL);
	*out = cJSON_CreateObject();
	cJSON_AddNumberToObject(*out, "purged", (double)n);
	return 200;
}

static int message_send(const struct ck_api_env *env, const struct ck_api_request *req,
                        const char *const *param, cJSON **out)
{
	cJSON *body = NULL;
	char id[CK_QUEUE_ID_LEN + 1];
	int delay = -1;
	int status = ck_api_parse_body(req, &body, out);
	if (status)
		return status;
	const cJSON *text = cJSON_GetObjectItemCaseSensitive(body, "body");
	if (!cJSON_IsString(text) || !text->valuestring[0]) {
		status =
		    ck_api_fail(out, 400, "bad_request", "\"body\" must be a non-empty string");
		goto out;
	}
	size_t len = strlen(text->valuestring);
	if (len > CK_QUEUE_BODY_MAX) {
		status = ck_api_fail(out, 413, "too_large", "a message body is at most 256 KiB");
		goto out;
	}
	status = int_member(body, "delaySeconds", 0, CK_QUEUE_DELAY_MAX_S, &delay, out);
	if (status)
		goto out;
	int rc = ck_store_queue_send(env->store, param[0], text->valuestring, len, delay,
	                             ck_api_now_ms(), id);
	if (rc != 0) {
		status = queue_fail(out, rc,
		                    "the body must be UTF-8 text of 1 byte to 256 KiB without NUL");
		goto out;
	}
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "messageId", id);
	status = 201;
out:
	cJSON_Delete(body);
	return status;
}

static int add_message(const struct ck_queue_message *m, void *ctx)
{
	cJSON *arr = ctx;
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return -ENOMEM;
	cJSON_AddStringToObject(o, "messageId", m->message_id);
	cJSON_AddStringToObject(o, "receiptHandle", m->receipt);
	cJSON_AddStringToObject(o, "body", m->body);
	cJSON_AddNumberToObject(o, "approximateReceiveCount", m->receive_count);
	cJSON_AddNumberToObject(o, "sentTimestamp", (double)m->sent_ms);
	cJSON_AddNumberToObject(o, "approximateFirstReceiveTimestamp", (double)m->first_receive_ms);
	if (m->dead_letter_source)
		cJSON_AddStringToObject(o, "deadLetterSource", m->dead_letter_source);
	cJSON_AddItemToArray(arr, o);
	return 0;
}

static int message_receive(const struct ck_api_env *env, const struct ck_api_request *req,
                           const char *const *param, cJSON **out)
{
	struct ck_queue_attrs a;
	cJSON *body = NULL, *doc = NULL;
	int max = 1, visibility = -1, wait = -1;
	int status = 0;
	bool was_parked = req->wait && req->wait->until_ms != 0;
	if (req->body_len > 0)
		status = ck_api_parse_body(req, &body, out);
	if (status)
		return status;
	status = int_member(body, "maxNumberOfMessages", 1, CK_QUEUE_RECEIVE_MAX, &max, out);
	if (!status)
		status = int_member(body, "visibilityTimeout", 0, CK_QUEUE_VISIBILITY_MAX_S,
		                    &visibility, out);
	if (!status)
		status = int_member(body, "waitTimeSeconds", 0, CK_QUEUE_WAIT_MAX_S, &wait, out);
	if (status)
		goto out;
	int rc = ck_store_queue_get(env->store, param[0], &a);
	if (rc != 0) {
		status = queue_fail(out, rc, NULL);
		goto out;
	}
	if (wait < 0)
		wait = a.receive_wait_s;
	doc = cJSON_CreateObject();
	cJSON *messages = cJSON_AddArrayToObject(doc, "messages");
	int64_t now = ck_api_now_ms(), next_visible = 0;
	rc = ck_store_queue_receive(env->store, param[0], max, visibility, now, add_message,
	                            messages, &next_visible);
	if (rc < 0) {
		status = queue_fail(out, rc, NULL);
		goto out;
	}
	if (rc == 0 && wait > 0 && req->wait) {
		if (req->wait->until_ms == 0)
			req->wait->until_ms = now + 1000 * (int64_t)wait;
		if (now < req->wait->until_ms) {
			req->wait->wake_ms = req->wait->until_ms;
			if (next_visible > now && next_visible < req->wait->wake_ms)
				req->wait->wake_ms = next_visible;
			status = CK_API_SUSPEND;
			goto out;
		}
	}
	*out = doc;
	doc = NULL;
	status = 200;
out:
	if (was_parked != (status == CK_API_SUSPEND))
		waiting_add(param[0], was_parked ? -1 : 1);
	cJSON_Delete(doc);
	cJSON_Delete(body);
	return status;
}

static int message_delete(const struct ck_api_env *env, const struct ck_api_request *req,
                          const char *const *param, cJSON **out)
{
	(void)req;
	int rc = ck_store_queue_delete_message(env->store, param[0], param[1]);
	if (rc != 0)
		return queue_fail(out, rc, NULL);
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "deleted", param[1]);
	return 200;
}

static int message_visibility(const struct ck_api_env *env, const struct ck_api_request *req,
                              const char *const *param, cJSON **out)
{
	cJSON *body = NULL;
	int timeout = -1;
	int status = ck_api_parse_body(req, &body, out);
	if (status)
		return status;
	status = int_member(body, "visibilityTimeout", 0, CK_QUEUE_VISIBILITY_MAX_S, &timeout, out);
	if (!status && timeout < 0)
		status = ck_api_fail(out, 400, "bad_request",
		                     "\"visibilityTimeout\" (0 to 43200 seconds) is required");
	if (status)
		goto out;
	int64_t now = ck_api_now_ms();
	int rc = ck_store_queue_change_visibility(env->store, param[0], param[1], timeout, now);
	if (rc != 0) {
		status = queue_fail(out, rc,
		                    "a message stays invisible at most 12 hours after its receive");
		goto out;
	}
	*out = cJSON_CreateObject();
	cJSON_AddNumberToObject(*out, "visibleAt", (double)(now + 1000 * (int64_t)timeout));
	status = 200;
out:
	cJSON_Delete(body);
	return status;
}

const struct ck_api_route ck_api_routes_queues[] = {
	{ "POST", "/queues", queue_create },
	{ "GET", "/queues", queue_list },
	{ "GET", "/queues/{}", queue_show },
	{ "DELETE", "/queues/{}", queue_delete },
	{ "POST", "/queues/{}/purge", queue_purge },
	{ "POST", "/queues/{}/messages", message_send },
	{ "POST", "/queues/{}/receive", message_receive },
	{ "DELETE", "/queues/{}/messages/{}", message_delete },
	{ "POST", "/queues/{}/messages/{}/visibility", message_visibility },
	{ NULL, NULL, NULL },
};
