/*
 * clickctl's "policy" commands. "policy test" decides one request against a
 * policy file locally, with the engine the broker plugin uses (src/policy),
 * so its answer is the broker's; it needs no server. The others manage
 * policies, their versions and their attachments to certificates through
 * the HTTP API (docs/api.md "Policies"), which validates documents with the
 * same engine.
 */
#include "clickctl/clickctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/name.h"
#include "policy/policy.h"

#define PATH_MAX_LEN 1024

/*
 * Reads a policy file (at most CK_POLICY_DOC_MAX bytes) into a new
 * NUL-terminated buffer. Returns 0, or a negative errno with the reason in
 * err.
 */
static int read_policy_file(const char *path, char **out, size_t *len, char *err, size_t err_len)
{
	char *buf = malloc(CK_POLICY_DOC_MAX + 2);
	size_t n = 0;
	int rc = 0;

	*out = NULL;
	if (!buf) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	int fd = strcmp(path, "-") == 0 ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, err_len, "cannot read %s: %s", path, strerror(errno));
		free(buf);
		return rc;
	}
	while (n <= CK_POLICY_DOC_MAX) {
		ssize_t r = read(fd, buf + n, CK_POLICY_DOC_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			snprintf(err, err_len, "cannot read %s: %s", path, strerror(errno));
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (!rc && n > CK_POLICY_DOC_MAX) {
		rc = -E2BIG;
		snprintf(err, err_len, "%s: the document is larger than %d bytes", path,
		         CK_POLICY_DOC_MAX);
	}
	if (rc) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/*
 * clickctl policy test --policy FILE --action ACTION --resource ARN
 * [--client-id ID] [--thing NAME] [--thing-type TYPE] [--attr K=V]...
 * [--cn NAME]. Prints ALLOW or DENY and the deciding statement; exits 0
 * for ALLOW, 1 for DENY, 2 for an invalid policy or invocation.
 */
int ck_ctl_policy_test(struct ck_ctl *c)
{
	const char *file = ck_cli_opt_value(c->args, CK_CTL_OPT_POLICY);
	const char *action_name = ck_cli_opt_value(c->args, CK_CTL_OPT_ACTION);
	const char *arn = ck_cli_opt_value(c->args, CK_CTL_OPT_RESOURCE);
	struct ck_policy_attr attrs[CK_CLI_MAX_ARGS];
	char keys[CK_CLI_MAX_ARGS][CK_NAME_MAX + 1];
	size_t n_attrs = 0;
	char err[400];
	char *doc = NULL;
	size_t len = 0;
	struct ck_policy *p = NULL;

	if (!file || !action_name || !arn)
		return ck_ctl_fail(
		    CK_CTL_EXIT_USAGE,
		    "policy test needs --policy FILE, --action ACTION and --resource "
		    "ARN (try clickctl policy test --help)");
	int action = ck_policy_action_parse(action_name);
	if (action < 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE,
		                   "unknown action \"%s\" (e.g. iot:Connect, iot:Publish, "
		                   "iot:Subscribe, iot:Receive, iot:RetainPublish)",
		                   action_name);
	const char *resource = ck_policy_arn_resource(arn);
	if (!resource)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE,
		                   "--resource must be a full ARN such as "
		                   "arn:aws:iot:us-east-1:123456789012:topic/iotbutton/dock-1, not "
		                   "\"%s\"",
		                   arn);
	/* "--attr a=1 b=2" is read as two attributes: the command takes no
	 * other operands. */
	for (size_t i = 0; i < c->args->n_opts + c->n_operands; i++) {
		size_t klen;
		const char *a;
		if (i < c->args->n_opts) {
			if (c->args->opts[i].id != CK_CTL_OPT_ATTR)
				continue;
			a = c->args->opts[i].value;
		} else {
			a = c->operands[i - c->args->n_opts];
		}
		if (ck_cli_attr_split(a, &klen) < 0 || klen > CK_NAME_MAX)
			return ck_ctl_fail(CK_CTL_EXIT_USAGE, "--attr needs KEY=VALUE, not \"%s\"",
			                   a);
		memcpy(keys[n_attrs], a, klen);
		keys[n_attrs][klen] = '\0';
		attrs[n_attrs].name = keys[n_attrs];
		attrs[n_attrs].value = a + klen + 1;
		n_attrs++;
	}
	int rc = read_policy_file(file, &doc, &len, err, sizeof(err));
	if (rc == 0)
		rc = ck_policy_parse(doc, len, &p, err, sizeof(err));
	free(doc);
	if (rc)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "invalid policy %s: %s", file, err);

	struct ck_policy_context ctx = {
		.client_id = ck_cli_opt_value(c->args, CK_CTL_OPT_CLIENT_ID),
		.thing_name = ck_cli_opt_value(c->args, CK_CTL_OPT_THING),
		.thing_type = ck_cli_opt_value(c->args, CK_CTL_OPT_THING_TYPE),
		.attrs = attrs,
		.n_attrs = n_attrs,
		.cert_cn = ck_cli_opt_value(c->args, CK_CTL_OPT_CN),
	};
	struct ck_policy_request req = {
		.action = (enum ck_policy_action)action,
		.resource = resource,
		.ctx = &ctx,
	};
	struct ck_policy_decision d;
	const struct ck_policy *set[1] = { p };
	enum ck_policy_effect effect = ck_policy_eval(set, 1, &req, &d);
	puts(effect == CK_POLICY_ALLOW ? "ALLOW" : "DENY");
	if (d.statement >= 0)
		printf("Statement[%d] %s\n", d.statement,
		       ck_policy_statement_json(p, (size_t)d.statement));
	else
		fprintf(stderr, "(denied by default: no statement allows this request)\n");
	ck_policy_free(p);
	return effect == CK_POLICY_ALLOW ? CK_CTL_EXIT_OK : CK_CTL_EXIT_FAIL;
}

