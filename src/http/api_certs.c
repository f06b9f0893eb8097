/*
 * API handlers for certificates and CAs (docs/api.md "Certificates" and
 * "Certificate authorities"): status changes (revocation is final),
 * attaching to and detaching from things, registering certificates signed
 * by a registered CA, registering operators' CAs with their CRL, and
 * rotating clickd's own CA. Every change rewrites the registry snapshot,
 * which the broker plugin applies within a second (refusing new
 * connections and disconnecting live ones); changes to what the TLS layer
 * trusts also rewrite DATA/ca/trust.pem and crl.pem and ask the broker to
 * reload them. Each handler validates the whole request before it writes.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fingerprint.h"
#include "core/log.h"
#include "http/api_int.h"
#include "registry/pki.h"
#include "registry/snapshot.h"
#include "registry/trust.h"
#include "store/store_registry.h"

static bool fp_valid(const char *fp)
{
	size_t n = strlen(fp);

	if (n != CK_FINGERPRINT_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((fp[i] >= '0' && fp[i] <= '9') || (fp[i] >= 'a' && fp[i] <= 'f')))
			return false;
	return true;
}

/* Rewrites the snapshot and, when trust is set, the broker's CA bundle and
 * CRL (asking the broker to reload them when they changed). */
int ck_api_registry_changed(const struct ck_api_env *env, bool trust)
{
	int rc = ck_snapshot_write(env->store, env->snapshot_path);
	bool changed = false;

	if (rc == 0 && trust && env->ca_dir)
		rc = ck_trust_sync(env->store, env->ca, env->ca_dir, ck_api_now_ms(), &changed);
	if (rc == 0 && changed && env->trust_changed)
		env->trust_changed(env->arg);
	return rc;
}

static int cert_reply(const struct ck_api_env *env, const char *fp, int status, cJSON **out)
{
	int rc = ck_store_cert_get_json(env->store, fp, out);

	if (rc)
		return rc == -ENOENT ? ck_api_fail(out, 404, "not_found", "no such certificate")
		                     : ck_api_store_fail(out, rc);
	return status;
}

static int cert_list(const struct ck_api_env *env, const struct ck_api_request *req,
                     const char *const *param, cJSON **out)
{
	(void)param;
	return ck_api_list(env, req, ck_store_cert_list, out);
}

static int cert_get(const struct ck_api_env *env, const struct ck_api_request *req,
                    const char *const *param, cJSON **out)
{
	(void)req;
	if (!fp_valid(param[0]))
		return ck_api_fail(out, 404, "not_found", "no such certificate");
	return cert_reply(env, param[0], 200, out);
}

/* PUT /certificates/{fp} {"status": "active" | "inactive" | "revoked"} */
static int cert_update(const struct ck_api_env *env, const struct ck_api_request *req,
                       const char *const *param, cJSON **out)
{
	const char *fp = param[0];
	cJSON *body;
	int status = ck_api_parse_body(req, &body, out);

	if (status)
		return status;
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(body, "status");
	if (!fp_valid(fp)) {
		status = ck_api_fail(out, 404, "not_found", "no such certificate");
		goto out;
	}
	if (!cJSON_IsString(st) ||
	    (strcmp(st->valuestring, "active") != 0 && strcmp(st->valuestring, "inactive") != 0 &&
	     strcmp(st->valuestring, "revoked") != 0)) {
		status = ck_api_fail(out, 400, "bad_request",
		                     "status must be \"active\", \"inactive\" or \"revoked\"");
		goto out;
	}
	int rc = ck_store_cert_set_status(env->store, fp, st->valuestring, ck_api_now_ms());
	if (rc == -EPERM) {
		status = ck_api_fail(out, 409, "conflict",
		                     "the certificate is revoked; revocation is final");
		goto out;
	}
	if (rc == 0)
		rc = ck_api_registry_changed(env, strcmp(st->valuestring, "revoked") == 0);
	if (rc) {
		status = rc == -ENOENT ? ck_api_fail(out, 404, "not_found", "no such certificate")
		                       : ck_api_store_fail(out, rc);
		goto out;
	}
	ck_info("api", "certificate %.16s... is now %s", fp, st->valuestring);
	status = cert_reply(env, fp, 200, out);
out:
	cJSON_Delete(body);
	return status;
}

