/*
 * API handlers for provisioning by claim (docs/api.md "Provisioning by
 * claim"): provisioning templates (thing name pattern, type, attributes,
 * policy to attach, and the allow-list: serials and/or a hook program),
 * claim certificates, and the claim log. A claim is a thing of type
 * provisioning-claim whose certificate carries only the policy
 * clickd-claim-<template>: connect, publish the two provisioning
 * requests, and subscribe to and receive their replies. The device side
 * is engine/provisioner.c.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/name.h"
#include "engine/provisioner.h"
#include "http/api_int.h"
#include "registry/ca.h"
#include "registry/snapshot.h"
#include "registry/trust.h"
#include "store/store_claims.h"
#include "store/store_policies.h"
#include "store/store_registry.h"

#define MAX_SERIALS   10000
#define MAX_HOOK_ARGS 16

static int bad(cJSON **out, const char *msg)
{
	return ck_api_fail(out, 400, "bad_request", msg);
}

/* Checks a template document; 0 or a 400 in *out. */
static int check_template(const struct ck_api_env *env, const cJSON *d, cJSON **out)
{
	const cJSON *pattern = cJSON_GetObjectItemCaseSensitive(d, "thingNamePattern");
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(d, "thingType");
	const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(d, "attributes");
	const cJSON *policy = cJSON_GetObjectItemCaseSensitive(d, "policy");
	const cJSON *serials = cJSON_GetObjectItemCaseSensitive(d, "allowedSerials");
	const cJSON *hook = cJSON_GetObjectItemCaseSensitive(d, "hook");
	const cJSON *a;
	if (!cJSON_IsString(pattern) || !pattern->valuestring[0] ||
	    strlen(pattern->valuestring) > 256)
		return bad(out,
		           "thingNamePattern must be a string such as \"btn-${SerialNumber}\"");
	if (type && (!cJSON_IsString(type) || !ck_name_valid(type->valuestring)))
		return bad(out, "thingType must be a name");
	if (attrs && (!cJSON_IsObject(attrs) || cJSON_GetArraySize(attrs) > 50))
		return bad(out, "attributes must be an object of at most 50 strings");
	cJSON_ArrayForEach(a, attrs)
	{
		if (!cJSON_IsString(a) || !ck_name_valid(a->string) || strlen(a->valuestring) > 800)
			return bad(out, "attributes must be names with string values");
	}
	if (policy) {
		cJSON *p = NULL;
		if (!cJSON_IsString(policy) ||
		    ck_store_policy_get_json(env->store, policy->valuestring, &p) != 0)
			return bad(out, "policy must name an existing policy");
		cJSON_Delete(p);
	}
	if (!serials && !hook)
		return bad(out, "a template needs allowedSerials, a hook, or both");
	if (serials && (!cJSON_IsArray(serials) || cJSON_GetArraySize(serials) > MAX_SERIALS))
		return bad(out, "allowedSerials must be an array of at most 10000 strings");
	cJSON_ArrayForEach(a, serials)
	{
		if (!cJSON_IsString(a) || !a->valuestring[0] || strlen(a->valuestring) > 256)
			return bad(out, "allowedSerials must hold strings of 1 to 256 bytes");
	}
	if (hook && (!cJSON_IsArray(hook) || cJSON_GetArraySize(hook) < 1 ||
	             cJSON_GetArraySize(hook) > MAX_HOOK_ARGS))
		return bad(out, "hook must be an array: the program's absolute path and its "
		                "arguments");
	cJSON_ArrayForEach(a, hook)
	{
		if (!cJSON_IsString(a) || (a == hook->child && a->valuestring[0] != '/'))
			return bad(out,
			           "hook must be an array: the program's absolute path and its "
			           "arguments");
	}
	return 0;
}

static bool template_name_valid(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 128)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

static int template_put(const struct ck_api_env *env, const struct ck_api_request *req,
                        const char *const *param, cJSON **out)
{
	cJSON *body;
	int status = ck_api_parse_body(req, &body, out);
	if (status)
		return status;
	if (!template_name_valid(param[0])) {
		status = ck_api_fail(out, 400, "invalid_name",
		                     "template names are 1 to 128 of A-Z a-z 0-9 _ -");
		goto out;
	}
	status = check_template(env, body, out);
	if (status)
		goto out;
	char *text = cJSON_PrintUnformatted(body);
	int rc = text ? ck_store_provtpl_put(env->store, param[0], text, ck_api_now_ms(), true)
	              : -ENOMEM;
	bool created = rc == -ENOENT;
	if (created)
		rc = ck_store_provtpl_put(env->store, param[0], text, ck_api_now_ms(), false);
	cJSON_free(text);
	if (rc != 0) {
		status = ck_api_store_fail(out, rc);
		goto out;
	}
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "templateName", param[0]);
	cJSON_AddItemToObject(*out, "document", cJSON_Duplicate(body, 1));
	ck_info("api", "provisioning template %s %s", param[0], created ? "created" : "replaced");
	status = created ? 201 : 200;
