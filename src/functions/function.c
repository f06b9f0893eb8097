/*
 * Functions (see function.h): definitions, one invocation of each
 * runtime, the calls into clickd with their policy checks, and the run
 * record.
 */
#include "store/store_usage.h"
#include "functions/function.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "channels/channels.h"
#include "core/log.h"
#include "core/topic.h"
#include "functions/fexec.h"
#include "functions/fpolicy.h"
#include "functions/sandbox.h"
#include "store/store_functions.h"
#include "store/store_outbox.h"
#include "store/store_queues.h"
#include "store/store_tables.h"

#define ARGV_MAX    64
#define ENV_MAX     64
#define ENV_LEN_MAX 4096
#define URL_MAX     2048
#define HEADERS_MAX 16
#define KEY_MAX     512

/* --- definitions ----------------------------------------------------------- */

static void free_vector(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void ck_function_free(struct ck_function *f)
{
	if (!f)
		return;
	cJSON_Delete(f->def);
	free_vector(f->argv);
	free_vector(f->envp);
	ck_fpolicy_free(f->policy);
	free(f);
}

static bool env_name_valid(const char *s)
{
	if (!s[0] || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

/* A number member in [lo, hi] (default def when absent); -EINVAL with err. */
static int number(const cJSON *def, const char *key, double lo, double hi, double dflt, double *out,
                  char *err, size_t err_len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(def, key);
	if (!v) {
		*out = dflt;
		return 0;
	}
	if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi ||
	    v->valuedouble != (double)(long long)v->valuedouble) {
		snprintf(err, err_len, "%s must be a whole number from %.0f to %.0f", key, lo, hi);
		return -EINVAL;
	}
	*out = v->valuedouble;
	return 0;
}

static bool url_ok(const char *u)
{
	return strlen(u) <= URL_MAX &&
	       (strncasecmp(u, "http://", 7) == 0 || strncasecmp(u, "https://", 8) == 0) &&
	       !strpbrk(u, " \r\n\t");
}

static const char *const known_members[] = {
	"runtime",
	"description",
	"code",
	"command",
	"environment",
	"workingDirectory",
	"url",
	"headers",
	"timeoutSeconds",
	"memoryMB",
	"instructionLimit",
	"maximumRetryAttempts",
	"maximumEventAgeSeconds",
	"onFailure",
	"policy",
	NULL,
};

static int parse_exec(struct ck_function *f, char *err, size_t err_len)
{
	const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(f->def, "command");
	const cJSON *env = cJSON_GetObjectItemCaseSensitive(f->def, "environment");
	const cJSON *cwd = cJSON_GetObjectItemCaseSensitive(f->def, "workingDirectory");
	int n = cJSON_GetArraySize(cmd);
	if (!cJSON_IsArray(cmd) || n < 1 || n > ARGV_MAX) {
		snprintf(err, err_len, "exec needs \"command\": an array of 1 to %d strings",
		         ARGV_MAX);
		return -EINVAL;
	}
	f->argv = calloc((size_t)n + 1, sizeof(char *));
	if (!f->argv)
		return -ENOMEM;
	int i = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, cmd)
	{
		if (!cJSON_IsString(it) || strlen(it->valuestring) > ENV_LEN_MAX) {
			snprintf(err, err_len, "command[%d] must be a string of at most %d bytes",
			         i, ENV_LEN_MAX);
			return -EINVAL;
		}
		if (!(f->argv[i++] = strdup(it->valuestring)))
			return -ENOMEM;
	}
	if (f->argv[0][0] != '/') {
		snprintf(err, err_len, "command[0] must be an absolute path (no shell, no PATH)");
		return -EINVAL;
	}
	if (cwd && (!cJSON_IsString(cwd) || cwd->valuestring[0] != '/')) {
		snprintf(err, err_len, "workingDirectory must be an absolute path");
		return -EINVAL;
	}
	f->cwd = cwd ? cwd->valuestring : NULL;
	if (env && (!cJSON_IsObject(env) || cJSON_GetArraySize(env) > ENV_MAX)) {
		snprintf(err, err_len, "environment must be an object of at most %d strings",
		         ENV_MAX);
		return -EINVAL;
	}
	/* The function's variables, then clickd's; PATH when the function sets none. */
	f->envp = calloc((size_t)cJSON_GetArraySize(env) + 4, sizeof(char *));
	if (!f->envp)
		return -ENOMEM;
	int k = 0;
	bool has_path = false;
	cJSON_ArrayForEach(it, env)
	{
		if (!cJSON_IsString(it) || !env_name_valid(it->string) ||
		    strncmp(it->string, "CLICKD_", 7) == 0 ||
		    strlen(it->string) + strlen(it->valuestring) > ENV_LEN_MAX) {
			snprintf(err, err_len,
			         "environment \"%.64s\": names are [A-Za-z_][A-Za-z0-9_]* (not "
			         "CLICKD_*), values strings, at most %d bytes together",
			         it->string, ENV_LEN_MAX);
			return -EINVAL;
		}
		size_t len = strlen(it->string) + strlen(it->valuestring) + 2;
		if (!(f->envp[k] = malloc(len)))
			return -ENOMEM;
		snprintf(f->envp[k++], len, "%s=%s", it->string, it->valuestring);
		has_path |= strcmp(it->string, "PATH") == 0;
	}
	if (!has_path && !(f->envp[k++] = strdup("PATH=/usr/local/bin:/usr/bin:/bin")))
		return -ENOMEM;
	size_t len = strlen(f->name) + 32;
	if (!(f->envp[k] = malloc(len)))
		return -ENOMEM;
	snprintf(f->envp[k++], len, "CLICKD_FUNCTION=%s", f->name);
	return 0;
}

int ck_function_parse(const char *name, const cJSON *def, struct ck_function **out, char *err,
                      size_t err_len)
{
	*out = NULL;
	if (!ck_name_valid(name)) {
		snprintf(err, err_len,
		         "a function name is 1 to 128 letters, digits, ':', '_' or '-'");
		return -EINVAL;
	}
	if (!cJSON_IsObject(def)) {
		snprintf(err, err_len, "a function definition must be a JSON object");
		return -EINVAL;
	}
	const cJSON *m;
	cJSON_ArrayForEach(m, def)
	{
		bool known = false;
		for (int i = 0; known_members[i]; i++)
			known |= strcmp(m->string, known_members[i]) == 0;
		if (!known) {
			snprintf(err, err_len, "unknown member \"%.64s\" in the definition",
			         m->string);
			return -EINVAL;
		}
	}
	struct ck_function *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	snprintf(f->name, sizeof(f->name), "%s", name);
	int rc = -ENOMEM;
	f->def = cJSON_Duplicate(def, true);
	if (!f->def)
		goto out;
	const cJSON *runtime = cJSON_GetObjectItemCaseSensitive(def, "runtime");
	const char *rt = cJSON_IsString(runtime) ? runtime->valuestring : "";
	const cJSON *desc = cJSON_GetObjectItemCaseSensitive(def, "description");
	rc = -EINVAL;
	if (desc && (!cJSON_IsString(desc) || strlen(desc->valuestring) > 256)) {
		snprintf(err, err_len, "description must be a string of at most 256 bytes");
		goto out;
	}
	double timeout, memory, instructions, retries, age;
	if ((rc = number(def, "timeoutSeconds", 1, CK_FUNCTION_TIMEOUT_MAX_S,
	                 CK_FUNCTION_TIMEOUT_DEFAULT_S, &timeout, err, err_len)) != 0 ||
	    (rc = number(def, "memoryMB", 1, CK_FUNCTION_MEMORY_MAX_MB,
	                 CK_FUNCTION_MEMORY_DEFAULT_MB, &memory, err, err_len)) != 0 ||
	    (rc = number(def, "instructionLimit", 1000, 1e12,
	                 (double)CK_FUNCTION_INSTRUCTIONS_DEFAULT, &instructions, err, err_len)) !=
	        0 ||
	    (rc = number(def, "maximumRetryAttempts", 0, 2, CK_FUNCTION_RETRIES_DEFAULT, &retries,
	                 err, err_len)) != 0 ||
	    (rc = number(def, "maximumEventAgeSeconds", CK_FUNCTION_AGE_MIN_S,
	                 CK_FUNCTION_AGE_MAX_S, CK_FUNCTION_AGE_MAX_S, &age, err, err_len)) != 0)
		goto out;
	f->timeout_ms = (int64_t)timeout * 1000;
	f->memory_bytes = (size_t)memory * 1024 * 1024;
	f->instructions = (uint64_t)instructions;
	f->max_retries = (int)retries;
	f->max_event_age_ms = (int64_t)age * 1000;

	rc = -EINVAL;
	if (strcmp(rt, "lua") == 0) {
		f->runtime = CK_FUNCTION_LUA;
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(f->def, "code");
		if (!cJSON_IsString(code) || strlen(code->valuestring) > CK_SANDBOX_CODE_MAX) {
			snprintf(err, err_len, "lua needs \"code\": Lua source of at most %d bytes",
			         CK_SANDBOX_CODE_MAX);
			goto out;
		}
		if (code->valuestring[0] == '\x1b') {
			snprintf(err, err_len, "code must be Lua source; bytecode is refused");
			goto out;
		}
		f->code = code->valuestring;
	} else if (strcmp(rt, "exec") == 0) {
		f->runtime = CK_FUNCTION_EXEC;
		if ((rc = parse_exec(f, err, err_len)) != 0)
			goto out;
	} else if (strcmp(rt, "http") == 0) {
		f->runtime = CK_FUNCTION_HTTP;
		const cJSON *url = cJSON_GetObjectItemCaseSensitive(f->def, "url");
		const cJSON *headers = cJSON_GetObjectItemCaseSensitive(f->def, "headers");
		if (!cJSON_IsString(url) || !url_ok(url->valuestring)) {
			snprintf(err, err_len,
			         "http needs a \"url\" starting with http:// or https://");
			goto out;
		}
		f->url = url->valuestring;
		if (headers) {
			if (!cJSON_IsObject(headers) || cJSON_GetArraySize(headers) > HEADERS_MAX) {
				snprintf(err, err_len,
				         "headers must be an object of at most %d strings",
				         HEADERS_MAX);
				goto out;
			}
			cJSON_ArrayForEach(m, headers)
			{
				if (!cJSON_IsString(m) || !ck_name_valid(m->string) ||
				    strpbrk(m->valuestring, "\r\n")) {
					snprintf(err, err_len,
					         "header names must be names and values "
					         "single-line strings");
					goto out;
				}
			}
			f->headers = headers;
		}
	} else {
		snprintf(err, err_len, "runtime must be \"lua\", \"exec\" or \"http\"");
		goto out;
	}
	const cJSON *onf = cJSON_GetObjectItemCaseSensitive(f->def, "onFailure");
	if (onf && !cJSON_IsNull(onf)) {
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(onf, "type");
		if (!cJSON_IsObject(onf) || !cJSON_IsString(type)) {
			snprintf(err, err_len,
			         "onFailure must be an action object with a \"type\"");
			goto out;
		}
		f->on_failure = onf;
	}
	rc = ck_fpolicy_parse(cJSON_GetObjectItemCaseSensitive(def, "policy"), &f->policy, err,
	                      err_len);
out:
	if (rc != 0) {
		ck_function_free(f);
		return rc;
	}
	*out = f;
	return 0;
}

int ck_function_load(struct ck_store *s, const char *name, struct ck_function **out, char *err,
                     size_t err_len)
{
	char *text = NULL;
	*out = NULL;
	int rc = ck_store_function_get(s, name, &text);
	if (rc != 0)
		return rc;
	cJSON *def = cJSON_Parse(text);
	free(text);
	if (!def) {
		snprintf(err, err_len, "the stored definition of %s is not JSON", name);
		return -EINVAL;
	}
	rc = ck_function_parse(name, def, out, err, err_len);
	cJSON_Delete(def);
	return rc;
}

/* --- calls into clickd ------------------------------------------------------ */

struct host {
	struct ck_store *s;
	const struct ck_function *f;
	const struct ck_function_invocation *inv;
	char *log;
	size_t log_len;
	bool log_full;
	int calls, denied;
};

static void host_log(void *arg, const char *line, size_t len)
{
	struct host *h = arg;
	if (h->log_full)
		return;
	static const char more[] = "[log truncated]\n";
	size_t room = CK_FUNCTION_LOG_MAX - h->log_len;
	if (len + 1 > room - sizeof(more)) {
		memcpy(h->log + h->log_len, more, sizeof(more) - 1);
		h->log_len += sizeof(more) - 1;
		h->log_full = true;
	} else {
		memcpy(h->log + h->log_len, line, len);
		h->log_len += len;
		h->log[h->log_len++] = '\n';
	}
	h->log[h->log_len] = '\0';
}

static void host_logf(struct host *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void host_logf(struct host *h, const char *fmt, ...)
{
	char line[600];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		host_log(h, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

static const char *str_arg(const cJSON *args, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The resource a call acts on, for the policy. */
static const char *call_resource(const struct host *h, const char *call, const cJSON *args)
{
	if (strcmp(call, "workorder.create") == 0) {
		const char *kind = str_arg(args, "kind");
		return kind ? kind : h->f->name;
	}
	if (strcmp(call, "notify") == 0)
		return str_arg(args, "channel");
	if (strcmp(call, "queue.send") == 0)
		return str_arg(args, "queue");
	if (strncmp(call, "table.", 6) == 0)
		return str_arg(args, "table");
	if (strcmp(call, "publish") == 0)
		return str_arg(args, "topic");
	if (strcmp(call, "http.request") == 0)
		return str_arg(args, "url");
	return NULL;
}

/* The outbox key of the n-th call of this invocation. */
static void call_key(const struct host *h, char *buf, size_t len)
{
	snprintf(buf, len, "%s/call/%d", h->inv->request_id, h->calls);
}

static const char *rule_of(const struct host *h, char *buf, size_t len)
{
	if (h->inv->rule)
		return h->inv->rule;
	snprintf(buf, len, "function:%s", h->f->name);
	return buf;
}

static int do_workorder(struct host *h, const cJSON *args, cJSON **result, char *err,
                        size_t err_len)
{
	const char *kind = call_resource(h, "workorder.create", args);
	const char *thing = str_arg(args, "thing");
	if (!thing)
		thing = h->inv->thing;
	if (!ck_name_valid(kind) || !thing || !ck_name_valid(thing)) {
		snprintf(err, err_len, "workorder.create needs a kind and a thing (names)");
		return -EINVAL;
	}
	char rule[CK_NAME_MAX + 16];
	struct ck_workorder w = {
		.kind = kind,
		.thing = thing,
		.click_type = str_arg(args, "clickType"),
		.location = str_arg(args, "location"),
		.rule = rule_of(h, rule, sizeof(rule)),
		.event_seq = h->inv->event_seq,
		.pressed_ms = h->inv->now_ms,
		.created_ms = h->inv->now_ms,
	};
	int64_t id = 0;
	int rc = ck_store_workorder_put(h->s, &w, &id);
	if (rc != 0) {
		snprintf(err, err_len, "workorder.create failed: store error %d", rc);
		return rc;
	}
	*result = cJSON_CreateObject();
	cJSON_AddNumberToObject(*result, "id", (double)id);
	return 0;
}

static int do_notify(struct host *h, const cJSON *args, cJSON **result, char *err, size_t err_len)
{
	const char *channel = str_arg(args, "channel");
	const char *message = str_arg(args, "message");
	char key[KEY_MAX], rule[CK_NAME_MAX + 16], source[CK_NAME_MAX + 16];
	call_key(h, key, sizeof(key));
	snprintf(source, sizeof(source), "function:%s", h->f->name);
	struct ck_channels_origin o = {
		.key = key,
		.rule = rule_of(h, rule, sizeof(rule)),
		.action_index = -1,
		.event_seq = h->inv->event_seq,
		.thing = h->inv->thing,
		.source = source,
	};
	struct ck_channels_result res = { 0 };
	int rc = ck_store_begin(h->s);
	if (rc == 0) {
		rc = ck_channels_notify(h->s, channel, NULL, message ? message : "",
		                        cJSON_GetObjectItemCaseSensitive(args, "attributes"), &o,
		                        h->inv->now_ms, &res);
		if (rc == 0)
			rc = ck_store_commit(h->s);
		else
			ck_store_rollback(h->s);
	}
	if (rc != 0) {
		snprintf(err, err_len, "notify %.128s: %s", channel,
		         res.error[0] ? res.error : "store error");
		return rc;
	}
	*result = cJSON_CreateObject();
	cJSON_AddNumberToObject(*result, "messageId", (double)res.message_id);
	cJSON_AddNumberToObject(*result, "deliveries", res.deliveries);
	return 0;
}

static int do_queue_send(struct host *h, const cJSON *args, cJSON **result, char *err,
                         size_t err_len)
{
	const char *queue = str_arg(args, "queue");
	const char *body = str_arg(args, "body");
	char id[CK_QUEUE_ID_LEN + 1] = "";
	int rc = ck_store_queue_send(h->s, queue, body ? body : "", body ? strlen(body) : 0, -1,
	                             h->inv->now_ms, id);
	if (rc == -ENOENT)
		snprintf(err, err_len, "queue.send: no queue \"%.128s\"", queue);
	else if (rc == -EINVAL)
		snprintf(err, err_len, "queue.send %.128s: the body must be 1 to %d bytes of UTF-8",
		         queue, CK_QUEUE_BODY_MAX);
	else if (rc != 0)
		snprintf(err, err_len, "queue.send %.128s: store error %d", queue, rc);
	if (rc != 0)
		return rc;
	*result = cJSON_CreateObject();
	cJSON_AddStringToObject(*result, "messageId", id);
	return 0;
}

static int table_error(int rc, const char *call, const char *table, const char *why, char *err,
                       size_t err_len)
{
	if (rc == -ENOENT)
		snprintf(err, err_len, "%s: no table \"%.128s\"", call, table);
	else
		snprintf(err, err_len, "%s %.128s: %s", call, table, why[0] ? why : "store error");
	return rc;
}

static int do_table(struct host *h, const char *call, const cJSON *args, cJSON **result, char *err,
                    size_t err_len)
{
	const char *table = str_arg(args, "table");
	const cJSON *pk = cJSON_GetObjectItemCaseSensitive(args, "partitionKey");
	const cJSON *sk = cJSON_GetObjectItemCaseSensitive(args, "sortKey");
	char why[256] = "";
	int rc;
	if (strcmp(call, "table.put") == 0) {
		const cJSON *cond = cJSON_GetObjectItemCaseSensitive(args, "condition");
		struct ck_table_cond c = { CK_TABLE_COND_NONE, 0 };
		const cJSON *v;
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cond, "ifNotExists")))
			c.kind = CK_TABLE_COND_NOT_EXISTS;
		else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cond, "ifExists")))
			c.kind = CK_TABLE_COND_EXISTS;
		else if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(cond, "version")))
			c = (struct ck_table_cond){ CK_TABLE_COND_VERSION,
				                    (int64_t)v->valuedouble };
		int64_t version = 0;
		rc = ck_store_table_put(h->s, table, cJSON_GetObjectItemCaseSensitive(args, "item"),
		                        &c, h->inv->now_ms, &version, why, sizeof(why));
		if (rc != 0)
			return table_error(rc, call, table, why, err, err_len);
		*result = cJSON_CreateObject();
		cJSON_AddNumberToObject(*result, "version", (double)version);
		return 0;
	}
	if (strcmp(call, "table.get") == 0) {
		cJSON *item = NULL;
		rc = ck_store_table_get_item(h->s, table, pk, sk, &item, NULL, why, sizeof(why));
		if (rc == -ENODATA)
			return 0; /* nil */
		if (rc != 0)
			return table_error(rc, call, table, why, err, err_len);
		*result = item;
		return 0;
	}
	if (strcmp(call, "table.delete") == 0) {
		bool deleted = false;
		rc = ck_store_table_delete_item(h->s, table, pk, sk, NULL, &deleted, why,
		                                sizeof(why));
		if (rc != 0)
			return table_error(rc, call, table, why, err, err_len);
		*result = cJSON_CreateBool(deleted);
		return 0;
	}
	/* table.query */
	const cJSON *limit = cJSON_GetObjectItemCaseSensitive(args, "limit");
	struct ck_table_query q = {
		.pk = pk,
		.prefix = str_arg(args, "prefix"),
		.from = cJSON_GetObjectItemCaseSensitive(args, "from"),
		.to = cJSON_GetObjectItemCaseSensitive(args, "to"),
		.after = cJSON_GetObjectItemCaseSensitive(args, "after"),
		.desc = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(args, "desc")),
		.limit = cJSON_IsNumber(limit) ? (int)limit->valuedouble : 100,
	};
	cJSON *items = cJSON_CreateArray(), *next = NULL;
	rc = ck_store_table_query(h->s, table, &q, items, &next, why, sizeof(why));
	if (rc != 0) {
		cJSON_Delete(items);
		return table_error(rc, call, table, why, err, err_len);
	}
	*result = cJSON_CreateObject();
	cJSON_AddItemToObject(*result, "items", items);
	cJSON_AddItemToObject(*result, "next", next ? next : cJSON_CreateNull());
	return 0;
}

