/*
 * clickctl's "queues" commands (docs/api.md "Queues"): create, list,
 * delete, send, receive, delete-message, change-visibility and purge.
 * Queue and receive attributes are given as --attr KEY=VALUE with the SQS
 * names (VisibilityTimeout, MessageRetentionPeriod, DelaySeconds,
 * ReceiveMessageWaitTimeSeconds, DeadLetterQueue, MaxReceiveCount,
 * MaxNumberOfMessages, WaitTimeSeconds), case-insensitive.
 */
#include "clickctl/clickctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define BODY_FILE_MAX (256 * 1024)

/* An --attr key this command takes: its API member and whether it is a number. */
struct attr_key {
	const char *key;    /* SQS name, matched case-insensitively */
	const char *member; /* the API's member */
	bool number;
};

/*
 * Adds each --attr KEY=VALUE to body under its member (members starting
 * "redrive." go into body.redrivePolicy). Returns CK_CTL_EXIT_OK or prints
 * the problem and returns CK_CTL_EXIT_USAGE / CK_CTL_EXIT_FAIL.
 */
static int add_attrs(struct ck_ctl *c, const struct attr_key *keys, size_t n_keys, cJSON *body)
{
	for (size_t i = 0; i < c->args->n_opts; i++) {
		const char *arg = c->args->opts[i].value;
		size_t key_len;
		const struct attr_key *k = NULL;

		if (c->args->opts[i].id != CK_CTL_OPT_ATTR)
			continue;
		if (ck_cli_attr_split(arg, &key_len) < 0)
			return ck_ctl_fail(CK_CTL_EXIT_USAGE, "--attr needs KEY=VALUE, not \"%s\"",
			                   arg);
		for (size_t j = 0; j < n_keys && !k; j++)
			if (strlen(keys[j].key) == key_len &&
			    strncasecmp(arg, keys[j].key, key_len) == 0)
				k = &keys[j];
		if (!k)
			return ck_ctl_fail(CK_CTL_EXIT_USAGE, "unknown attribute in --attr %s",
			                   arg);
		const char *value = arg + key_len + 1;
		cJSON *target = body;
		const char *member = k->member;
		if (strncmp(member, "redrive.", 8) == 0) {
			target = cJSON_GetObjectItemCaseSensitive(body, "redrivePolicy");
			if (!target)
				target = cJSON_AddObjectToObject(body, "redrivePolicy");
			member += 8;
		}
		cJSON *v;
		if (k->number) {
			char *end = NULL;
			long n = strtol(value, &end, 10);
			if (!value[0] || *end)
				return ck_ctl_fail(CK_CTL_EXIT_USAGE, "--attr %s: not an integer",
				                   arg);
			v = cJSON_CreateNumber((double)n);
		} else {
			v = cJSON_CreateString(value);
		}
		if (!target || !v) {
			cJSON_Delete(v);
			return ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
		}
		cJSON_DeleteItemFromObjectCaseSensitive(target, member);
		cJSON_AddItemToObject(target, member, v);
	}
	return CK_CTL_EXIT_OK;
}

/* Writes "/queues/<escaped name><suffix>" into path. */
static int queue_path(const char *name, const char *suffix, char *path, size_t len)
{
	char esc[256];
	if (ck_cli_url_escape(name, esc, sizeof(esc)) != 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "queue name too long");
	snprintf(path, len, "/queues/%s%s", esc, suffix);
	return CK_CTL_EXIT_OK;
}

/* Sends the request and prints the JSON reply (--json) or text. */
static int call(struct ck_ctl *c, const char *method, const char *path, const cJSON *body,
                cJSON **resp)
{
	struct ck_ctl_api_error e;
	int rc = ck_ctl_api(c->http, method, path, body, resp, &e);
	if (rc == CK_CTL_EXIT_FAIL)
		rc = ck_ctl_print_api_error(&e);
	return rc;
}