/* PUT /certificates/{fp}/thing {"thing": NAME}: attach. */
static int cert_attach(const struct ck_api_env *env, const struct ck_api_request *req,
                       const char *const *param, cJSON **out)
{
	const char *fp = param[0];
	cJSON *body;
	int status = ck_api_parse_body(req, &body, out);

	if (status)
		return status;
	const cJSON *thing = cJSON_GetObjectItemCaseSensitive(body, "thing");
	if (!cJSON_IsString(thing) || !ck_name_valid(thing->valuestring)) {
		status = ck_api_fail(out, 400, "invalid_name", "thing must be a thing name");
		goto out;
	}
	int rc = fp_valid(fp)
	             ? ck_store_cert_set_thing(env->store, fp, thing->valuestring, ck_api_now_ms())
	             : -ENOENT;
	if (rc == -EBUSY) {
		status =
		    ck_api_fail(out, 409, "conflict",
		                "the certificate is attached to another thing; detach it first");
		goto out;
	}
	if (rc == 0)
		rc = ck_api_registry_changed(env, false);
	if (rc) {
		status = rc == -ENOENT
		             ? ck_api_fail(out, 404, "not_found", "no such certificate or thing")
		             : ck_api_store_fail(out, rc);
		goto out;
	}
	ck_info("api", "certificate %.16s... attached to thing %s", fp, thing->valuestring);
	status = cert_reply(env, fp, 200, out);
out:
	cJSON_Delete(body);
	return status;
}

/* DELETE /certificates/{fp}/thing: detach (the certificate can no longer
 * connect until it is attached again). */
static int cert_detach(const struct ck_api_env *env, const struct ck_api_request *req,
                       const char *const *param, cJSON **out)
{
	const char *fp = param[0];
	(void)req;
	int rc =
	    fp_valid(fp) ? ck_store_cert_set_thing(env->store, fp, NULL, ck_api_now_ms()) : -ENOENT;

	if (rc == 0)
		rc = ck_api_registry_changed(env, false);
	if (rc)
		return rc == -ENOENT ? ck_api_fail(out, 404, "not_found", "no such certificate")
		                     : ck_api_store_fail(out, rc);
	ck_info("api", "certificate %.16s... detached from its thing", fp);
	return cert_reply(env, fp, 200, out);
}

struct issuer_search {
	const char *cert_pem;
	char fp[CK_FINGERPRINT_LEN + 1];
};

static int find_issuer(const struct ck_ca_row *r, void *ctx)
{
	struct issuer_search *f = ctx;

	if (strcmp(r->status, "active") != 0 || ck_pki_signed_by(f->cert_pem, r->pem, NULL, 0) != 0)
		return 0;
	snprintf(f->fp, sizeof(f->fp), "%s", r->fingerprint);
	return 1;
}

/* POST /certificates {"certificatePem", "thing", "status"}: registers a
 * device certificate signed by a registered, active CA. */