/* publish and http.request: an outbox entry the courier delivers. */
static int do_outbox(struct host *h, const char *call, const cJSON *args, cJSON **result, char *err,
                     size_t err_len)
{
	bool http = strcmp(call, "http.request") == 0;
	const char *dest = http ? str_arg(args, "url") : str_arg(args, "topic");
	const char *body = http ? str_arg(args, "body") : str_arg(args, "payload");
	char *headers = NULL;
	const char *action = "{\"type\":\"webhook\"}";
	if (http) {
		const char *method = str_arg(args, "method");
		const cJSON *hdrs = cJSON_GetObjectItemCaseSensitive(args, "headers");
		if (!dest || !url_ok(dest)) {
			snprintf(err, err_len, "http.request needs a url starting with http(s)://");
			return -EINVAL;
		}
		if (method && strcasecmp(method, "POST") != 0) {
			snprintf(err, err_len, "http.request sends POST only (through the outbox)");
			return -EINVAL;
		}
		if (hdrs) {
			const cJSON *hv;
			bool ok = cJSON_IsObject(hdrs) && cJSON_GetArraySize(hdrs) <= HEADERS_MAX;
			cJSON_ArrayForEach(hv, hdrs) ok = ok && cJSON_IsString(hv) &&
			                                  ck_name_valid(hv->string) &&
			                                  !strpbrk(hv->valuestring, "\r\n");
			if (!ok) {
				snprintf(err, err_len,
				         "http.request headers: at most %d names with "
				         "single-line string values",
				         HEADERS_MAX);
				return -EINVAL;
			}
			headers = cJSON_PrintUnformatted(hdrs);
		}
	} else {
		const cJSON *qos = cJSON_GetObjectItemCaseSensitive(args, "qos");
		if (!dest || !ck_topic_name_valid(dest)) {
			snprintf(err, err_len, "publish: \"%.128s\" is not a valid topic name",
			         dest ? dest : "");
			return -EINVAL;
		}
		if (!cJSON_IsNumber(qos) || (qos->valuedouble != 0 && qos->valuedouble != 1)) {
			snprintf(err, err_len, "publish: qos must be 0 or 1");
			return -EINVAL;
		}
		action = qos->valuedouble == 1 ? "{\"type\":\"republish\",\"qos\":1}"
		                               : "{\"type\":\"republish\",\"qos\":0}";
	}
	char key[KEY_MAX], rule[CK_NAME_MAX + 16];
	call_key(h, key, sizeof(key));
	struct ck_outbox_entry e = {
		.key = key,
		.rule = rule_of(h, rule, sizeof(rule)),
		.action_index = -1, /* not one of the rule's own actions */
		.action = action,
		.kind = http ? "webhook" : "republish",
		.destination = dest,
		.payload = (const uint8_t *)(body ? body : ""),
		.payload_len = body ? strlen(body) : 0,
		.headers = headers,
		.event_seq = h->inv->event_seq,
		.thing = h->inv->thing,
		.next_attempt_ms = h->inv->now_ms,
		.created_ms = h->inv->now_ms,
		.expires_ms = h->inv->now_ms + 3600 * 1000,
	};
	int64_t id = 0;
	int rc = ck_store_outbox_put(h->s, &e, &id);
	cJSON_free(headers);
	if (rc == -EEXIST) /* made by an earlier attempt of this invocation */
		rc = 0;
	if (rc != 0) {
		snprintf(err, err_len, "%s: store error %d", call, rc);
		return rc;
	}
	*result = cJSON_CreateObject();
	cJSON_AddStringToObject(*result, "outboxKey", key);
	return 0;
}