/* Runs a command whose reply is shown as JSON with --json, else as text. */
static int simple(struct ck_ctl *c, const char *method, const char *path, const cJSON *body,
                  const char *text_key, const char *before, const char *after)
{
	cJSON *resp = NULL;
	int rc = call(c, method, path, body, &resp);
	if (rc == CK_CTL_EXIT_OK) {
		if (c->json) {
			rc = ck_ctl_print_json(resp);
		} else {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(resp, text_key);
			char num[32];
			const char *s = cJSON_IsString(v) ? v->valuestring : "";
			if (cJSON_IsNumber(v)) {
				snprintf(num, sizeof(num), "%.0f", v->valuedouble);
				s = num;
			}
			printf("%s%s%s\n", before, s, after);
		}
	}
	cJSON_Delete(resp);
	return rc;
}

static const struct attr_key create_keys[] = {
	{ "VisibilityTimeout", "visibilityTimeout", true },
	{ "MessageRetentionPeriod", "messageRetentionPeriod", true },
	{ "DelaySeconds", "delaySeconds", true },
	{ "ReceiveMessageWaitTimeSeconds", "receiveMessageWaitTimeSeconds", true },
	{ "DeadLetterQueue", "redrive.deadLetterQueue", false },
	{ "MaxReceiveCount", "redrive.maxReceiveCount", true },
};

/* clickctl queues create NAME [--attr KEY=VALUE]... */
int ck_ctl_queues_create(struct ck_ctl *c)
{
	if (c->n_operands != 1)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "queues create needs exactly one NAME");
	cJSON *body = cJSON_CreateObject();
	int rc = body && cJSON_AddStringToObject(body, "name", c->operands[0])
	             ? add_attrs(c, create_keys, sizeof(create_keys) / sizeof(create_keys[0]), body)
	             : ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
	if (rc == CK_CTL_EXIT_OK)
		rc = simple(c, "POST", "/queues", body, "name", "queue ", " created");
	cJSON_Delete(body);
	return rc;
}

/* One queue's row: NAME VISIBLE IN-FLIGHT DELAYED VISIBILITY DEAD-LETTER. */
static int queue_row(struct ck_cli_table *t, const cJSON *it)
{
	static const char *const nums[] = { "approximateNumberOfMessages",
		                            "approximateNumberOfMessagesNotVisible",
		                            "approximateNumberOfMessagesDelayed",
		                            "visibilityTimeout" };
	char cell[4][32], dlq[128] = "";
	for (int i = 0; i < 4; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, nums[i]);
		snprintf(cell[i], sizeof(cell[i]), "%.0f", cJSON_IsNumber(v) ? v->valuedouble : 0);
	}
	snprintf(cell[3] + strlen(cell[3]), sizeof(cell[3]) - strlen(cell[3]), " s");
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(it, "redrivePolicy");
	const cJSON *mrc = cJSON_GetObjectItemCaseSensitive(r, "maxReceiveCount");
	if (ck_ctl_json_str(r, "deadLetterQueue"))
		snprintf(dlq, sizeof(dlq), "%s after %.0f", ck_ctl_json_str(r, "deadLetterQueue"),
		         cJSON_IsNumber(mrc) ? mrc->valuedouble : 0);
	const char *row[] = {
		ck_ctl_json_str(it, "name"), cell[0], cell[1], cell[2], cell[3], dlq
	};
	return ck_cli_table_add(t, row);
}

/* clickctl queues list: NAME VISIBLE IN-FLIGHT DELAYED VISIBILITY DEAD-LETTER. */
int ck_ctl_queues_list(struct ck_ctl *c)
{
	static const char *const head[] = { "NAME",    "VISIBLE",    "IN-FLIGHT",
		                            "DELAYED", "VISIBILITY", "DEAD-LETTER" };

	if (c->n_operands != 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "queues list takes no arguments");
	return ck_ctl_list_print(c, "/queues", 6, head, queue_row);
}

