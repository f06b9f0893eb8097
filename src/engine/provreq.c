/*
 * Relayed provisioning request parser (see provreq.h).
 */
#include "engine/provreq.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER     "clickd-provision 1\n"
#define CSR_TOPIC  "$aws/certificates/create-from-csr/json"
#define TPL_PREFIX "$aws/provisioning-templates/"
#define TPL_SUFFIX "/provision/json"
#define CSR_MAX    (16 * 1024)

__attribute__((format(printf, 3, 4))) static int fail(char *why, size_t why_len, const char *fmt,
                                                      ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (why && why_len)
		vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Copies the line at *p (up to '\n' before end) into dst of cap bytes;
 * advances *p past the newline. -1 when missing, empty, too long or
 * holding a NUL. */
static int line(const char **p, const char *end, char *dst, size_t cap)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	if (!nl || nl == *p || (size_t)(nl - *p) >= cap || memchr(*p, '\0', (size_t)(nl - *p)))
		return -1;
	memcpy(dst, *p, (size_t)(nl - *p));
	dst[nl - *p] = '\0';
	*p = nl + 1;
	return 0;
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* The template name of a provision topic, or -1 for another topic. */
static int template_of(const char *topic, char *name, size_t cap)
{
	size_t pl = strlen(TPL_PREFIX), sl = strlen(TPL_SUFFIX), n = strlen(topic);
	if (n <= pl + sl || strncmp(topic, TPL_PREFIX, pl) != 0 ||
	    strcmp(topic + n - sl, TPL_SUFFIX) != 0)
		return -1;
	size_t len = n - pl - sl;
	if (len >= cap || len > 128)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (!name_char(topic[pl + i]))
			return -1;
	memcpy(name, topic + pl, len);
	name[len] = '\0';
	return 0;
}

static int parse_csr(const cJSON *doc, struct ck_provreq *out, char *why, size_t why_len)
{
	const cJSON *csr = cJSON_GetObjectItemCaseSensitive(doc, "certificateSigningRequest");
	if (!cJSON_IsString(csr) || !csr->valuestring[0] || strlen(csr->valuestring) > CSR_MAX)
		return fail(why, why_len,
		            "certificateSigningRequest must be a PEM string of at most %d bytes",
		            CSR_MAX);
	out->csr = strdup(csr->valuestring);
	return out->csr ? 0 : -ENOMEM;
}

static int parse_provision(const cJSON *doc, struct ck_provreq *out, char *why, size_t why_len)
{
	const cJSON *tok = cJSON_GetObjectItemCaseSensitive(doc, "certificateOwnershipToken");
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(doc, "parameters");
	if (!cJSON_IsString(tok) || !tok->valuestring[0] ||
	    strlen(tok->valuestring) > CK_PROVREQ_TOKEN_MAX)
		return fail(why, why_len, "certificateOwnershipToken must be a string");
	snprintf(out->token, sizeof(out->token), "%s", tok->valuestring);
	if (params && !cJSON_IsObject(params))
		return fail(why, why_len, "parameters must be an object of strings");
	out->parameters = cJSON_CreateObject();
	if (!out->parameters)
		return -ENOMEM;
	int n = 0;
	const cJSON *p;
	cJSON_ArrayForEach(p, params)
	{
		size_t klen = p->string ? strlen(p->string) : 0;
		if (++n > CK_PROVREQ_PARAMS_MAX)
			return fail(why, why_len, "at most %d parameters", CK_PROVREQ_PARAMS_MAX);
		if (!cJSON_IsString(p) || klen < 1 || klen > 128 ||
		    strlen(p->valuestring) > CK_PROVREQ_VALUE_MAX)
			return fail(why, why_len,
			            "parameters must be names of 1 to 128 bytes with string values "
			            "of at most %d bytes",
			            CK_PROVREQ_VALUE_MAX);
		for (size_t i = 0; i < klen; i++)
			if (!name_char(p->string[i]))
				return fail(why, why_len, "parameter names are A-Z a-z 0-9 _ -");
		if (cJSON_GetObjectItemCaseSensitive(out->parameters, p->string))
			return fail(why, why_len, "parameter %s given twice", p->string);
		if (!cJSON_AddStringToObject(out->parameters, p->string, p->valuestring))
			return -ENOMEM;
	}
	return 0;
}

int ck_provreq_parse(const void *buf, size_t len, struct ck_provreq *out, char *why, size_t why_len)
{
	const char *p = buf, *end = p + len;
	memset(out, 0, sizeof(*out));
	if (len > CK_PROVREQ_MAX) {
		fail(why, why_len, "request larger than %d bytes", CK_PROVREQ_MAX);
		return -E2BIG;
	}
	if (len < strlen(HEADER) || memcmp(p, HEADER, strlen(HEADER)) != 0)
		return fail(why, why_len, "not a provisioning relay frame");
	p += strlen(HEADER);
	char topic[sizeof(out->topic)];
	if (line(&p, end, out->client_id, sizeof(out->client_id)) != 0 ||
	    line(&p, end, out->thing, sizeof(out->thing)) != 0 ||
	    line(&p, end, topic, sizeof(topic)) != 0 || p >= end || *p != '\n') {
		out->client_id[0] = '\0';
		return fail(why, why_len, "malformed relay frame");
	}
	p++;
	if (strcmp(topic, CSR_TOPIC) == 0)
		out->kind = CK_PROVREQ_CSR;
	else if (template_of(topic, out->template_name, sizeof(out->template_name)) == 0)
		out->kind = CK_PROVREQ_PROVISION;
	else
		return fail(why, why_len, "not a provisioning topic");
	memcpy(out->topic, topic, sizeof(topic));
	cJSON *doc = cJSON_ParseWithLength(p, (size_t)(end - p));
	int rc;
	if (!cJSON_IsObject(doc))
		rc = fail(why, why_len, "the payload is not a JSON object");
	else if (out->kind == CK_PROVREQ_CSR)
		rc = parse_csr(doc, out, why, why_len);
	else
		rc = parse_provision(doc, out, why, why_len);
	cJSON_Delete(doc);
	if (rc == -ENOMEM && why && why_len)
		snprintf(why, why_len, "out of memory");
	return rc;
}

void ck_provreq_cleanup(struct ck_provreq *r)
{
	free(r->csr);
	cJSON_Delete(r->parameters);
	r->csr = NULL;
	r->parameters = NULL;
}