static int host_call(void *arg, const char *call, const cJSON *args, cJSON **result, char *err,
                     size_t err_len)
{
	struct host *h = arg;
	h->calls++;
	const char *resource = call_resource(h, call, args);
	if (!resource) {
		snprintf(err, err_len, "%s: missing its %s", call,
		         strcmp(call, "publish") == 0 ? "topic" : "name");
		host_logf(h, "ERROR %s", err);
		return -EINVAL;
	}
	if (!ck_fpolicy_allows(h->f->policy, call, resource)) {
		h->denied++;
		snprintf(err, err_len,
		         "denied: the policy of function %s does not allow %s on \"%.200s\"",
		         h->f->name, call, resource);
		host_logf(h, "DENIED %s on \"%.200s\" (not allowed by the function's policy)", call,
		          resource);
		return -EACCES;
	}
	int rc;
	if (strcmp(call, "workorder.create") == 0)
		rc = do_workorder(h, args, result, err, err_len);
	else if (strcmp(call, "notify") == 0)
		rc = do_notify(h, args, result, err, err_len);
	else if (strcmp(call, "queue.send") == 0)
		rc = do_queue_send(h, args, result, err, err_len);
	else if (strncmp(call, "table.", 6) == 0)
		rc = do_table(h, call, args, result, err, err_len);
	else
		rc = do_outbox(h, call, args, result, err, err_len);
	if (rc != 0)
		host_logf(h, "ERROR %s", err);
	return rc;
}