/* clickctl queues delete NAME. */
int ck_ctl_queues_delete(struct ck_ctl *c)
{
	char path[512];
	if (c->n_operands != 1)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "queues delete needs exactly one NAME");
	int rc = queue_path(c->operands[0], "", path, sizeof(path));
	return rc ? rc : simple(c, "DELETE", path, NULL, "deleted", "queue ", " deleted");
}

/* clickctl queues purge NAME. */
int ck_ctl_queues_purge(struct ck_ctl *c)
{
	char path[512];
	if (c->n_operands != 1)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "queues purge needs exactly one NAME");
	int rc = queue_path(c->operands[0], "/purge", path, sizeof(path));
	return rc ? rc : simple(c, "POST", path, NULL, "purged", "", " messages deleted");
}

/* Reads at most BODY_FILE_MAX bytes of path into a new string. */
static int read_body_file(const char *path, char **out)
{
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	char *buf = malloc(BODY_FILE_MAX + 2);
	size_t n = 0;
	int rc = CK_CTL_EXIT_OK;

	*out = NULL;
	if (fd < 0 || !buf) {
		free(buf);
		if (fd > 0)
			close(fd);
		return ck_ctl_fail(CK_CTL_EXIT_FAIL, "cannot read %s: %s", path,
		                   fd < 0 ? strerror(errno) : "out of memory");
	}
	for (;;) {
		ssize_t got = read(fd, buf + n, BODY_FILE_MAX + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = ck_ctl_fail(CK_CTL_EXIT_FAIL, "cannot read %s: %s", path,
			                 strerror(errno));
			break;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > BODY_FILE_MAX) {
			rc = ck_ctl_fail(CK_CTL_EXIT_FAIL,
			                 "%s is over 256 KiB (the largest message)", path);
			break;
		}
	}
	if (fd > 0)
		close(fd);
	if (rc != CK_CTL_EXIT_OK) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*out = buf;
	return rc;
}

/* clickctl queues send NAME BODY | --payload-file FILE [--attr DelaySeconds=N]. */
int ck_ctl_queues_send(struct ck_ctl *c)
{
	static const struct attr_key keys[] = { { "DelaySeconds", "delaySeconds", true } };
	const char *file = ck_cli_opt_value(c->args, CK_CTL_OPT_PAYLOAD_FILE);
	char path[512], *text = NULL;
	cJSON *body = NULL;

	if (c->n_operands != (file ? 1u : 2u))
		return ck_ctl_fail(
		    CK_CTL_EXIT_USAGE,
		    "queues send needs NAME and BODY, or NAME and --payload-file FILE");
	int rc = queue_path(c->operands[0], "/messages", path, sizeof(path));
	if (rc == CK_CTL_EXIT_OK && file)
		rc = read_body_file(file, &text);
	if (rc != CK_CTL_EXIT_OK)
		return rc;
	body = cJSON_CreateObject();
	if (!body || !cJSON_AddStringToObject(body, "body", file ? text : c->operands[1]))
		rc = ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
	if (rc == CK_CTL_EXIT_OK)
		rc = add_attrs(c, keys, 1, body);
	if (rc == CK_CTL_EXIT_OK)
		rc = simple(c, "POST", path, body, "messageId", "message ", " sent");
	cJSON_Delete(body);
	free(text);
	return rc;
}

/* clickctl queues receive NAME [--attr MaxNumberOfMessages=N] [--attr
 * VisibilityTimeout=S] [--attr WaitTimeSeconds=S]: the messages, their
 * receive counts and receipt handles. */