static int cert_register(const struct ck_api_env *env, const struct ck_api_request *req,
                         const char *const *param, cJSON **out)
{
	(void)param;
	cJSON *body;
	struct ck_pki_cert info;
	char err[256];
	int status = ck_api_parse_body(req, &body, out);

	if (status)
		return status;
	const cJSON *pem = cJSON_GetObjectItemCaseSensitive(body, "certificatePem");
	const cJSON *thing = cJSON_GetObjectItemCaseSensitive(body, "thing");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(body, "status");
	const char *initial = cJSON_IsString(st) ? st->valuestring : "active";
	if (!cJSON_IsString(pem) || ck_pki_cert_parse(pem->valuestring, strlen(pem->valuestring),
	                                              &info, err, sizeof(err)) != 0) {
		status = ck_api_fail(out, 400, "bad_request",
		                     cJSON_IsString(pem) ? err : "certificatePem is required");
		goto out;
	}
	if (info.is_ca) {
		status = ck_api_fail(out, 400, "bad_request",
		                     "that is a CA certificate; register it under /cas");
		goto out;
	}
	if (!cJSON_IsString(thing) || !ck_name_valid(thing->valuestring)) {
		status = ck_api_fail(out, 400, "invalid_name", "thing must be a thing name");
		goto out;
	}
	if ((st && !cJSON_IsString(st)) ||
	    (strcmp(initial, "active") != 0 && strcmp(initial, "inactive") != 0)) {
		status = ck_api_fail(out, 400, "bad_request",
		                     "status must be \"active\" or \"inactive\"");
		goto out;
	}
	struct issuer_search f = { .cert_pem = pem->valuestring };
	int rc = ck_store_ca_each(env->store, find_issuer, &f);
	if (rc < 0) {
		status = ck_api_store_fail(out, rc);
		goto out;
	}
	if (!f.fp[0]) {
		status = ck_api_fail(out, 400, "bad_request",
		                     "the certificate was not signed by a registered, active CA; "
		                     "register the CA first");
		goto out;
	}
	struct ck_thing t;
	rc = ck_store_thing_get(env->store, thing->valuestring, &t);
	if (rc) {
		status = rc == -ENOENT ? ck_api_fail(out, 404, "not_found", "no such thing")
		                       : ck_api_store_fail(out, rc);
		goto out;
	}
	ck_thing_cleanup(&t);
	rc = ck_store_begin(env->store);
	if (rc == 0)
		rc = ck_store_cert_put(env->store, info.fingerprint, thing->valuestring,
		                       pem->valuestring, initial, ck_api_now_ms());
	if (rc == 0)
		rc = ck_store_cert_set_origin(env->store, info.fingerprint, info.serial, f.fp);
	if (rc == 0)
		rc = ck_store_commit(env->store);
	else
		ck_store_rollback(env->store);
	if (rc == 0)
		rc = ck_api_registry_changed(env, false);
	if (rc) {
		status = rc == -EEXIST
		             ? ck_api_fail(out, 409, "conflict", "that certificate is registered")
		             : ck_api_store_fail(out, rc);
		goto out;
	}
	ck_info("api", "certificate %.16s... registered for thing %s (CA %.16s...)",
	        info.fingerprint, thing->valuestring, f.fp);
	status = cert_reply(env, info.fingerprint, 201, out);
out:
	cJSON_Delete(body);
	return status;
}

static int ca_list(const struct ck_api_env *env, const struct ck_api_request *req,
                   const char *const *param, cJSON **out)
{
	(void)req;
	(void)param;
	cJSON *doc = cJSON_CreateObject();
	cJSON *items = doc ? cJSON_AddArrayToObject(doc, "items") : NULL;
	int rc = items ? ck_store_ca_list(env->store, items) : -ENOMEM;

	if (rc) {
		cJSON_Delete(doc);
		return ck_api_store_fail(out, rc);
	}
	cJSON_AddNullToObject(doc, "next");
	*out = doc;
	return 200;
}

/* POST /cas {"caPem", "crlPem"}: trusts an operator's CA. The broker
 * checks every client certificate against its issuer's CRL, so the CA
 * comes with one (an empty CRL is fine), signed by it. */