/* Exec and HTTP functions reach clickd through their result: a member
 * "clickd": [{"call": "publish", "topic": ..., ...}, ...] is performed,
 * call by call, under the same policy, and left out of the stored result. */
static int result_calls(struct host *h, cJSON *result, char *err, size_t err_len)
{
	cJSON *calls = cJSON_DetachItemFromObjectCaseSensitive(result, "clickd");
	if (!calls)
		return 0;
	int rc = 0;
	if (!cJSON_IsArray(calls) || cJSON_GetArraySize(calls) > CK_SANDBOX_CALLS_MAX) {
		snprintf(err, err_len,
		         "\"clickd\" in the result must be an array of at most %d calls",
		         CK_SANDBOX_CALLS_MAX);
		rc = -EINVAL;
	}
	const cJSON *c;
	cJSON_ArrayForEach(c, calls)
	{
		if (rc != 0)
			break;
		const char *name = str_arg(c, "call");
		bool known = false;
		for (int i = 0; name && ck_fpolicy_calls[i]; i++)
			known |= strcmp(name, ck_fpolicy_calls[i]) == 0;
		if (!known) {
			snprintf(err, err_len, "\"clickd\" calls need a known \"call\"");
			rc = -EINVAL;
			break;
		}
		cJSON *r = NULL;
		rc = host_call(h, name, c, &r, err, err_len);
		cJSON_Delete(r);
	}
	cJSON_Delete(calls);
	return rc;
}

