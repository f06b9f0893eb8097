/*
 * clickctl's registry commands beyond "thing create": thing show, update,
 * delete and list filters; certificate list, show, status changes,
 * attach, detach and registration; CA list, registration, rotation and
 * retirement. Each is one API call (docs/api.md); the output is the API's
 * document with --json, otherwise a short line or a table.
 */
#include "clickctl/clickctl.h"
#include "core/name.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_LEN  1024
#define FILE_MAX  (64 * 1024)
#define ESC_LEN   (3 * 128 + 1)
#define FP_HEXLEN 64

/* Reads a PEM file of at most FILE_MAX bytes; NULL after printing why. */
static char *read_pem(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (!f) {
		ck_ctl_fail(CK_CTL_EXIT_FAIL, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(FILE_MAX + 1);
	n = buf ? fread(buf, 1, FILE_MAX + 1, f) : 0;
	fclose(f);
	if (!buf || n > FILE_MAX) {
		free(buf);
		ck_ctl_fail(CK_CTL_EXIT_FAIL, "%s: larger than %d bytes", path, FILE_MAX);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* Sends one request and prints the reply (JSON or line). */
static int call(struct ck_ctl *c, const char *method, const char *path, const cJSON *body,
                const char *pre, const char *arg, const char *post)
{
	struct ck_ctl_api_error e;
	cJSON *reply = NULL;
	int rc = ck_ctl_api(c->http, method, path, body, &reply, &e);

	if (rc == CK_CTL_EXIT_FAIL)
		return ck_ctl_print_api_error(&e);
	if (rc != CK_CTL_EXIT_OK)
		return rc;
	if (c->json)
		rc = ck_ctl_print_json(reply);
	else
		printf("%s%s%s\n", pre, arg, post);
	cJSON_Delete(reply);
	return rc;
}

static int one_name(struct ck_ctl *c, const char *what, char esc[ESC_LEN])
{
	if (c->n_operands != 1)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "%s needs exactly one NAME", what);
	if (!ck_name_valid(c->operands[0]))
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "invalid name \"%s\"", c->operands[0]);
	ck_cli_url_escape(c->operands[0], esc, ESC_LEN);
	return CK_CTL_EXIT_OK;
}

static bool fp_valid(const char *fp)
{
	if (strlen(fp) != FP_HEXLEN)
		return false;
	for (size_t i = 0; i < FP_HEXLEN; i++)
		if (!((fp[i] >= '0' && fp[i] <= '9') || (fp[i] >= 'a' && fp[i] <= 'f')))
			return false;
	return true;
}

/* clickctl thing show NAME */
int ck_ctl_thing_show(struct ck_ctl *c)
{
	char esc[ESC_LEN], path[PATH_LEN];
	struct ck_ctl_api_error e;
	cJSON *t = NULL;
	int rc = one_name(c, "thing show", esc);

	if (rc)
		return rc;
	snprintf(path, sizeof(path), "/things/%s", esc);
	rc = ck_ctl_api(c->http, "GET", path, NULL, &t, &e);
	if (rc == CK_CTL_EXIT_FAIL)
		return ck_ctl_print_api_error(&e);
	if (rc == CK_CTL_EXIT_OK)
		rc = ck_ctl_print_json(t);
	cJSON_Delete(t);
	return rc;
}

/* clickctl thing update NAME [--type T] [--attr K=V]... [--enabled yes|no]:
 * attributes are merged (an empty value removes one). */
int ck_ctl_thing_update(struct ck_ctl *c)
{
	char esc[ESC_LEN], path[PATH_LEN];
	const char *type = ck_cli_opt_value(c->args, CK_CTL_OPT_TYPE);
	const char *enabled = ck_cli_opt_value(c->args, CK_CTL_OPT_ENABLED);
	cJSON *body = NULL, *attrs = NULL;
	int rc = one_name(c, "thing update", esc);

	if (rc)
		return rc;
	body = cJSON_CreateObject();
	if (!body)
		return ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
	if (type)
		cJSON_AddStringToObject(body, "type", type);
	if (enabled) {
		if (strcmp(enabled, "yes") != 0 && strcmp(enabled, "no") != 0) {
			rc = ck_ctl_fail(CK_CTL_EXIT_USAGE, "--enabled takes yes or no");
			goto out;
		}
		cJSON_AddBoolToObject(body, "enabled", strcmp(enabled, "yes") == 0);
	}
	for (size_t i = 0; i < c->args->n_opts; i++) {
		const char *arg = c->args->opts[i].value;
		char key[CK_NAME_MAX + 1];
		size_t key_len;

		if (c->args->opts[i].id != CK_CTL_OPT_ATTR)
			continue;
		if (ck_cli_attr_split(arg, &key_len) < 0 || key_len >= sizeof(key)) {
			rc = ck_ctl_fail(CK_CTL_EXIT_USAGE, "--attr needs KEY=VALUE, not \"%s\"",
			                 arg);
			goto out;
		}
		memcpy(key, arg, key_len);
		key[key_len] = '\0';
		if (!attrs) {
			attrs = cJSON_AddObjectToObject(body, "attributes");
			cJSON_AddBoolToObject(body, "merge", true);
		}
		cJSON_DeleteItemFromObjectCaseSensitive(attrs, key);
		cJSON_AddStringToObject(attrs, key, arg + key_len + 1);
	}
	if (cJSON_GetArraySize(body) == 0) {
		rc = ck_ctl_fail(CK_CTL_EXIT_USAGE,
		                 "thing update needs --type, --attr or --enabled");
		goto out;
	}
	snprintf(path, sizeof(path), "/things/%s", esc);
	rc = call(c, "PATCH", path, body, "updated thing ", c->operands[0], "");
out:
	cJSON_Delete(body);
	return rc;
}

/* clickctl thing delete NAME */
int ck_ctl_thing_delete(struct ck_ctl *c)
{
	char esc[ESC_LEN], path[PATH_LEN];
	int rc = one_name(c, "thing delete", esc);

	if (rc)
		return rc;
	snprintf(path, sizeof(path), "/things/%s", esc);
	return call(c, "DELETE", path, NULL, "deleted thing ", c->operands[0], "");
}

/* The query string of "thing list" filters into q ("" when none). */
int ck_ctl_thing_list_query(struct ck_ctl *c, char *q, size_t len)
{
	const char *type = ck_cli_opt_value(c->args, CK_CTL_OPT_TYPE);
	const char *attr = ck_cli_opt_value(c->args, CK_CTL_OPT_ATTR);
	char esc_t[ESC_LEN], esc_a[3 * 1024 + 1];
	size_t key_len;

	q[0] = '\0';
	if (attr && (ck_cli_attr_split(attr, &key_len) < 0 || strlen(attr) > 1000))
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "--attr needs KEY=VALUE, not \"%s\"", attr);
	if (type)
		ck_cli_url_escape(type, esc_t, sizeof(esc_t));
	if (attr)
		ck_cli_url_escape(attr, esc_a, sizeof(esc_a));
	snprintf(q, len, "%s%s%s%s%s", type || attr ? "?" : "", type ? "type=" : "",
	         type ? esc_t : "",
	         type && attr ? "&attr="
	         : attr       ? "attr="
	                      : "",
	         attr ? esc_a : "");
	return CK_CTL_EXIT_OK;
}

/* One certificate's row: FINGERPRINT THING STATUS ISSUER CREATED. */
static int cert_row(struct ck_cli_table *t, const cJSON *it)
{
	char created[40], issuer[20] = "";
	const char *iss = ck_ctl_json_str(it, "issuer");
	if (iss)
		snprintf(issuer, sizeof(issuer), "%.16s", iss);
	const char *row[] = { ck_ctl_json_str(it, "fingerprint"), ck_ctl_json_str(it, "thing"),
		              ck_ctl_json_str(it, "status"), issuer,
		              ck_ctl_json_time(it, "createdAt", created, sizeof(created)) };
	return ck_cli_table_add(t, row);
}

/* clickctl cert list [--thing T] [--status S] */
int ck_ctl_cert_list(struct ck_ctl *c)
{
	static const char *const head[] = { "FINGERPRINT", "THING", "STATUS", "ISSUER", "CREATED" };
	const char *thing = ck_cli_opt_value(c->args, CK_CTL_OPT_THING);
	const char *status = ck_cli_opt_value(c->args, CK_CTL_OPT_STATUS);
	char path[PATH_LEN], esc_t[ESC_LEN], esc_s[ESC_LEN];

	if (c->n_operands != 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "cert list takes no arguments");
	ck_cli_url_escape(thing ? thing : "", esc_t, sizeof(esc_t));
	ck_cli_url_escape(status ? status : "", esc_s, sizeof(esc_s));
	snprintf(path, sizeof(path), "/certificates%s%s%s%s%s", thing || status ? "?" : "",
	         thing ? "thing=" : "", thing ? esc_t : "",
	         thing && status ? "&status="
	         : status        ? "status="
	                         : "",
	         status ? esc_s : "");
	return ck_ctl_list_print(c, path, 5, head, cert_row);
}

static int cert_path(struct ck_ctl *c, size_t operands, const char *what, const char *suffix,
                     char *path, size_t len)
{
	if (c->n_operands != operands)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "%s", what);
	if (!fp_valid(c->operands[0]))
		return ck_ctl_fail(CK_CTL_EXIT_USAGE,
		                   "\"%s\" is not a fingerprint (64 lowercase hex digits)",
		                   c->operands[0]);
	snprintf(path, len, "/certificates/%s%s", c->operands[0], suffix);
	return CK_CTL_EXIT_OK;
}

