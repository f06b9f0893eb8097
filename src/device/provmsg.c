/*
 * Fleet-provisioning messages on the device side (see provmsg.h): topic
 * building and matching, the two request payloads, and a parser of the
 * replies built on cJSON. The reply is bounded before cJSON sees it; every
 * kept string is length-checked and copied into fixed storage, except the
 * certificate PEM, which is checked for its header and ceiling and copied
 * once. Nothing here opens files or sockets.
 */
#include "device/provmsg.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/name.h"

#define TPL_PREFIX "$aws/provisioning-templates/"
#define TPL_SUFFIX "/provision/json"
#define PEM_CERT   "-----BEGIN CERTIFICATE-----"
#define PEM_CSR    "-----BEGIN CERTIFICATE REQUEST-----"

__attribute__((format(printf, 4, 5))) static int fail(int rc, char *why, size_t why_len,
                                                      const char *fmt, ...)
{
	if (why && why_len > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return rc;
}

bool ck_provmsg_template_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n < 1 || n > CK_PROVMSG_TEMPLATE_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

int ck_provmsg_topic(enum ck_provmsg_op op, const char *template_name, const char *suffix,
                     char *out, size_t cap)
{
	int n;
	if (cap > 0)
		out[0] = '\0';
	if (suffix && strcmp(suffix, "accepted") != 0 && strcmp(suffix, "rejected") != 0)
		return -EINVAL;
	if (op == CK_PROVMSG_OP_CSR) {
		n = snprintf(out, cap, "%s%s%s", CK_PROVMSG_CSR_TOPIC, suffix ? "/" : "",
		             suffix ? suffix : "");
	} else {
		if (!ck_provmsg_template_valid(template_name))
			return -EINVAL;
		n = snprintf(out, cap, TPL_PREFIX "%s" TPL_SUFFIX "%s%s", template_name,
		             suffix ? "/" : "", suffix ? suffix : "");
	}
	if (n < 0 || (size_t)n >= cap) {
		if (cap > 0)
			out[0] = '\0';
		return -ENAMETOOLONG;
	}
	return 0;
}

int ck_provmsg_classify(const char *topic, const char *template_name, enum ck_provmsg_op *op,
                        bool *accepted)
{
	static const char *const suffixes[] = { "accepted", "rejected" };
	char want[CK_PROVMSG_TOPIC_MAX];
	for (int o = 0; o < 2; o++) {
		for (int s = 0; s < 2; s++) {
			if (ck_provmsg_topic((enum ck_provmsg_op)o, template_name, suffixes[s],
			                     want, sizeof(want)) != 0)
				continue;
			if (strcmp(topic, want) == 0) {
				*op = (enum ck_provmsg_op)o;
				*accepted = s == 0;
				return 0;
			}
		}
	}
	return -ENOENT;
}

static char *print_and_free(cJSON *o)
{
	char *s = o ? cJSON_PrintUnformatted(o) : NULL;
	cJSON_Delete(o);
	if (!s)
		return NULL;
	/* cJSON's allocator is malloc unless hooks say otherwise; hand back a
	 * buffer the caller can free(). */
	char *copy = strdup(s);
	cJSON_free(s);
	return copy;
}

char *ck_provmsg_csr_request(const char *csr_pem)
{
	if (!csr_pem || strncmp(csr_pem, PEM_CSR, strlen(PEM_CSR)) != 0 ||
	    strlen(csr_pem) > CK_PROVMSG_CERT_MAX) {
		errno = EINVAL;
		return NULL;
	}
	cJSON *o = cJSON_CreateObject();
	if (!o || !cJSON_AddStringToObject(o, "certificateSigningRequest", csr_pem)) {
		cJSON_Delete(o);
		errno = ENOMEM;
		return NULL;
	}
	char *s = print_and_free(o);
	if (!s)
		errno = ENOMEM;
	return s;
}

char *ck_provmsg_provision_request(const char *token, const char *const *keys,
                                   const char *const *values, size_t n, char *why, size_t why_len)
{
	cJSON *o = NULL, *params;
	if (!token || !token[0] || strlen(token) > CK_PROVMSG_TOKEN_MAX) {
		fail(0, why, why_len, "no certificate ownership token");
		goto inval;
	}
	if (n > CK_PROVMSG_PARAMS_MAX) {
		fail(0, why, why_len, "more than %d parameters", CK_PROVMSG_PARAMS_MAX);
		goto inval;
	}
	o = cJSON_CreateObject();
	if (!o || !cJSON_AddStringToObject(o, "certificateOwnershipToken", token))
		goto nomem;
	params = cJSON_AddObjectToObject(o, "parameters");
	if (!params)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		if (!keys[i] || !ck_name_valid(keys[i])) {
			fail(0, why, why_len, "parameter name \"%.64s\" is not a name",
			     keys[i] ? keys[i] : "");
			goto inval;
		}
		if (!values[i] || strlen(values[i]) > CK_PROVMSG_VALUE_MAX) {
			fail(0, why, why_len, "parameter %s: the value is longer than %d bytes",
			     keys[i], CK_PROVMSG_VALUE_MAX);
			goto inval;
		}
		if (cJSON_GetObjectItemCaseSensitive(params, keys[i])) {
			fail(0, why, why_len, "parameter %s given twice", keys[i]);
			goto inval;
		}
		if (!cJSON_AddStringToObject(params, keys[i], values[i]))
			goto nomem;
	}
	char *s = print_and_free(o);
	if (!s)
		errno = ENOMEM;
	return s;
nomem:
	cJSON_Delete(o);
	fail(0, why, why_len, "out of memory");
	errno = ENOMEM;
	return NULL;
inval:
	cJSON_Delete(o);
	errno = EINVAL;
	return NULL;
}

