/*
 * clickctl's "claims" commands, provisioning by claim over the API
 * (docs/api.md "Provisioning by claim"): provisioning templates (put from
 * a JSON file or from options, list, show, delete), claim certificates
 * ("claims create" writes a claim bundle directory that `clickbtn
 * provision --claim` takes: cert.pem, key.pem 0600, ca.pem,
 * clickbtn.conf naming the claim) and the claim log. The claim's private
 * key exists only in the API reply, in memory here (cleared after use)
 * and in key.pem, written through a temporary file and a rename and
 * replaced only with --force.
 */
#include "clickctl/clickctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEG      (128 * 3 + 1) /* an escaped name */
#define FILE_MAX (1024 * 1024)
#define PATH_LEN 4096

static int need_operands(struct ck_ctl *c, size_t n, const char *usage)
{
	if (c->n_operands != n)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "usage: clickctl claims %s", usage);
	return CK_CTL_EXIT_OK;
}

static int template_path(struct ck_ctl *c, char *path, size_t len)
{
	char esc[SEG];
	if (ck_cli_url_escape(c->operands[0], esc, sizeof(esc)) != 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "template name too long: %s", c->operands[0]);
	snprintf(path, len, "/provisioning-templates/%s", esc);
	return CK_CTL_EXIT_OK;
}

/* Sends one request; prints the reply as JSON (--json or no line) or line. */
static int send(struct ck_ctl *c, const char *method, const char *path, const cJSON *body,
                const char *line, cJSON **keep)
{
	cJSON *resp = NULL;
	struct ck_ctl_api_error e;
	int rc = ck_ctl_api(c->http, method, path, body, &resp, &e);
	if (rc == CK_CTL_EXIT_FAIL)
		rc = ck_ctl_print_api_error(&e);
	if (rc == CK_CTL_EXIT_OK && !keep) {
		if (!resp)
			resp = cJSON_CreateObject();
		if (c->json || !line)
			rc = ck_ctl_print_json(resp);
		else
			printf("%s\n", line);
	}
	if (keep && rc == CK_CTL_EXIT_OK)
		*keep = resp;
	else
		cJSON_Delete(resp);
	return rc;
}