/* clickctl cert show FINGERPRINT */
int ck_ctl_cert_show(struct ck_ctl *c)
{
	char path[PATH_LEN];
	struct ck_ctl_api_error e;
	cJSON *doc = NULL;
	int rc = cert_path(c, 1, "cert show needs FINGERPRINT", "", path, sizeof(path));

	if (rc)
		return rc;
	rc = ck_ctl_api(c->http, "GET", path, NULL, &doc, &e);
	if (rc == CK_CTL_EXIT_FAIL)
		return ck_ctl_print_api_error(&e);
	if (rc == CK_CTL_EXIT_OK)
		rc = ck_ctl_print_json(doc);
	cJSON_Delete(doc);
	return rc;
}

static int set_status(struct ck_ctl *c, const char *status, const char *done)
{
	char path[PATH_LEN];
	int rc = cert_path(c, 1, "needs FINGERPRINT", "", path, sizeof(path));
	cJSON *body;

	if (rc)
		return rc;
	body = cJSON_CreateObject();
	if (!body || !cJSON_AddStringToObject(body, "status", status)) {
		cJSON_Delete(body);
		return ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
	}
	rc = call(c, "PUT", path, body, "certificate ", c->operands[0], done);
	cJSON_Delete(body);
	return rc;
}

/* clickctl cert activate|deactivate|revoke FINGERPRINT */
int ck_ctl_cert_activate(struct ck_ctl *c)
{
	return set_status(c, "active", " is active");
}