static int ca_register(const struct ck_api_env *env, const struct ck_api_request *req,
                       const char *const *param, cJSON **out)
{
	(void)param;
	cJSON *body;
	struct ck_pki_cert info;
	char err[256];
	int64_t number = 0;
	int status = ck_api_parse_body(req, &body, out);

	if (status)
		return status;
	const cJSON *pem = cJSON_GetObjectItemCaseSensitive(body, "caPem");
	const cJSON *crl = cJSON_GetObjectItemCaseSensitive(body, "crlPem");
	if (!cJSON_IsString(pem) || ck_pki_cert_parse(pem->valuestring, strlen(pem->valuestring),
	                                              &info, err, sizeof(err)) != 0) {
		status = ck_api_fail(out, 400, "bad_request",
		                     cJSON_IsString(pem) ? err : "caPem is required");
		goto out;
	}
	if (!info.is_ca) {
		status = ck_api_fail(out, 400, "bad_request",
		                     "caPem is not a CA certificate (basicConstraints CA:TRUE)");
		goto out;
	}
	if (!cJSON_IsString(crl) ||
	    ck_pki_crl_check(crl->valuestring, strlen(crl->valuestring), pem->valuestring, &number,
	                     err, sizeof(err)) != 0) {
		status = ck_api_fail(out, 400, "bad_request",
		                     cJSON_IsString(crl) ? err
		                                         : "crlPem (a CRL signed by the CA, may be "
		                                           "empty) is required");
		goto out;
	}
	struct ck_ca_row row = {
		.fingerprint = info.fingerprint,
		.pem = pem->valuestring,
		.subject = info.subject,
		.origin = "operator",
		.status = "active",
		.crl_pem = crl->valuestring,
		.crl_number = number,
		.created_ms = ck_api_now_ms(),
	};
	int rc = ck_store_ca_put(env->store, &row);
	if (rc == 0)
		rc = ck_api_registry_changed(env, true);
	if (rc) {
		status = rc == -EEXIST ? ck_api_fail(out, 409, "conflict", "that CA is registered")
		                       : ck_api_store_fail(out, rc);
		goto out;
	}
	ck_info("api", "CA %.16s... (%s) registered", info.fingerprint, info.subject);
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "fingerprint", info.fingerprint);
	cJSON_AddStringToObject(*out, "subject", info.subject);
	cJSON_AddStringToObject(*out, "origin", "operator");
	cJSON_AddStringToObject(*out, "status", "active");
	status = 201;
out:
	cJSON_Delete(body);
	return status;
}

struct ca_lookup {
	const char *fp;
	char origin[16];
	char *pem;
	int active_own;
};

static int lookup_ca(const struct ck_ca_row *r, void *ctx)
{
	struct ca_lookup *l = ctx;

	if (strcmp(r->origin, "clickd") == 0 && strcmp(r->status, "active") == 0)
		l->active_own++;
	if (strcmp(r->fingerprint, l->fp) == 0) {
		snprintf(l->origin, sizeof(l->origin), "%s", r->origin);
		free(l->pem);
		l->pem = strdup(r->pem);
	}
	return 0;
}

/* PUT /cas/{fp} {"status": "active" | "retired", "crlPem": ...}: retires a
 * CA (the broker stops trusting it), trusts it again, or replaces an
 * operator CA's CRL. clickd's signing CA cannot be retired. */