/* Reads a whole file (at most FILE_MAX bytes) into a new string. */
static char *slurp(const char *path, int *rc)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		*rc = ck_ctl_fail(CK_CTL_EXIT_FAIL, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = malloc(FILE_MAX + 1);
	size_t n = buf ? fread(buf, 1, FILE_MAX + 1, f) : 0;
	fclose(f);
	if (!buf || n > FILE_MAX) {
		free(buf);
		*rc = ck_ctl_fail(CK_CTL_EXIT_FAIL, "%s: larger than %d bytes or out of memory",
		                  path, FILE_MAX);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* The template document from --definition-file, or built from options. */
static cJSON *template_doc(struct ck_ctl *c, int *rc)
{
	const char *file = ck_cli_opt_value(c->args, CK_CTL_OPT_DEFINITION_FILE);
	const char *pattern = ck_cli_opt_value(c->args, CK_CTL_OPT_THING);
	const char *type = ck_cli_opt_value(c->args, CK_CTL_OPT_THING_TYPE);
	const char *policy = ck_cli_opt_value(c->args, CK_CTL_OPT_POLICY);
	cJSON *doc = NULL, *attrs = NULL, *serials = NULL;

	*rc = CK_CTL_EXIT_OK;
	if (file) {
		if (pattern || type || policy || ck_cli_opt_value(c->args, CK_CTL_OPT_ATTR) ||
		    ck_cli_opt_value(c->args, CK_CTL_OPT_SERIAL)) {
			*rc = ck_ctl_fail(CK_CTL_EXIT_USAGE,
			                  "give the template either in --definition-file or as "
			                  "options, not both");
			return NULL;
		}
		char *text = slurp(file, rc);
		if (!text)
			return NULL;
		doc = cJSON_Parse(text);
		free(text);
		if (!cJSON_IsObject(doc)) {
			cJSON_Delete(doc);
			*rc = ck_ctl_fail(CK_CTL_EXIT_FAIL, "%s does not hold a JSON object", file);
			return NULL;
		}
		return doc;
	}
	if (!pattern) {
		*rc = ck_ctl_fail(CK_CTL_EXIT_USAGE,
		                  "a template needs --thing PATTERN (e.g. 'btn-${SerialNumber}') "
		                  "or --definition-file FILE");
		return NULL;
	}
	doc = cJSON_CreateObject();
	if (!doc || !cJSON_AddStringToObject(doc, "thingNamePattern", pattern) ||
	    (type && !cJSON_AddStringToObject(doc, "thingType", type)) ||
	    (policy && !cJSON_AddStringToObject(doc, "policy", policy)))
		goto nomem;
	for (size_t i = 0; i < c->args->n_opts; i++) {
		const char *arg = c->args->opts[i].value;
		if (c->args->opts[i].id == CK_CTL_OPT_SERIAL) {
			if (!serials)
				serials = cJSON_AddArrayToObject(doc, "allowedSerials");
			if (!serials || !cJSON_AddItemToArray(serials, cJSON_CreateString(arg)))
				goto nomem;
		} else if (c->args->opts[i].id == CK_CTL_OPT_ATTR) {
			char key[256];
			size_t n;
			if (ck_cli_attr_split(arg, &n) < 0 || n >= sizeof(key)) {
				cJSON_Delete(doc);
				*rc = ck_ctl_fail(CK_CTL_EXIT_USAGE,
				                  "--attr needs KEY=VALUE, not \"%s\"", arg);
				return NULL;
			}
			memcpy(key, arg, n);
			key[n] = '\0';
			if (!attrs)
				attrs = cJSON_AddObjectToObject(doc, "attributes");
			if (!attrs || !cJSON_AddStringToObject(attrs, key, arg + n + 1))
				goto nomem;
		}
	}
	return doc;
nomem:
	cJSON_Delete(doc);
	*rc = ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
	return NULL;
}

/* PUT /provisioning-templates/NAME; see clickctl.h. */
int ck_ctl_claims_template_put(struct ck_ctl *c)
{
	char path[512], line[256];
	int rc = need_operands(c, 1,
	                       "template-put NAME (--definition-file FILE | --thing PATTERN "
	                       "...)");
	if (rc == CK_CTL_EXIT_OK)
		rc = template_path(c, path, sizeof(path));
	if (rc != CK_CTL_EXIT_OK)
		return rc;
	cJSON *doc = template_doc(c, &rc);
	if (!doc)
		return rc;
	snprintf(line, sizeof(line), "template %s saved", c->operands[0]);
	rc = send(c, "PUT", path, doc, line, NULL);
	cJSON_Delete(doc);
	return rc;
}

/* GET /provisioning-templates/NAME; see clickctl.h. */
int ck_ctl_claims_template_show(struct ck_ctl *c)
{
	char path[512];
	int rc = need_operands(c, 1, "template-show NAME");
	if (rc == CK_CTL_EXIT_OK)
		rc = template_path(c, path, sizeof(path));
	return rc == CK_CTL_EXIT_OK ? send(c, "GET", path, NULL, NULL, NULL) : rc;
}

/* DELETE /provisioning-templates/NAME; see clickctl.h. */
int ck_ctl_claims_template_delete(struct ck_ctl *c)
{
	char path[512], line[256];
	int rc = need_operands(c, 1, "template-delete NAME");
	if (rc == CK_CTL_EXIT_OK)
		rc = template_path(c, path, sizeof(path));
	if (rc != CK_CTL_EXIT_OK)
		return rc;
	snprintf(line, sizeof(line), "template %s deleted", c->operands[0]);
	return send(c, "DELETE", path, NULL, line, NULL);
}

/* One provisioning template's row: NAME THING-PATTERN TYPE SERIALS HOOK. */
static int template_row(struct ck_cli_table *t, const cJSON *it)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(it, "document");
	const char *type = ck_ctl_json_str(d, "thingType");
	const cJSON *serials = cJSON_GetObjectItemCaseSensitive(d, "allowedSerials");
	char n[32];
	snprintf(n, sizeof(n), "%d", cJSON_IsArray(serials) ? cJSON_GetArraySize(serials) : 0);
	const char *name = ck_ctl_json_str(it, "templateName");
	const char *pattern = ck_ctl_json_str(d, "thingNamePattern");
	const char *cells[] = { name ? name : "-", pattern ? pattern : "-", type ? type : "-", n,
		                cJSON_GetObjectItemCaseSensitive(d, "hook") ? "yes" : "no" };
	return ck_cli_table_add(t, cells);
}

/* GET /provisioning-templates as a table; see clickctl.h. */
int ck_ctl_claims_template_list(struct ck_ctl *c)
{
	static const char *const head[] = { "NAME", "THING-PATTERN", "TYPE", "SERIALS", "HOOK" };
	int rc = need_operands(c, 0, "template-list");
	if (rc != CK_CTL_EXIT_OK)
		return rc;
	return ck_ctl_list_print(c, "/provisioning-templates", 5, head, template_row);
}

/* One claim log entry's row: AT CLAIM CLIENT-ID OPERATION SERIAL THING OUTCOME
 * REASON. */
static int claim_log_row(struct ck_cli_table *t, const cJSON *it)
{
	static const char *const keys[] = { "claim", "clientId", "operation", "serial",
		                            "thing", "outcome",  "reason" };
	char at[64];
	const char *cells[8];
	cells[0] = ck_ctl_json_time(it, "at", at, sizeof(at));
	for (size_t k = 0; k < 7; k++) {
		const char *v = ck_ctl_json_str(it, keys[k]);
		cells[k + 1] = v && v[0] ? v : "-";
	}
	return ck_cli_table_add(t, cells);
}

/* GET /claims/log as a table; see clickctl.h. */
int ck_ctl_claims_log(struct ck_ctl *c)
{
	static const char *const head[] = { "AT",     "CLAIM", "CLIENT-ID", "OPERATION",
		                            "SERIAL", "THING", "OUTCOME",   "REASON" };
	const char *claim = ck_cli_opt_value(c->args, CK_CTL_OPT_THING);
	char path[512], esc[SEG];
	int rc = need_operands(c, 0, "log [--thing CLAIM]");
	if (rc != CK_CTL_EXIT_OK)
		return rc;
	if (claim && ck_cli_url_escape(claim, esc, sizeof(esc)) != 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "claim name too long: %s", claim);
	snprintf(path, sizeof(path), "/claims/log%s%s", claim ? "?thing=" : "", claim ? esc : "");
	return ck_ctl_list_print(c, path, 8, head, claim_log_row);
}

/* ---- claims create: the claim bundle ---- */

static int make_dirs(const char *dir)
{
	char path[PATH_LEN];
	struct stat st;
	size_t n = strlen(dir);
	if (n == 0 || n >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return -errno;
		path[i] = i == n ? '\0' : '/';
	}
	if (stat(dir, &st) != 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/* dir/name with exactly mode, through a temporary file: renamed over the
 * target (replace) or linked, failing with -EEXIST when it exists. */
static int write_file(const char *dir, const char *name, const char *data, mode_t mode,
                      bool replace)
{
	char tmp[PATH_LEN], final[PATH_LEN];
	if (snprintf(final, sizeof(final), "%s/%s", dir, name) >= (int)sizeof(final) ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.tmp.%ld", dir, name, (long)getpid()) >=
	        (int)sizeof(tmp))
		return -ENAMETOOLONG;
	unlink(tmp);
	int fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	int rc = fchmod(fd, mode) == 0 ? 0 : -errno;
	for (size_t len = strlen(data); rc == 0 && len > 0;) {
		ssize_t w = write(fd, data, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = -errno;
			break;
		}
		data += w;
		len -= (size_t)w;
	}
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0)
		rc = replace ? (rename(tmp, final) == 0 ? 0 : -errno)
		             : (link(tmp, final) == 0 ? 0 : -errno);
	unlink(tmp);
	return rc;
}

static void clear_string(cJSON *o, const char *key)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (cJSON_IsString(v))
		explicit_bzero(v->valuestring, strlen(v->valuestring));
}

/* POST /claims, then the bundle in --out; see clickctl.h. */
int ck_ctl_claims_create(struct ck_ctl *c)
{
	const char *tpl = ck_cli_opt_value(c->args, CK_CTL_OPT_TEMPLATE);
	const char *dir = ck_cli_opt_value(c->args, CK_CTL_OPT_OUT);
	bool force = ck_cli_opt_value(c->args, CK_CTL_OPT_FORCE) != NULL;
	char keypath[PATH_LEN];
	cJSON *body = NULL, *reply = NULL;
	char *conf = NULL;
	int rc = need_operands(c, 1, "create NAME --template T --out DIR [--force]");
	if (rc != CK_CTL_EXIT_OK)
		return rc;
	if (!tpl || !dir)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE,
		                   "claims create needs --template T and --out DIR (try clickctl "
		                   "claims create --help)");
	/* Before asking for a certificate: the directory can take the key. */
	int e = make_dirs(dir);
	if (e < 0)
		return ck_ctl_fail(CK_CTL_EXIT_FAIL, "cannot create %s: %s", dir, strerror(-e));
	if (snprintf(keypath, sizeof(keypath), "%s/key.pem", dir) >= (int)sizeof(keypath))
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "%s: name too long", dir);
	if (!force && access(keypath, F_OK) == 0)
		return ck_ctl_fail(CK_CTL_EXIT_FAIL, "%s exists; pass --force to replace it",
		                   keypath);
	body = cJSON_CreateObject();
	if (!body || !cJSON_AddStringToObject(body, "name", c->operands[0]) ||
	    !cJSON_AddStringToObject(body, "template", tpl)) {
		cJSON_Delete(body);
		return ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
	}
	rc = send(c, "POST", "/claims", body, NULL, &reply);
	cJSON_Delete(body);
	if (rc != CK_CTL_EXIT_OK)
		return rc;
	const char *cert = ck_ctl_json_str(reply, "certificatePem");
	const char *key = ck_ctl_json_str(reply, "privateKeyPem");
	const char *ca = ck_ctl_json_str(reply, "caPem");
	const cJSON *ep = cJSON_GetObjectItemCaseSensitive(reply, "endpoint");
	const char *host = ck_ctl_json_str(ep, "host");
	const cJSON *port = cJSON_GetObjectItemCaseSensitive(ep, "port");
	if (!cert || !key || !ca || !host || !cJSON_IsNumber(port) ||
	    ck_cli_btn_conf(host, (long)port->valuedouble, c->operands[0], &conf) < 0) {
		rc = ck_ctl_fail(CK_CTL_EXIT_FAIL, "clickd's reply lacks the certificate, key, CA "
		                                   "or a usable endpoint");
		goto out;
	}
	static const char *const names[] = { "key.pem", "cert.pem", "ca.pem", "clickbtn.conf" };
	const char *data[] = { key, cert, ca, conf };
	for (size_t i = 0; i < 4; i++) {
		e = write_file(dir, names[i], data[i], i == 0 ? 0600 : 0644, i != 0 || force);
		if (e < 0) {
			rc = ck_ctl_fail(CK_CTL_EXIT_FAIL, "cannot write %s/%s: %s", dir, names[i],
			                 strerror(-e));
			goto out;
		}
	}
	if (c->json) {
		clear_string(reply, "privateKeyPem");
		cJSON_DeleteItemFromObjectCaseSensitive(reply, "privateKeyPem");
		cJSON_AddStringToObject(reply, "directory", dir);
		rc = ck_ctl_print_json(reply);
	} else {
		printf("claim %s for template %s: wrote %s\n"
		       "next, on the device: clickbtn provision --claim %s --template %s --serial "
		       "SERIAL\n",
		       c->operands[0], tpl, dir, dir, tpl);
	}
out:
	clear_string(reply, "privateKeyPem");
	cJSON_Delete(reply);
	free(conf);
	return rc;
}
