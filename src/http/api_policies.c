/*
 * API handlers for IoT policies (docs/api.md "Policies"): create, list,
 * show and delete policies, manage their versions (at most five, one the
 * default) and attach them to certificates. Every document is compiled with
 * the engine the broker plugin uses before anything is stored, so the store
 * never holds a document the plugin would refuse; after every change the
 * registry snapshot is rewritten, which the plugin reloads within a second.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "http/api_int.h"
#include "policy/policy.h"
#include "registry/snapshot.h"
#include "store/store_policies.h"

static int bad_name(cJSON **out)
{
	return ck_api_fail(out, 400, "invalid_name",
	                   "policy name must be 1 to 128 letters, digits or + = , . @ _ -");
}

static bool fingerprint_valid(const char *fp)
{
	if (!fp || strlen(fp) != 64)
		return false;
	for (size_t i = 0; i < 64; i++) {
		if (!((fp[i] >= '0' && fp[i] <= '9') || (fp[i] >= 'a' && fp[i] <= 'f')))
			return false;
	}
	return true;
}

/*
 * Takes the "document" member of body (a JSON object, or a string holding
 * the document text), compiles it and returns its text in *text (caller
 * frees). Returns 0, or an HTTP status with *out set.
 */
static int take_document(const cJSON *body, char **text, cJSON **out)
{
	const cJSON *doc = cJSON_GetObjectItemCaseSensitive(body, "document");
	char err[320], msg[360];
	struct ck_policy *p = NULL;

	*text = NULL;
	if (cJSON_IsString(doc))
		*text = strdup(doc->valuestring);
	else if (cJSON_IsObject(doc))
		*text = cJSON_PrintUnformatted(doc);
	else
		return ck_api_fail(out, 400, "bad_request",
		                   "document must be a policy document (an object or its text)");
	if (!*text)
		return ck_api_fail(out, 500, "internal", "out of memory");
	int rc = ck_policy_parse(*text, strlen(*text), &p, err, sizeof(err));
	if (rc) {
		free(*text);
		*text = NULL;
		snprintf(msg, sizeof(msg), "invalid policy document: %s", err);
		return ck_api_fail(out, rc == -E2BIG ? 413 : 400,
		                   rc == -E2BIG ? "too_large" : "invalid_policy", msg);
	}
	ck_policy_free(p);
	return 0;
}

/* Rewrites the snapshot after a change; 0 or 500 with *out set. */
static int publish(const struct ck_api_env *env, cJSON **out)
{
	if (ck_snapshot_write(env->store, env->snapshot_path) == 0)
		return 0;
	return ck_api_fail(out, 500, "internal",
	                   "saved, but the broker's registry snapshot could not be written; see "
	                   "clickd's log");
}

static int policy_reply(const struct ck_api_env *env, const char *name, int status, cJSON **out)
{
	int rc = ck_store_policy_get_json(env->store, name, out);

	return rc ? ck_api_store_fail(out, rc) : status;
}

static int policy_create(const struct ck_api_env *env, const struct ck_api_request *req,
                         const char *const *param, cJSON **out)
{
	cJSON *body;
	char *text = NULL;
	(void)param;
	int status = ck_api_parse_body(req, &body, out);

	if (status)
		return status;
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(body, "name");
	if (!cJSON_IsString(name) || !ck_policy_name_valid(name->valuestring)) {
		status = bad_name(out);
		goto out;
	}
	if ((status = take_document(body, &text, out)) != 0)
		goto out;
	int rc = ck_store_policy_create(env->store, name->valuestring, text, ck_api_now_ms());
	if (rc) {
		status = rc == -EEXIST
		             ? ck_api_fail(out, 409, "conflict", "a policy with that name exists")
		             : ck_api_store_fail(out, rc);
		goto out;
	}
	ck_info("api", "policy %s created", name->valuestring);
	if ((status = publish(env, out)) != 0)
		goto out;
	status = policy_reply(env, name->valuestring, 201, out);
out:
	free(text);
	cJSON_Delete(body);
	return status;
}

static int policy_list(const struct ck_api_env *env, const struct ck_api_request *req,
                       const char *const *param, cJSON **out)
{
	(void)param;
	return ck_api_list(env, req, ck_store_policy_list, out);
}