/* Builds the API path fmt with the escaped operands. */
static int api_path(char *out, size_t len, const char *prefix, const char *a, const char *mid,
                    const char *b, const char *suffix)
{
	char ea[3 * 256 + 1], eb[3 * 256 + 1];

	if (ck_cli_url_escape(a, ea, sizeof(ea)) < 0 ||
	    (b && ck_cli_url_escape(b, eb, sizeof(eb)) < 0))
		return -ENOSPC;
	int n = snprintf(out, len, "%s%s%s%s%s", prefix, ea, mid ? mid : "", b ? eb : "",
	                 suffix ? suffix : "");
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

/* Sends a request and prints the answer (JSON with --json, else summary).
 * print may be NULL: then the JSON is printed. */
static int call(struct ck_ctl *c, const char *method, const char *path, const cJSON *body,
                int (*print)(const cJSON *resp))
{
	struct ck_ctl_api_error e;
	cJSON *resp = NULL;
	int rc = ck_ctl_api(c->http, method, path, body, &resp, &e);

	if (rc == CK_CTL_EXIT_FAIL)
		return ck_ctl_print_api_error(&e);
	if (rc != CK_CTL_EXIT_OK)
		return rc;
	rc = c->json || !print ? ck_ctl_print_json(resp) : print(resp);
	cJSON_Delete(resp);
	return rc;
}

static int print_policy(const cJSON *p)
{
	const cJSON *def = cJSON_GetObjectItemCaseSensitive(p, "defaultVersion");
	const cJSON *versions = cJSON_GetObjectItemCaseSensitive(p, "versions");
	const cJSON *certs = cJSON_GetObjectItemCaseSensitive(p, "certificates");
	const cJSON *v;

	printf("policy %s, default version %.0f\n", ck_ctl_json_str(p, "name"),
	       cJSON_IsNumber(def) ? def->valuedouble : 0);
	printf("versions:");
	cJSON_ArrayForEach(v, versions)
	{
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(v, "version");
		printf(" %.0f", cJSON_IsNumber(n) ? n->valuedouble : 0);
	}
	printf("\nattached to %d certificate(s)\n", cJSON_GetArraySize(certs));
	cJSON_ArrayForEach(v, certs)
	{
		if (cJSON_IsString(v))
			printf("  %s\n", v->valuestring);
	}
	char *doc = cJSON_Print(cJSON_GetObjectItemCaseSensitive(p, "document"));
	if (doc)
		printf("%s\n", doc);
	cJSON_free(doc);
	return CK_CTL_EXIT_OK;
}

static int print_version(const cJSON *v)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(v, "version");
	const cJSON *def = cJSON_GetObjectItemCaseSensitive(v, "isDefault");

	printf("policy %s version %.0f%s\n", ck_ctl_json_str(v, "policy"),
	       cJSON_IsNumber(n) ? n->valuedouble : 0, cJSON_IsTrue(def) ? " (default)" : "");
	char *doc = cJSON_Print(cJSON_GetObjectItemCaseSensitive(v, "document"));
	if (doc)
		printf("%s\n", doc);
	cJSON_free(doc);
	return CK_CTL_EXIT_OK;
}