static int ca_update(const struct ck_api_env *env, const struct ck_api_request *req,
                     const char *const *param, cJSON **out)
{
	const char *fp = param[0];
	cJSON *body;
	char err[256];
	int64_t number = 0;
	struct ca_lookup l = { .fp = fp };
	int status = ck_api_parse_body(req, &body, out);

	if (status)
		return status;
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(body, "status");
	const cJSON *crl = cJSON_GetObjectItemCaseSensitive(body, "crlPem");
	int rc = fp_valid(fp) ? ck_store_ca_each(env->store, lookup_ca, &l) : 0;
	if (rc) {
		status = ck_api_store_fail(out, rc);
		goto out;
	}
	if (!l.pem) {
		status = ck_api_fail(out, 404, "not_found", "no such CA");
		goto out;
	}
	if ((st && (!cJSON_IsString(st) || (strcmp(st->valuestring, "active") != 0 &&
	                                    strcmp(st->valuestring, "retired") != 0))) ||
	    (!st && !crl)) {
		status = ck_api_fail(out, 400, "bad_request",
		                     "give status (\"active\" or \"retired\") and/or crlPem");
		goto out;
	}
	if (cJSON_IsString(st) && strcmp(st->valuestring, "retired") == 0 &&
	    strcmp(fp, ck_ca_fingerprint(env->ca)) == 0) {
		status = ck_api_fail(out, 409, "conflict",
		                     "clickd signs with this CA; rotate first (POST /cas/rotate)");
		goto out;
	}
	if (crl && (strcmp(l.origin, "operator") != 0 || !cJSON_IsString(crl) ||
	            ck_pki_crl_check(crl->valuestring, strlen(crl->valuestring), l.pem, &number,
	                             err, sizeof(err)) != 0)) {
		status =
		    ck_api_fail(out, 400, "bad_request",
		                strcmp(l.origin, "operator") != 0 ? "clickd signs its own CAs' CRLs"
		                : cJSON_IsString(crl)             ? err
		                                                  : "crlPem must be a string");
		goto out;
	}
	int64_t now = ck_api_now_ms();
	rc = ck_store_begin(env->store);
	if (rc == 0 && cJSON_IsString(st))
		rc = ck_store_ca_set_status(env->store, fp, st->valuestring, now);
	if (rc == 0 && crl)
		rc = ck_store_ca_set_crl(env->store, fp, crl->valuestring, number, now);
	if (rc == 0)
		rc = ck_store_commit(env->store);
	else
		ck_store_rollback(env->store);
	if (rc == 0)
		rc = ck_api_registry_changed(env, true);
	if (rc) {
		status = ck_api_store_fail(out, rc);
		goto out;
	}
	ck_info("api", "CA %.16s... updated%s%s", fp, cJSON_IsString(st) ? ": " : "",
	        cJSON_IsString(st) ? st->valuestring : "");
	status = ca_list(env, req, param, out);
out:
	free(l.pem);
	cJSON_Delete(body);
	return status;
}

/* POST /cas/rotate: clickd signs new certificates with a new CA; the old
 * one stays trusted (and keeps signing the broker's certificate) until the
 * operator retires it after re-issuing the devices. */
static int ca_rotate(const struct ck_api_env *env, const struct ck_api_request *req,
                     const char *const *param, cJSON **out)
{
	char err[256], old[CK_FINGERPRINT_LEN + 1];
	int rc;

	(void)req;
	(void)param;
	snprintf(old, sizeof(old), "%s", ck_ca_fingerprint(env->ca));
	rc = ck_ca_rotate(env->ca, err, sizeof(err));
	if (rc) {
		ck_error("api", "cannot rotate the CA: %s", err);
		return ck_api_fail(out, 500, "internal", "cannot rotate the CA; see clickd's log");
	}
	rc = ck_trust_register_self(env->store, env->ca, ck_api_now_ms());
	if (rc == 0)
		rc = ck_api_registry_changed(env, true);
	if (rc)
		return ck_api_store_fail(out, rc);
	ck_info("api",
	        "CA rotated: new certificates are signed by %.16s..., %.16s... stays trusted",
	        ck_ca_fingerprint(env->ca), old);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "fingerprint", ck_ca_fingerprint(env->ca));
	cJSON_AddStringToObject(o, "previous", old);
	cJSON_AddStringToObject(o, "caPem", ck_ca_cert_pem(env->ca));
	*out = o;
	return 201;
}

const struct ck_api_route ck_api_routes_certs[] = {
	{ "GET", "/certificates", cert_list },
	{ "POST", "/certificates", cert_register },
	{ "GET", "/certificates/{}", cert_get },
	{ "PUT", "/certificates/{}", cert_update },
	{ "PUT", "/certificates/{}/thing", cert_attach },
	{ "DELETE", "/certificates/{}/thing", cert_detach },
	{ "GET", "/cas", ca_list },
	{ "POST", "/cas", ca_register },
	{ "POST", "/cas/rotate", ca_rotate },
	{ "PUT", "/cas/{}", ca_update },
	{ NULL, NULL, NULL },
};