static int policy_get(const struct ck_api_env *env, const struct ck_api_request *req,
                      const char *const *param, cJSON **out)
{
	(void)req;
	if (!ck_policy_name_valid(param[0]))
		return bad_name(out);
	int rc = ck_store_policy_get_json(env->store, param[0], out);
	if (rc)
		return rc == -ENOENT ? ck_api_fail(out, 404, "not_found", "no such policy")
		                     : ck_api_store_fail(out, rc);
	return 200;
}

static int policy_delete(const struct ck_api_env *env, const struct ck_api_request *req,
                         const char *const *param, cJSON **out)
{
	(void)req;
	if (!ck_policy_name_valid(param[0]))
		return bad_name(out);
	int rc = ck_store_policy_delete(env->store, param[0]);
	if (rc == -ENOENT)
		return ck_api_fail(out, 404, "not_found", "no such policy");
	if (rc == -EBUSY)
		return ck_api_fail(out, 409, "conflict",
		                   "the policy is attached to certificates; detach it first");
	if (rc)
		return ck_api_store_fail(out, rc);
	ck_info("api", "policy %s deleted", param[0]);
	int status = publish(env, out);
	if (status)
		return status;
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "name", param[0]);
	cJSON_AddBoolToObject(*out, "deleted", true);
	return 200;
}

/* Parses a version number path segment; -1 when invalid. */
static int parse_version(const char *s)
{
	char *end = NULL;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 1 || v > 1000000)
		return -1;
	return (int)v;
}

static int version_create(const struct ck_api_env *env, const struct ck_api_request *req,
                          const char *const *param, cJSON **out)
{
	cJSON *body;
	char *text = NULL;
	int version = 0;
	int status = ck_api_parse_body(req, &body, out);

	if (status)
		return status;
	if (!ck_policy_name_valid(param[0])) {
		status = bad_name(out);
		goto out;
	}
	const cJSON *def = cJSON_GetObjectItemCaseSensitive(body, "setAsDefault");
	if (def && !cJSON_IsBool(def)) {
		status = ck_api_fail(out, 400, "bad_request", "setAsDefault must be true or false");
		goto out;
	}
	if ((status = take_document(body, &text, out)) != 0)
		goto out;
	int rc = ck_store_policy_version_create(env->store, param[0], text, cJSON_IsTrue(def),
	                                        ck_api_now_ms(), &version);
	if (rc) {
		status = rc == -ENOENT ? ck_api_fail(out, 404, "not_found", "no such policy")
		         : rc == -ENOSPC
		             ? ck_api_fail(out, 409, "conflict",
		                           "the policy has 5 versions; delete one first")
		             : ck_api_store_fail(out, rc);
		goto out;
	}
	ck_info("api", "policy %s version %d created%s", param[0], version,
	        cJSON_IsTrue(def) ? " as the default" : "");
	if ((status = publish(env, out)) != 0)
		goto out;
	rc = ck_store_policy_version_get_json(env->store, param[0], version, out);
	status = rc ? ck_api_store_fail(out, rc) : 201;
out:
	free(text);
	cJSON_Delete(body);
	return status;
}

static int version_get(const struct ck_api_env *env, const struct ck_api_request *req,
                       const char *const *param, cJSON **out)
{
	(void)req;
	int version = parse_version(param[1]);
	if (!ck_policy_name_valid(param[0]) || version < 0)
		return ck_api_fail(out, 404, "not_found", "no such policy version");
	int rc = ck_store_policy_version_get_json(env->store, param[0], version, out);
	if (rc)
		return rc == -ENOENT ? ck_api_fail(out, 404, "not_found", "no such policy version")
		                     : ck_api_store_fail(out, rc);
	return 200;
}

static int version_set_default(const struct ck_api_env *env, const struct ck_api_request *req,
                               const char *const *param, cJSON **out)
{
	(void)req;
	int version = parse_version(param[1]);
	if (!ck_policy_name_valid(param[0]) || version < 0)
		return ck_api_fail(out, 404, "not_found", "no such policy version");
	int rc = ck_store_policy_version_set_default(env->store, param[0], version);
	if (rc)
		return rc == -ENOENT ? ck_api_fail(out, 404, "not_found", "no such policy version")
		                     : ck_api_store_fail(out, rc);
	ck_info("api", "policy %s default version is now %d", param[0], version);
	int status = publish(env, out);
	return status ? status : policy_reply(env, param[0], 200, out);
}