static int print_done(const cJSON *resp)
{
	(void)resp;
	return CK_CTL_EXIT_OK;
}

/* A body {"name"?: name, "document": <file text>} from --policy. */
static int document_body(struct ck_ctl *c, const char *name, cJSON **body)
{
	const char *file = ck_cli_opt_value(c->args, CK_CTL_OPT_POLICY);
	char err[400];
	char *doc = NULL;
	size_t len;

	*body = NULL;
	if (!file)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "--policy FILE is required");
	if (read_policy_file(file, &doc, &len, err, sizeof(err)) < 0)
		return ck_ctl_fail(CK_CTL_EXIT_FAIL, "%s", err);
	*body = cJSON_CreateObject();
	if (!*body || (name && !cJSON_AddStringToObject(*body, "name", name)) ||
	    !cJSON_AddStringToObject(*body, "document", doc)) {
		free(doc);
		cJSON_Delete(*body);
		*body = NULL;
		return ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
	}
	free(doc);
	return CK_CTL_EXIT_OK;
}

/* clickctl policy create NAME --policy FILE */
int ck_ctl_policy_create(struct ck_ctl *c)
{
	cJSON *body;

	if (c->n_operands != 1)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "policy create needs exactly one NAME");
	int rc = document_body(c, c->operands[0], &body);
	if (rc)
		return rc;
	rc = call(c, "POST", "/policies", body, print_policy);
	cJSON_Delete(body);
	return rc;
}

/* One policy's row: NAME DEFAULT VERSIONS ATTACHED CREATED. */
static int policy_row(struct ck_cli_table *t, const cJSON *it)
{
	char def[24], nv[24], na[24], created[40];
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(it, "defaultVersion");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, "versions");
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(it, "attachments");
	snprintf(def, sizeof(def), "%.0f", cJSON_IsNumber(d) ? d->valuedouble : 0);
	snprintf(nv, sizeof(nv), "%.0f", cJSON_IsNumber(v) ? v->valuedouble : 0);
	snprintf(na, sizeof(na), "%.0f", cJSON_IsNumber(a) ? a->valuedouble : 0);
	const char *row[] = { ck_ctl_json_str(it, "name"), def, nv, na,
		              ck_ctl_json_time(it, "createdAt", created, sizeof(created)) };
	return ck_cli_table_add(t, row);
}

/* clickctl policy list */
int ck_ctl_policy_list(struct ck_ctl *c)
{
	static const char *const head[] = { "NAME", "DEFAULT", "VERSIONS", "ATTACHED", "CREATED" };

	if (c->n_operands != 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "policy list takes no arguments");
	return ck_ctl_list_print(c, "/policies", 5, head, policy_row);
}

/* clickctl policy show NAME [VERSION] */
int ck_ctl_policy_show(struct ck_ctl *c)
{
	char path[PATH_MAX_LEN];

	if (c->n_operands != 1 && c->n_operands != 2)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "policy show needs NAME [VERSION]");
	bool one = c->n_operands == 2;
	if (api_path(path, sizeof(path), "/policies/", c->operands[0], one ? "/versions/" : NULL,
	             one ? c->operands[1] : NULL, NULL) < 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "name too long");
	return call(c, "GET", path, NULL, one ? print_version : print_policy);
}