/* --- runtimes ---------------------------------------------------------------- */

static void set_status(struct ck_function_outcome *out, const char *status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_status(struct ck_function_outcome *out, const char *status, const char *fmt, ...)
{
	snprintf(out->status, sizeof(out->status), "%s", status);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->error, sizeof(out->error), fmt, ap);
	va_end(ap);
}

static void run_lua(struct host *h, const cJSON *event, struct ck_function_outcome *out)
{
	const struct ck_function *f = h->f;
	cJSON *context = cJSON_CreateObject();
	cJSON_AddStringToObject(context, "functionName", f->name);
	cJSON_AddStringToObject(context, "requestId", h->inv->request_id);
	cJSON_AddNumberToObject(context, "attempt", h->inv->attempt);
	cJSON_AddStringToObject(context, "trigger", h->inv->trigger ? h->inv->trigger : "");
	struct ck_sandbox_limits lim = {
		.memory_bytes = f->memory_bytes,
		.instructions = f->instructions,
		.wall_ms = f->timeout_ms,
	};
	struct ck_sandbox_host host = { .call = host_call, .log = host_log, .arg = h };
	struct ck_sandbox_outcome o;
	int rc = ck_sandbox_run(f->name, f->code, strlen(f->code), event, context, &lim, &host, &o);
	cJSON_Delete(context);
	if (rc != 0) {
		set_status(out, "error", "cannot create a Lua state");
		return;
	}
	if (o.status == CK_SANDBOX_OK) {
		snprintf(out->status, sizeof(out->status), "ok");
		out->result = o.result;
		return;
	}
	set_status(out, ck_sandbox_status_name(o.status), "%s", o.error);
}