static int version_delete(const struct ck_api_env *env, const struct ck_api_request *req,
                          const char *const *param, cJSON **out)
{
	(void)req;
	int version = parse_version(param[1]);
	if (!ck_policy_name_valid(param[0]) || version < 0)
		return ck_api_fail(out, 404, "not_found", "no such policy version");
	int rc = ck_store_policy_version_delete(env->store, param[0], version);
	if (rc == -EPERM)
		return ck_api_fail(
		    out, 409, "conflict",
		    "the default version cannot be deleted; make another the default "
		    "first");
	if (rc)
		return rc == -ENOENT ? ck_api_fail(out, 404, "not_found", "no such policy version")
		                     : ck_api_store_fail(out, rc);
	ck_info("api", "policy %s version %d deleted", param[0], version);
	return policy_reply(env, param[0], 200, out);
}

static int attach(const struct ck_api_env *env, const struct ck_api_request *req,
                  const char *const *param, cJSON **out)
{
	cJSON *body;
	int status = ck_api_parse_body(req, &body, out);

	if (status)
		return status;
	const cJSON *fp = cJSON_GetObjectItemCaseSensitive(body, "certificate");
	if (!ck_policy_name_valid(param[0])) {
		status = bad_name(out);
		goto out;
	}
	if (!cJSON_IsString(fp) || !fingerprint_valid(fp->valuestring)) {
		status = ck_api_fail(out, 400, "bad_request",
		                     "certificate must be a fingerprint: 64 lowercase hex digits");
		goto out;
	}
	int rc = ck_store_policy_attach(env->store, param[0], fp->valuestring, ck_api_now_ms());
	if (rc) {
		status = rc == -ENOENT
		             ? ck_api_fail(out, 404, "not_found", "no such policy or certificate")
		             : ck_api_store_fail(out, rc);
		goto out;
	}
	ck_info("api", "policy %s attached to certificate %.16s...", param[0], fp->valuestring);
	if ((status = publish(env, out)) != 0)
		goto out;
	status = policy_reply(env, param[0], 200, out);
out:
	cJSON_Delete(body);
	return status;
}

static int detach(const struct ck_api_env *env, const struct ck_api_request *req,
                  const char *const *param, cJSON **out)
{
	(void)req;
	if (!ck_policy_name_valid(param[0]))
		return bad_name(out);
	if (!fingerprint_valid(param[1]))
		return ck_api_fail(out, 404, "not_found", "the policy is not attached to that");
	int rc = ck_store_policy_detach(env->store, param[0], param[1]);
	if (rc)
		return rc == -ENOENT ? ck_api_fail(out, 404, "not_found",
		                                   "the policy is not attached to that certificate")
		                     : ck_api_store_fail(out, rc);
	ck_info("api", "policy %s detached from certificate %.16s...", param[0], param[1]);
	int status = publish(env, out);
	return status ? status : policy_reply(env, param[0], 200, out);
}

static int cert_policies(const struct ck_api_env *env, const struct ck_api_request *req,
                         const char *const *param, cJSON **out)
{
	cJSON *names = NULL;
	(void)req;
	if (!fingerprint_valid(param[0]))
		return ck_api_fail(out, 404, "not_found", "no such certificate");
	int rc = ck_store_cert_policies_json(env->store, param[0], &names);
	if (rc)
		return rc == -ENOENT ? ck_api_fail(out, 404, "not_found", "no such certificate")
		                     : ck_api_store_fail(out, rc);
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "certificate", param[0]);
	cJSON_AddItemToObject(*out, "policies", names);
	return 200;
}

const struct ck_api_route ck_api_routes_policies[] = {
	{ "GET", "/policies", policy_list },
	{ "POST", "/policies", policy_create },
	{ "GET", "/policies/{}", policy_get },
	{ "DELETE", "/policies/{}", policy_delete },
	{ "POST", "/policies/{}/versions", version_create },
	{ "GET", "/policies/{}/versions/{}", version_get },
	{ "DELETE", "/policies/{}/versions/{}", version_delete },
	{ "POST", "/policies/{}/versions/{}/default", version_set_default },
	{ "POST", "/policies/{}/attachments", attach },
	{ "DELETE", "/policies/{}/attachments/{}", detach },
	{ "GET", "/certificates/{}/policies", cert_policies },
	{ NULL, NULL, NULL },
};