out:
	cJSON_Delete(body);
	return status;
}

static int template_get(const struct ck_api_env *env, const struct ck_api_request *req,
                        const char *const *param, cJSON **out)
{
	(void)req;
	char *text = NULL;
	int rc = ck_store_provtpl_get(env->store, param[0], &text);
	if (rc != 0)
		return rc == -ENOENT ? ck_api_fail(out, 404, "not_found", "no such template")
		                     : ck_api_store_fail(out, rc);
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "templateName", param[0]);
	cJSON_AddItemToObject(*out, "document", cJSON_Parse(text));
	free(text);
	return 200;
}

static int template_list(const struct ck_api_env *env, const struct ck_api_request *req,
                         const char *const *param, cJSON **out)
{
	(void)req;
	(void)param;
	cJSON *o = cJSON_CreateObject();
	cJSON *items = o ? cJSON_AddArrayToObject(o, "items") : NULL;
	int rc = items ? ck_store_provtpl_list(env->store, items) : -ENOMEM;
	if (rc != 0) {
		cJSON_Delete(o);
		return ck_api_store_fail(out, rc);
	}
	cJSON_AddNullToObject(o, "next");
	*out = o;
	return 200;
}

static int template_delete(const struct ck_api_env *env, const struct ck_api_request *req,
                           const char *const *param, cJSON **out)
{
	(void)req;
	int rc = ck_store_provtpl_delete(env->store, param[0]);
	if (rc != 0)
		return rc == -ENOENT ? ck_api_fail(out, 404, "not_found", "no such template")
		                     : ck_api_store_fail(out, rc);
	ck_info("api", "provisioning template %s deleted", param[0]);
	*out = cJSON_CreateObject();
	return 200;
}

/* The claim policy of template tpl: nothing but its provisioning topics. */
static char *claim_policy(const char *tpl)
{
#define CLAIM_POLICY_FMT                                                                           \
	"{\"Version\":\"2012-10-17\",\"Statement\":["                                              \
	"{\"Effect\":\"Allow\",\"Action\":\"iot:Connect\","                                        \
	"\"Resource\":\"arn:aws:iot:*:*:client/*\"},"                                              \
	"{\"Effect\":\"Allow\",\"Action\":\"iot:Publish\",\"Resource\":["                          \
	"\"arn:aws:iot:*:*:topic/$aws/certificates/create-from-csr/json\","                        \
	"\"arn:aws:iot:*:*:topic/$aws/provisioning-templates/%s/provision/json\"]},"               \
	"{\"Effect\":\"Allow\",\"Action\":\"iot:Subscribe\",\"Resource\":["                        \
	"\"arn:aws:iot:*:*:topicfilter/$aws/certificates/create-from-csr/json/*\","                \
	"\"arn:aws:iot:*:*:topicfilter/$aws/provisioning-templates/%s/provision/json/*\"]},"       \
	"{\"Effect\":\"Allow\",\"Action\":\"iot:Receive\",\"Resource\":["                          \
	"\"arn:aws:iot:*:*:topic/$aws/certificates/create-from-csr/json/*\","                      \
	"\"arn:aws:iot:*:*:topic/$aws/provisioning-templates/%s/provision/json/*\"]}]}"

	size_t n = strlen(CLAIM_POLICY_FMT) + 3 * strlen(tpl) + 1;
	char *doc = malloc(n);
	if (doc)
		snprintf(doc, n, CLAIM_POLICY_FMT, tpl, tpl, tpl);
	return doc;
}

/* POST /claims {"name","template"}: a claim thing, its certificate (key
 * generated here and returned once) and the claim policy. */