static void run_exec(struct host *h, struct ck_function_outcome *out)
{
	const struct ck_function *f = h->f;
	/* CLICKD_REQUEST_ID joins the definition's environment for this run. */
	size_t n = 0;
	while (f->envp[n])
		n++;
	const char **envp = calloc(n + 2, sizeof(char *));
	char reqvar[KEY_MAX + 32];
	if (!envp) {
		set_status(out, "error", "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++)
		envp[i] = f->envp[i];
	snprintf(reqvar, sizeof(reqvar), "CLICKD_REQUEST_ID=%s", h->inv->request_id);
	envp[n] = reqvar;
	struct ck_fexec_spec spec = {
		.argv = (const char *const *)f->argv,
		.envp = envp,
		.cwd = f->cwd,
		.input = (const uint8_t *)h->inv->event,
		.input_len = h->inv->event_len,
		.timeout_ms = f->timeout_ms,
		.memory_bytes = f->memory_bytes,
		.output_max = CK_FUNCTION_OUTPUT_MAX,
		.log_max = CK_FUNCTION_LOG_MAX,
	};
	struct ck_fexec_result r;
	char err[256] = "";
	int rc = ck_fexec_run(&spec, &r, err, sizeof(err));
	free(envp);
	if (rc != 0) {
		set_status(out, "error", "%s", err);
		ck_fexec_result_cleanup(&r);
		return;
	}
	if (r.log_len)
		host_log(h, r.log, r.log[r.log_len - 1] == '\n' ? r.log_len - 1 : r.log_len);
	if (r.timed_out)
		set_status(out, "timeout", "killed after %lld ms (the function's timeout)",
		           (long long)f->timeout_ms);
	else if (r.output_over)
		set_status(out, "error", "killed: wrote more than %d bytes of output",
		           CK_FUNCTION_OUTPUT_MAX);
	else if (r.signal)
		set_status(out, r.signal == SIGXCPU ? "timeout" : "error", "killed by signal %d",
		           r.signal);
	else if (r.exit_code != 0)
		set_status(out, "error", "exited with status %d", r.exit_code);
	else {
		const char *p = r.output;
		while (*p && isspace((unsigned char)*p))
			p++;
		cJSON *result = *p ? cJSON_Parse(r.output) : cJSON_CreateNull();
		if (!result) {
			set_status(out, "error", "the output is not JSON");
		} else {
			snprintf(out->status, sizeof(out->status), "ok");
			out->result = result;
		}
	}
	ck_fexec_result_cleanup(&r);
}

struct body {
	char *buf;
	size_t len;
	bool over;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t take = size * n;
	if (b->len + take > CK_FUNCTION_OUTPUT_MAX) {
		b->over = true;
		return 0;
	}
	char *q = realloc(b->buf, b->len + take + 1);
	if (!q)
		return 0;
	memcpy(q + b->len, p, take);
	b->len += take;
	q[b->len] = '\0';
	b->buf = q;
	return take;
}

static void run_http(struct host *h, struct ck_function_outcome *out)
{
	const struct ck_function *f = h->f;
	CURL *c = curl_easy_init();
	if (!c) {
		set_status(out, "error", "cannot create an HTTP client");
		return;
	}
	struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	char line[KEY_MAX + 64];
	snprintf(line, sizeof(line), "X-Clickd-Request-Id: %s", h->inv->request_id);
	hdrs = curl_slist_append(hdrs, line);
	snprintf(line, sizeof(line), "X-Clickd-Function: %s", f->name);
	hdrs = curl_slist_append(hdrs, line);
	const cJSON *hv;
	cJSON_ArrayForEach(hv, f->headers)
	{
		size_t len = strlen(hv->string) + strlen(hv->valuestring) + 3;
		char *l = malloc(len);
		if (l) {
			snprintf(l, len, "%s: %s", hv->string, hv->valuestring);
			hdrs = curl_slist_append(hdrs, l);
			free(l);
		}
	}
	struct body b = { 0 };
	curl_easy_setopt(c, CURLOPT_URL, f->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, h->inv->event);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)h->inv->event_len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)f->timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "clickd/" CK_VERSION);
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		set_status(out, "timeout", "no answer within %lld ms", (long long)f->timeout_ms);
	} else if (b.over) {
		set_status(out, "error", "the answer is larger than %d bytes",
		           CK_FUNCTION_OUTPUT_MAX);
	} else if (rc != CURLE_OK) {
		set_status(out, "error", "%s", curl_easy_strerror(rc));
	} else if (status < 200 || status > 299) {
		set_status(out, "error", "HTTP status %ld", status);
		if (b.buf)
			host_log(h, b.buf, strnlen(b.buf, 2048));
	} else {
		cJSON *result = b.len ? cJSON_Parse(b.buf) : cJSON_CreateNull();
		if (!result)
			result = cJSON_CreateString(b.buf);
		snprintf(out->status, sizeof(out->status), "ok");
		out->result = result;
	}
	free(b.buf);
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void ck_function_outcome_cleanup(struct ck_function_outcome *out)
{
	cJSON_Delete(out->result);
	out->result = NULL;
}