int ck_ctl_queues_receive(struct ck_ctl *c)
{
	static const struct attr_key keys[] = {
		{ "MaxNumberOfMessages", "maxNumberOfMessages", true },
		{ "VisibilityTimeout", "visibilityTimeout", true },
		{ "WaitTimeSeconds", "waitTimeSeconds", true },
	};
	char path[512];
	cJSON *body = NULL, *resp = NULL;
	const cJSON *m;

	if (c->n_operands != 1)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "queues receive needs exactly one NAME");
	int rc = queue_path(c->operands[0], "/receive", path, sizeof(path));
	if (rc != CK_CTL_EXIT_OK)
		return rc;
	body = cJSON_CreateObject();
	rc = body ? add_attrs(c, keys, 3, body) : ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
	if (rc == CK_CTL_EXIT_OK)
		rc = call(c, "POST", path, body, &resp);
	if (rc == CK_CTL_EXIT_OK && c->json) {
		rc = ck_ctl_print_json(resp);
	} else if (rc == CK_CTL_EXIT_OK) {
		const cJSON *list = cJSON_GetObjectItemCaseSensitive(resp, "messages");
		if (cJSON_GetArraySize(list) == 0)
			printf("no messages\n");
		cJSON_ArrayForEach(m, list)
		{
			const cJSON *n =
			    cJSON_GetObjectItemCaseSensitive(m, "approximateReceiveCount");
			printf("message %s (received %.0f times)\nreceipt %s\n%s\n\n",
			       ck_ctl_json_str(m, "messageId"),
			       cJSON_IsNumber(n) ? n->valuedouble : 0,
			       ck_ctl_json_str(m, "receiptHandle"), ck_ctl_json_str(m, "body"));
		}
	}
	cJSON_Delete(body);
	cJSON_Delete(resp);
	return rc;
}

/* Writes "/queues/NAME/messages/RECEIPT<suffix>" into path. */
static int receipt_path(const char *name, const char *receipt, const char *suffix, char *path,
                        size_t len)
{
	char esc[256], tail[512];
	if (ck_cli_url_escape(receipt, esc, sizeof(esc)) != 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "receipt handle too long");
	snprintf(tail, sizeof(tail), "/messages/%s%s", esc, suffix);
	return queue_path(name, tail, path, len);
}

/* clickctl queues delete-message NAME RECEIPT. */
int ck_ctl_queues_delete_message(struct ck_ctl *c)
{
	char path[1024];
	if (c->n_operands != 2)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE,
		                   "queues delete-message needs NAME and RECEIPT-HANDLE");
	int rc = receipt_path(c->operands[0], c->operands[1], "", path, sizeof(path));
	return rc ? rc : simple(c, "DELETE", path, NULL, "deleted", "message ", " deleted");
}

/* clickctl queues change-visibility NAME RECEIPT SECONDS. */
int ck_ctl_queues_change_visibility(struct ck_ctl *c)
{
	char path[1024], *end = NULL;
	if (c->n_operands != 3)
		return ck_ctl_fail(
		    CK_CTL_EXIT_USAGE,
		    "queues change-visibility needs NAME, RECEIPT-HANDLE and SECONDS");
	long secs = strtol(c->operands[2], &end, 10);
	if (!c->operands[2][0] || *end || secs < 0 || secs > 43200)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "SECONDS must be 0 to 43200");
	int rc = receipt_path(c->operands[0], c->operands[1], "/visibility", path, sizeof(path));
	cJSON *body = cJSON_CreateObject();
	if (rc == CK_CTL_EXIT_OK &&
	    (!body || !cJSON_AddNumberToObject(body, "visibilityTimeout", (double)secs)))
		rc = ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
	if (rc == CK_CTL_EXIT_OK) {
		cJSON *resp = NULL;
		rc = call(c, "POST", path, body, &resp);
		if (rc == CK_CTL_EXIT_OK && c->json)
			rc = ck_ctl_print_json(resp);
		else if (rc == CK_CTL_EXIT_OK)
			printf("message visible again in %ld s\n", secs);
		cJSON_Delete(resp);
	}
	cJSON_Delete(body);
	return rc;
}