/* Copies a bounded string member; -EINVAL when absent (and required), not a
 * string, or longer than cap - 1. */
static int copy_str(const cJSON *o, const char *key, char *dst, size_t cap, bool required,
                    char *why, size_t why_len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v) {
		dst[0] = '\0';
		return required ? fail(-EINVAL, why, why_len, "the reply has no \"%s\"", key) : 0;
	}
	if (!cJSON_IsString(v))
		return fail(-EINVAL, why, why_len, "\"%s\" is not a string", key);
	size_t n = strlen(v->valuestring);
	if (n >= cap)
		return fail(-EINVAL, why, why_len, "\"%s\" is longer than %zu bytes", key, cap - 1);
	memcpy(dst, v->valuestring, n + 1);
	return 0;
}

/* Printable ASCII only: the token goes back to clickd verbatim, the rest is
 * shown on a terminal. */
static bool printable(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	}
	return true;
}

static void defang(char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
	}
}

static int parse_csr_accepted(const cJSON *d, struct ck_provmsg_reply *out, char *why,
                              size_t why_len)
{
	int rc = copy_str(d, "certificateOwnershipToken", out->token, sizeof(out->token), true, why,
	                  why_len);
	if (rc == 0)
		rc = copy_str(d, "certificateId", out->certificate_id, sizeof(out->certificate_id),
		              false, why, why_len);
	if (rc != 0)
		return rc;
	if (!out->token[0] || !printable(out->token))
		return fail(-EINVAL, why, why_len, "the ownership token is empty or not printable");
	if (!printable(out->certificate_id))
		return fail(-EINVAL, why, why_len, "the certificate id is not printable");
	const cJSON *pem = cJSON_GetObjectItemCaseSensitive(d, "certificatePem");
	if (!cJSON_IsString(pem))
		return fail(-EINVAL, why, why_len, "the reply has no \"certificatePem\"");
	size_t n = strlen(pem->valuestring);
	if (n > CK_PROVMSG_CERT_MAX)
		return fail(-EINVAL, why, why_len, "the certificate is larger than %d bytes",
		            CK_PROVMSG_CERT_MAX);
	if (strncmp(pem->valuestring, PEM_CERT, strlen(PEM_CERT)) != 0)
		return fail(-EINVAL, why, why_len, "\"certificatePem\" is not a PEM certificate");
	out->certificate_pem = strdup(pem->valuestring);
	return out->certificate_pem ? 0 : fail(-ENOMEM, why, why_len, "out of memory");
}

static int parse_rejected(const cJSON *d, struct ck_provmsg_reply *out, char *why, size_t why_len)
{
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(d, "statusCode");
	char code[sizeof(out->error_code)];
	if (status) {
		if (!cJSON_IsNumber(status) || status->valuedouble < 0 ||
		    status->valuedouble > 999 ||
		    status->valuedouble != (double)(int)status->valuedouble)
			return fail(-EINVAL, why, why_len, "\"statusCode\" is not a status code");
		out->status_code = (int)status->valuedouble;
	}
	int rc = copy_str(d, "errorCode", code, sizeof(code), false, why, why_len);
	if (rc != 0)
		return rc;
	defang(code);
	memcpy(out->error_code, code, sizeof(code));
	/* A long message is cut rather than refused: it is only shown. */
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(d, "errorMessage");
	if (msg && !cJSON_IsString(msg))
		return fail(-EINVAL, why, why_len, "\"errorMessage\" is not a string");
	if (msg) {
		snprintf(out->error_message, sizeof(out->error_message), "%s", msg->valuestring);
		defang(out->error_message);
	}
	return 0;
}

int ck_provmsg_reply_parse(enum ck_provmsg_op op, bool accepted, const void *buf, size_t len,
                           struct ck_provmsg_reply *out, char *why, size_t why_len)
{
	memset(out, 0, sizeof(*out));
	out->op = op;
	out->accepted = accepted;
	if (why && why_len > 0)
		why[0] = '\0';
	if (len > CK_PROVMSG_MAX)
		return fail(-E2BIG, why, why_len, "the reply is larger than %d bytes",
		            CK_PROVMSG_MAX);
	if (len > 0 && memchr(buf, '\0', len))
		return fail(-EINVAL, why, why_len, "the reply holds a NUL byte");
	cJSON *d = cJSON_ParseWithLength(buf, len);
	if (!d || !cJSON_IsObject(d)) {
		cJSON_Delete(d);
		return fail(-EINVAL, why, why_len, "the reply is not a JSON object");
	}
	int rc;
	if (!accepted) {
		rc = parse_rejected(d, out, why, why_len);
	} else if (op == CK_PROVMSG_OP_CSR) {
		rc = parse_csr_accepted(d, out, why, why_len);
	} else {
		rc = copy_str(d, "thingName", out->thing_name, sizeof(out->thing_name), true, why,
		              why_len);
		if (rc == 0 && !ck_name_valid(out->thing_name))
			rc = fail(-EINVAL, why, why_len, "\"thingName\" is not a thing name");
		const cJSON *conf = cJSON_GetObjectItemCaseSensitive(d, "deviceConfiguration");
		if (rc == 0 && conf && !cJSON_IsObject(conf))
			rc =
			    fail(-EINVAL, why, why_len, "\"deviceConfiguration\" is not an object");
	}
	cJSON_Delete(d);
	if (rc != 0 && why && why_len > 0)
		defang(why);
	return rc;
}

void ck_provmsg_reply_cleanup(struct ck_provmsg_reply *r)
{
	if (!r)
		return;
	free(r->certificate_pem);
	r->certificate_pem = NULL;
}