int ck_ctl_cert_deactivate(struct ck_ctl *c)
{
	return set_status(c, "inactive",
	                  " is inactive; its connections are closed within a second");
}

int ck_ctl_cert_revoke(struct ck_ctl *c)
{
	return set_status(c, "revoked",
	                  " is revoked for good; its connections are closed within a second");
}

/* clickctl cert attach FINGERPRINT THING | cert detach FINGERPRINT */
int ck_ctl_cert_attach(struct ck_ctl *c)
{
	char path[PATH_LEN];
	int rc =
	    cert_path(c, 2, "cert attach needs FINGERPRINT THING", "/thing", path, sizeof(path));
	cJSON *body;

	if (rc)
		return rc;
	body = cJSON_CreateObject();
	if (!body || !cJSON_AddStringToObject(body, "thing", c->operands[1])) {
		cJSON_Delete(body);
		return ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
	}
	rc = call(c, "PUT", path, body, "attached certificate ", c->operands[0], "");
	cJSON_Delete(body);
	return rc;
}

int ck_ctl_cert_detach(struct ck_ctl *c)
{
	char path[PATH_LEN];
	int rc = cert_path(c, 1, "cert detach needs FINGERPRINT", "/thing", path, sizeof(path));

	if (rc)
		return rc;
	return call(c, "DELETE", path, NULL, "detached certificate ", c->operands[0], "");
}

/* clickctl cert register THING --cert-file FILE: a certificate signed by a
 * registered CA. */
