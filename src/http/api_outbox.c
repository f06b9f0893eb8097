/*
 * API handlers for the outbox and its dead-letter list (docs/api.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "engine/actions.h"
#include "http/api_int.h"
#include "store/store_outbox.h"

static int outbox_list(const struct ck_api_env *env, const struct ck_api_request *req,
                       const char *const *param, cJSON **out)
{
	(void)param;
	const char *status = req->query(req, "status");
	if (status && strcmp(status, "pending") && strcmp(status, "done") && strcmp(status, "dead"))
		return ck_api_fail(out, 400, "bad_request", "status must be pending, done or dead");
	return ck_api_list(env, req, ck_store_outbox_list, out);
}

static int dead_list(const struct ck_api_env *env, const struct ck_api_request *req,
                     const char *const *param, cJSON **out)
{
	(void)param;
	return ck_api_list_status(env, req, ck_store_outbox_list, "dead", out);
}

static int parse_id(const char *text, int64_t *id)
{
	char *end = NULL;
	long long v = strtoll(text, &end, 10);
	if (!*text || *end || v <= 0)
		return -EINVAL;
	*id = v;
	return 0;
}

static int outbox_get(const struct ck_api_env *env, const struct ck_api_request *req,
                      const char *const *param, cJSON **out)
{
	(void)req;
	int64_t id;
	if (parse_id(param[0], &id) != 0)
		return ck_api_fail(out, 404, "not_found", "no such outbox entry");
	int rc = ck_store_outbox_get_json(env->store, id, out);
	if (rc == -ENOENT)
		return ck_api_fail(out, 404, "not_found", "no such outbox entry");
	return rc == 0 ? 200 : ck_api_store_fail(out, rc);
}

static int outbox_retry(const struct ck_api_env *env, const struct ck_api_request *req,
                        const char *const *param, cJSON **out)
{
	(void)req;
	int64_t id;
	if (parse_id(param[0], &id) != 0)
		return ck_api_fail(out, 404, "not_found", "no such dead letter");
	int64_t now = ck_api_now_ms();
	int rc = ck_store_outbox_requeue(env->store, id, now,
	                                 now + (int64_t)CK_ACTION_MAX_AGE_DEFAULT_S * 1000);
	if (rc == -ENOENT)
		return ck_api_fail(
		    out, 404, "not_found",
		    "no dead letter with that id (only dead entries can be retried)");
	if (rc != 0)
		return ck_api_store_fail(out, rc);
	ck_info("api", "outbox entry %lld requeued", (long long)id);
	if (env->outbox_changed)
		env->outbox_changed(env->arg);
	rc = ck_store_outbox_get_json(env->store, id, out);
	return rc == 0 ? 200 : ck_api_store_fail(out, rc);
}

const struct ck_api_route ck_api_routes_outbox[] = {
	{ "GET", "/outbox", outbox_list },
	{ "GET", "/outbox/{}", outbox_get },
	{ "GET", "/deadletters", dead_list },
	{ "POST", "/deadletters/{}/retry", outbox_retry },
	{ NULL, NULL, NULL },
};