/* clickctl policy delete NAME */
int ck_ctl_policy_delete(struct ck_ctl *c)
{
	char path[PATH_MAX_LEN];

	if (c->n_operands != 1)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "policy delete needs exactly one NAME");
	if (api_path(path, sizeof(path), "/policies/", c->operands[0], NULL, NULL, NULL) < 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "name too long");
	int rc = call(c, "DELETE", path, NULL, print_done);
	if (rc == CK_CTL_EXIT_OK && !c->json)
		printf("policy %s deleted\n", c->operands[0]);
	return rc;
}

static int attach_or_detach(struct ck_ctl *c, bool attach)
{
	char path[PATH_MAX_LEN];
	const char *verb = attach ? "attach" : "detach";

	if (c->n_operands != 2)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE,
		                   "policy %s needs NAME CERTIFICATE-FINGERPRINT", verb);
	if (attach) {
		if (api_path(path, sizeof(path), "/policies/", c->operands[0], NULL, NULL,
		             "/attachments") < 0)
			return ck_ctl_fail(CK_CTL_EXIT_USAGE, "name too long");
		cJSON *body = cJSON_CreateObject();
		if (!body || !cJSON_AddStringToObject(body, "certificate", c->operands[1])) {
			cJSON_Delete(body);
			return ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
		}
		int rc = call(c, "POST", path, body, print_done);
		cJSON_Delete(body);
		if (rc == CK_CTL_EXIT_OK && !c->json)
			printf("policy %s attached to certificate %s\n", c->operands[0],
			       c->operands[1]);
		return rc;
	}
	if (api_path(path, sizeof(path), "/policies/", c->operands[0], "/attachments/",
	             c->operands[1], NULL) < 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "name too long");
	int rc = call(c, "DELETE", path, NULL, print_done);
	if (rc == CK_CTL_EXIT_OK && !c->json)
		printf("policy %s detached from certificate %s\n", c->operands[0], c->operands[1]);
	return rc;
}

/* clickctl policy attach NAME FINGERPRINT */
int ck_ctl_policy_attach(struct ck_ctl *c)
{
	return attach_or_detach(c, true);
}

/* clickctl policy detach NAME FINGERPRINT */
int ck_ctl_policy_detach(struct ck_ctl *c)
{
	return attach_or_detach(c, false);
}

/*
 * clickctl policy version create NAME --policy FILE [--set-default]
 * clickctl policy version default NAME VERSION
 * clickctl policy version delete NAME VERSION
 * clickctl policy version show NAME VERSION
 */
int ck_ctl_policy_version(struct ck_ctl *c)
{
	char path[PATH_MAX_LEN];
	const char *sub = c->n_operands ? c->operands[0] : "";

	if (strcmp(sub, "create") == 0) {
		cJSON *body;
		if (c->n_operands != 2)
			return ck_ctl_fail(CK_CTL_EXIT_USAGE,
			                   "policy version create needs NAME --policy FILE");
		if (api_path(path, sizeof(path), "/policies/", c->operands[1], NULL, NULL,
		             "/versions") < 0)
			return ck_ctl_fail(CK_CTL_EXIT_USAGE, "name too long");
		int rc = document_body(c, NULL, &body);
		if (rc)
			return rc;
		if (ck_cli_opt_value(c->args, CK_CTL_OPT_SET_DEFAULT))
			cJSON_AddBoolToObject(body, "setAsDefault", true);
		rc = call(c, "POST", path, body, print_version);
		cJSON_Delete(body);
		return rc;
	}
	if (c->n_operands != 3 ||
	    (strcmp(sub, "default") != 0 && strcmp(sub, "delete") != 0 && strcmp(sub, "show") != 0))
		return ck_ctl_fail(
		    CK_CTL_EXIT_USAGE,
		    "policy version needs create NAME --policy FILE [--set-default], "
		    "default NAME VERSION, delete NAME VERSION or show NAME VERSION");
	if (api_path(path, sizeof(path), "/policies/", c->operands[1], "/versions/", c->operands[2],
	             strcmp(sub, "default") == 0 ? "/default" : NULL) < 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "name too long");
	if (strcmp(sub, "show") == 0)
		return call(c, "GET", path, NULL, print_version);
	if (strcmp(sub, "default") == 0)
		return call(c, "POST", path, NULL, print_policy);
	return call(c, "DELETE", path, NULL, print_policy);
}