int ck_function_invoke(struct ck_store *s, const struct ck_function *f,
                       const struct ck_function_invocation *inv, struct ck_function_outcome *out)
{
	memset(out, 0, sizeof(*out));
	struct host h = { .s = s, .f = f, .inv = inv };
	h.log = malloc(CK_FUNCTION_LOG_MAX + 1);
	if (!h.log)
		return -ENOMEM;
	h.log[0] = '\0';
	int64_t started = wall_ms(), t0 = mono_us();

	cJSON *event = NULL;
	if (inv->event_len > CK_FUNCTION_EVENT_MAX)
		set_status(out, "error", "the event is larger than %d bytes",
		           CK_FUNCTION_EVENT_MAX);
	else if (f->runtime == CK_FUNCTION_LUA &&
	         !(event = cJSON_ParseWithLength(inv->event, inv->event_len)))
		set_status(out, "error", "the event is not JSON");
	else if (f->runtime == CK_FUNCTION_LUA)
		run_lua(&h, event, out);
	else if (f->runtime == CK_FUNCTION_EXEC)
		run_exec(&h, out);
	else
		run_http(&h, out);
	cJSON_Delete(event);
	if (out->result && f->runtime != CK_FUNCTION_LUA && cJSON_IsObject(out->result)) {
		char err[400] = "";
		if (result_calls(&h, out->result, err, sizeof(err)) != 0) {
			set_status(out, "error", "%s", err);
			cJSON_Delete(out->result);
			out->result = NULL;
		}
	}
	out->duration_us = mono_us() - t0;
	out->calls = h.calls;
	out->denied = h.denied;

	char *result_text = out->result ? cJSON_PrintUnformatted(out->result) : NULL;
	if (result_text && strlen(result_text) > CK_FUNCTION_RESULT_MAX) {
		cJSON_free(result_text);
		result_text = NULL;
		host_logf(&h, "(the result, over %d bytes, is not kept)", CK_FUNCTION_RESULT_MAX);
	}
	bool ok = strcmp(out->status, "ok") == 0;
	struct ck_function_run run = {
		.function = f->name,
		.request_id = inv->request_id,
		.trigger = inv->trigger ? inv->trigger : "api",
		.attempt = inv->attempt,
		.status = out->status,
		.error = ok ? NULL : out->error,
		.started_ms = started,
		.duration_us = out->duration_us,
		.result = result_text,
		.log = h.log_len ? h.log : NULL,
	};
	int rc = ck_store_function_run_put(s, &run, &out->run_id);
	if (rc == 0) {
		/* Usage metering (store_usage.h): runs and milliseconds per function. */
		char month[8];
		int64_t ms = (out->duration_us + 999) / 1000;
		ck_usage_month(started, month);
		rc = ck_store_usage_add(s, month, "function_runs", "total", "", 1);
		if (rc == 0)
			rc = ck_store_usage_add(s, month, "function_runs", "function", f->name, 1);
		if (rc == 0)
			rc = ck_store_usage_add(s, month, "function_ms", "total", "", ms);
		if (rc == 0)
			rc = ck_store_usage_add(s, month, "function_ms", "function", f->name, ms);
	}
	if (ok)
		ck_debug("functions", "%s %s attempt %d: ok in %lld us", f->name, inv->request_id,
		         inv->attempt, (long long)out->duration_us);
	else
		ck_info("functions", "%s %s attempt %d: %s: %s", f->name, inv->request_id,
		        inv->attempt, out->status, out->error);
	cJSON_free(result_text);
	free(h.log);
	return rc;
}