static int claim_create(const struct ck_api_env *env, const struct ck_api_request *req,
                        const char *const *param, cJSON **out)
{
	(void)param;
	cJSON *body, *attrs = NULL;
	char *tpl_doc = NULL, *policy_doc = NULL, *cert = NULL, *key = NULL, *bundle = NULL;
	char err[256], policy[CK_NAME_MAX + 16], fp[CK_FINGERPRINT_LEN + 1];
	char serial[CK_CA_SERIAL_HEX_MAX + 1];
	int status = ck_api_parse_body(req, &body, out);
	if (status)
		return status;
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(body, "name");
	const cJSON *tpl = cJSON_GetObjectItemCaseSensitive(body, "template");
	if (!cJSON_IsString(name) || !ck_name_valid(name->valuestring) || !cJSON_IsString(tpl) ||
	    !template_name_valid(tpl->valuestring)) {
		status = bad(out, "a claim needs a \"name\" (a thing name) and a \"template\"");
		goto out;
	}
	int rc = ck_store_provtpl_get(env->store, tpl->valuestring, &tpl_doc);
	if (rc != 0) {
		status = rc == -ENOENT ? ck_api_fail(out, 404, "not_found", "no such template")
		                       : ck_api_store_fail(out, rc);
		goto out;
	}
	snprintf(policy, sizeof(policy), "clickd-claim-%s", tpl->valuestring);
	policy_doc = claim_policy(tpl->valuestring);
	attrs = cJSON_CreateObject();
	if (!policy_doc || !attrs ||
	    !cJSON_AddStringToObject(attrs, CK_PROVISIONER_TEMPLATE_ATTR, tpl->valuestring)) {
		status = ck_api_fail(out, 500, "internal", "out of memory");
		goto out;
	}
	rc = ck_ca_issue_device_serial(env->ca, name->valuestring, &cert, &key, fp, serial, err,
	                               sizeof(err));
	if (rc != 0) {
		ck_error("api", "cannot issue a claim certificate: %s", err);
		status = ck_api_fail(out, 500, "internal", "cannot issue the certificate");
		goto out;
	}
	int64_t now = ck_api_now_ms();
	struct ck_thing t = { .enabled = true,
		              .created_ms = now,
		              .last_seen_ms = -1,
		              .battery_mv = -1,
		              .attributes = attrs };
	snprintf(t.name, sizeof(t.name), "%s", name->valuestring);
	snprintf(t.type, sizeof(t.type), "%s", CK_PROVISIONER_CLAIM_TYPE);
	/* The template's claim policy (its own transaction), shared by its claims. */
	rc = ck_store_policy_create(env->store, policy, policy_doc, now);
	if (rc == 0 || rc == -EEXIST)
		rc = ck_store_begin(env->store);
	if (rc == 0)
		rc = ck_store_thing_put(env->store, &t);
	if (rc == 0)
		rc = ck_store_cert_put(env->store, fp, t.name, cert, "active", now);
	if (rc == 0)
		rc = ck_store_cert_set_origin(env->store, fp, serial[0] ? serial : NULL,
		                              ck_ca_fingerprint(env->ca));
	if (rc == 0) /* the button policy a trigger attached: a claim gets nothing of it */
		rc = ck_store_policy_detach(env->store, "clickd-button", fp) == -EIO ? -EIO : 0;
	if (rc == 0)
		rc = ck_store_policy_attach(env->store, policy, fp, now);
	if (rc == 0)
		rc = ck_store_commit(env->store);
	else
		ck_store_rollback(env->store);
	if (rc == 0)
		rc = ck_snapshot_write(env->store, env->snapshot_path);
	if (rc != 0) {
		status = rc == -EEXIST
		             ? ck_api_fail(out, 409, "conflict", "a thing with that name exists")
		             : ck_api_store_fail(out, rc);
		goto out;
	}
	bundle = ck_trust_device_bundle(env->store);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", t.name);
	cJSON_AddStringToObject(o, "template", tpl->valuestring);
	cJSON_AddStringToObject(o, "policy", policy);
	cJSON_AddStringToObject(o, "fingerprint", fp);
	cJSON_AddStringToObject(o, "certificatePem", cert);
	cJSON_AddStringToObject(o, "privateKeyPem", key);
	cJSON_AddStringToObject(o, "caPem", bundle ? bundle : ck_ca_cert_pem(env->ca));
	cJSON *ep = cJSON_AddObjectToObject(o, "endpoint");
	cJSON_AddStringToObject(ep, "host", env->endpoint_host);
	cJSON_AddNumberToObject(ep, "port", env->endpoint_port);
	*out = o;
	ck_info("api", "claim %s for template %s created (certificate %s)", t.name,
	        tpl->valuestring, fp);
	status = 201;
out:
	if (key)
		explicit_bzero(key, strlen(key));
	free(key);
	free(cert);
	free(bundle);
	free(tpl_doc);
	free(policy_doc);
	cJSON_Delete(attrs);
	cJSON_Delete(body);
	return status;
}

static int claim_log(const struct ck_api_env *env, const struct ck_api_request *req,
                     const char *const *param, cJSON **out)
{
	(void)param;
	return ck_api_list(env, req, ck_store_claim_log_list, out);
}

const struct ck_api_route ck_api_routes_claims[] = {
	{ "GET", "/provisioning-templates", template_list },
	{ "GET", "/provisioning-templates/{}", template_get },
	{ "PUT", "/provisioning-templates/{}", template_put },
	{ "DELETE", "/provisioning-templates/{}", template_delete },
	{ "POST", "/claims", claim_create },
	{ "GET", "/claims/log", claim_log },
	{ NULL, NULL, NULL },
};