int ck_ctl_cert_register(struct ck_ctl *c)
{
	const char *file = ck_cli_opt_value(c->args, CK_CTL_OPT_CERT_FILE);
	char *pem;
	cJSON *body;
	int rc;

	if (c->n_operands != 1 || !file)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "cert register needs THING --cert-file FILE");
	pem = read_pem(file);
	if (!pem)
		return CK_CTL_EXIT_FAIL;
	body = cJSON_CreateObject();
	if (!body || !cJSON_AddStringToObject(body, "certificatePem", pem) ||
	    !cJSON_AddStringToObject(body, "thing", c->operands[0]))
		rc = ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
	else
		rc = call(c, "POST", "/certificates", body, "registered a certificate for ",
		          c->operands[0], "");
	cJSON_Delete(body);
	free(pem);
	return rc;
}

/* One CA's row: FINGERPRINT ORIGIN STATUS SUBJECT. */
static int ca_row(struct ck_cli_table *t, const cJSON *it)
{
	const char *row[] = { ck_ctl_json_str(it, "fingerprint"), ck_ctl_json_str(it, "origin"),
		              ck_ctl_json_str(it, "status"), ck_ctl_json_str(it, "subject") };
	return ck_cli_table_add(t, row);
}

/* clickctl ca list (extra operands are ignored) */
int ck_ctl_ca_list(struct ck_ctl *c)
{
	static const char *const head[] = { "FINGERPRINT", "ORIGIN", "STATUS", "SUBJECT" };
	return ck_ctl_list_print(c, "/cas", 4, head, ca_row);
}

/* clickctl ca register --ca-file FILE --crl-file FILE */
int ck_ctl_ca_register(struct ck_ctl *c)
{
	const char *ca_file = ck_cli_opt_value(c->args, CK_CTL_OPT_CA_FILE);
	const char *crl_file = ck_cli_opt_value(c->args, CK_CTL_OPT_CRL_FILE);
	char *ca = NULL, *crl = NULL;
	cJSON *body = NULL;
	int rc = CK_CTL_EXIT_FAIL;

	if (c->n_operands != 0 || !ca_file || !crl_file)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE,
		                   "ca register needs --ca-file FILE --crl-file FILE");
	ca = read_pem(ca_file);
	crl = ca ? read_pem(crl_file) : NULL;
	if (!crl)
		goto out;
	body = cJSON_CreateObject();
	if (!body || !cJSON_AddStringToObject(body, "caPem", ca) ||
	    !cJSON_AddStringToObject(body, "crlPem", crl)) {
		rc = ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
		goto out;
	}
	rc = call(c, "POST", "/cas", body, "registered the CA in ", ca_file, "");
out:
	cJSON_Delete(body);
	free(ca);
	free(crl);
	return rc;
}

/* clickctl ca rotate */
int ck_ctl_ca_rotate(struct ck_ctl *c)
{
	if (c->n_operands != 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "ca rotate takes no arguments");
	return call(c, "POST", "/cas/rotate", NULL,
	            "new certificates now come from a new CA; the previous one stays trusted ", "",
	            "until ca retire");
}

/* clickctl ca retire FINGERPRINT | ca update FINGERPRINT --crl-file FILE */
int ck_ctl_ca_retire(struct ck_ctl *c)
{
	const char *crl_file = ck_cli_opt_value(c->args, CK_CTL_OPT_CRL_FILE);
	char path[PATH_LEN], *crl = NULL;
	cJSON *body;
	int rc;

	if (c->n_operands != 1 || !fp_valid(c->operands[0]))
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "needs a CA FINGERPRINT (64 hex digits)");
	snprintf(path, sizeof(path), "/cas/%s", c->operands[0]);
	body = cJSON_CreateObject();
	if (!body)
		return ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
	if (crl_file) {
		crl = read_pem(crl_file);
		if (!crl) {
			cJSON_Delete(body);
			return CK_CTL_EXIT_FAIL;
		}
		cJSON_AddStringToObject(body, "crlPem", crl);
	} else {
		cJSON_AddStringToObject(body, "status", "retired");
	}
	rc = call(c, "PUT", path, body, crl_file ? "updated the CRL of CA " : "retired CA ",
	          c->operands[0], "");
	cJSON_Delete(body);
	free(crl);
	return rc;
}
