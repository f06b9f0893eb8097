/*
 * clickctl's "rules eval": evaluates one IoT SQL rule against one message
 * offline, with the engine's own compiler, topic matching and evaluator
 * (src/sql, core/topic), so what it prints is what clickd would hand the
 * rule's actions. It needs neither clickd nor a token and writes no file.
 * Exit statuses are its own, for scripts: 0 the rule fires (the output
 * payload, or the rendered --template, on stdout), 1 it does not fire
 * (nothing printed), 2 invalid SQL or template (line and column on stderr)
 * or any other problem with the arguments or the payload file.
 */
#include "clickctl/clickctl.h"

#include "core/name.h"
#include "core/topic.h"
#include "sql/sql.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EVAL_FIRES   0
#define EVAL_NO_FIRE 1
#define EVAL_ERROR   2

#define PAYLOAD_FILE_MAX CK_SQL_OUT_MAX /* larger files are refused */

static const char *const usage_hint = "try clickctl rules eval --help";

/* Prints "clickctl: invalid <what>: line L, column C: message" and the
 * offending line with a caret under the column. Returns EVAL_ERROR. */
static int print_compile_error(const char *what, const char *text, const struct ck_sql_error *e)
{
	char caret[2 * CK_SQL_MAX_LEN + 16];

	if (e->line <= 0)
		return ck_ctl_fail(EVAL_ERROR, "invalid %s: %s", what, e->message);
	ck_ctl_fail(EVAL_ERROR, "invalid %s: line %d, column %d: %s", what, e->line, e->column,
	            e->message);
	if (ck_cli_sql_caret(text, e->line, e->column, caret, sizeof(caret)) == 0)
		fputs(caret, stderr);
	return EVAL_ERROR;
}

/*
 * Reads all of path ("-" is standard input) into a new buffer. Returns 0
 * with the bytes in *out (caller frees) and their count in *len, or prints
 * the problem and returns EVAL_ERROR.
 */
static int read_payload_file(const char *path, uint8_t **out, size_t *len)
{
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0, cap = 4096;
	uint8_t *buf = NULL;
	int rc = EVAL_ERROR;

	*out = NULL;
	*len = 0;
	if (fd < 0)
		return ck_ctl_fail(EVAL_ERROR, "cannot read --payload-file %s: %s", path,
		                   strerror(errno));
	buf = malloc(cap);
	if (!buf) {
		ck_ctl_fail(EVAL_ERROR, "out of memory");
		goto out;
	}
	for (;;) {
		if (n == cap) {
			if (cap >= PAYLOAD_FILE_MAX) {
				ck_ctl_fail(EVAL_ERROR, "--payload-file %s is larger than %u bytes",
				            path, PAYLOAD_FILE_MAX);
				goto out;
			}
			uint8_t *grown = realloc(buf, cap * 2);
			if (!grown) {
				ck_ctl_fail(EVAL_ERROR, "out of memory");
				goto out;
			}
			buf = grown;
			cap *= 2;
		}
		ssize_t got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			ck_ctl_fail(EVAL_ERROR, "cannot read --payload-file %s: %s", path,
			            strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	*out = buf;
	*len = n;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}

/* Writes n bytes to stdout, plus a newline when stdout is a terminal (so a
 * shell prompt does not follow the payload); pipes get the exact bytes. */
static int print_bytes(const void *p, size_t n)
{
	if (n > 0 && fwrite(p, 1, n, stdout) != n)
		return ck_ctl_fail(EVAL_ERROR, "cannot write the output: %s", strerror(errno));
	if (isatty(STDOUT_FILENO))
		putchar('\n');
	/* flushed here so that a failure exits 2, not main's 1 ("does not fire") */
	if (fflush(stdout) != 0)
		return ck_ctl_fail(EVAL_ERROR, "cannot write the output: %s", strerror(errno));
	return EVAL_FIRES;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct eval_args {
	const char *sql, *topic, *client_id, *version, *rule_name, *payload, *payload_file,
	    *template_text;
};

/* Reads and checks the options. Returns 0, or prints why and returns
 * EVAL_ERROR. */
static int eval_args_get(const struct ck_ctl *c, struct eval_args *a)
{
	a->sql = ck_cli_opt_value(c->args, CK_CTL_OPT_SQL);
	a->topic = ck_cli_opt_value(c->args, CK_CTL_OPT_TOPIC);
	a->client_id = ck_cli_opt_value(c->args, CK_CTL_OPT_CLIENTID);
	a->version = ck_cli_opt_value(c->args, CK_CTL_OPT_SQL_VERSION);
	a->rule_name = ck_cli_opt_value(c->args, CK_CTL_OPT_RULE_NAME);
	a->payload = ck_cli_opt_value(c->args, CK_CTL_OPT_PAYLOAD);
	a->payload_file = ck_cli_opt_value(c->args, CK_CTL_OPT_PAYLOAD_FILE);
	a->template_text = ck_cli_opt_value(c->args, CK_CTL_OPT_TEMPLATE);

	if (c->n_operands != 0)
		return ck_ctl_fail(EVAL_ERROR, "rules eval takes no NAME; use --rule-name (%s)",
		                   usage_hint);
	if (!a->sql)
		return ck_ctl_fail(EVAL_ERROR, "rules eval needs --sql SQL (%s)", usage_hint);
	if (!a->topic)
		return ck_ctl_fail(EVAL_ERROR, "rules eval needs --topic TOPIC (%s)", usage_hint);
	if (!a->payload == !a->payload_file)
		return ck_ctl_fail(EVAL_ERROR,
		                   "rules eval needs either --payload BYTES or --payload-file FILE "
		                   "(%s)",
		                   usage_hint);
	if (a->rule_name && !ck_name_valid(a->rule_name))
		return ck_ctl_fail(EVAL_ERROR,
		                   "--rule-name '%s' is not a valid rule name (1 to %d characters "
		                   "from a-z A-Z 0-9 _ - :)",
		                   a->rule_name, CK_NAME_MAX);
	return 0;
}

/*
 * The topic the rule sees and whether the rule is reached at all. A Basic
 * Ingest topic ($aws/rules/<name>/<rest>) reaches only the rule called
 * <name>, whatever its FROM filter, and topic() sees <rest>; any other
 * topic reaches the rule when its FROM filter matches. Returns 1 (reached),
 * 0 (not reached), or prints why the topic is invalid and returns -1.
 */
static int route(const struct eval_args *a, const struct ck_sql_rule *rule, const char **seen)
{
	char name[CK_NAME_MAX + 1];
	const char *rest = ck_topic_basic_ingest(a->topic, name, sizeof(name));

	*seen = rest ? rest : a->topic;
	if (!ck_topic_name_valid(*seen)) {
		ck_ctl_fail(EVAL_ERROR,
		            "--topic '%s' is not a valid topic name (1 to %d bytes of UTF-8, at "
		            "most %d levels, no + or #)",
		            a->topic, CK_TOPIC_MAX_LEN, CK_TOPIC_MAX_LEVELS);
		return -1;
	}
	if (rest)
		return a->rule_name && strcmp(a->rule_name, name) == 0;
	return ck_topic_match(ck_sql_rule_topic_filter(rule), a->topic);
}

int ck_ctl_rules_eval(struct ck_ctl *c)
{
	struct eval_args a;
	struct ck_sql_rule *rule = NULL;
	struct ck_sql_template *tpl = NULL;
	struct ck_sql_error err;
	enum ck_sql_version version;
	uint8_t *file = NULL, *out = NULL;
	size_t file_len = 0, out_len = 0;
	char *text = NULL;
	const char *topic;
	int rc;

	rc = eval_args_get(c, &a);
	if (rc != 0)
		return rc;
	if (ck_sql_version_parse(a.version, &version) != 0)
		return ck_ctl_fail(
		    EVAL_ERROR, "unknown --sql-version '%s' (2016-03-23 or 2015-10-08)", a.version);
	rc = ck_sql_compile(a.sql, version, &rule, &err);
	if (rc == -ENOMEM)
		return ck_ctl_fail(EVAL_ERROR, "out of memory");
	if (rc != 0)
		return print_compile_error("SQL", a.sql, &err);
	if (a.template_text) {
		rc = ck_sql_template_compile(a.template_text, version, &tpl, &err);
		if (rc == -ENOMEM) {
			rc = ck_ctl_fail(EVAL_ERROR, "out of memory");
			goto out;
		}
		if (rc != 0) {
			rc = print_compile_error("template", a.template_text, &err);
			goto out;
		}
	}
	if (a.payload_file) {
		rc = read_payload_file(a.payload_file, &file, &file_len);
		if (rc != 0)
			goto out;
	}
	rc = route(&a, rule, &topic);
	if (rc <= 0) {
		rc = rc == 0 ? EVAL_NO_FIRE : EVAL_ERROR;
		goto out;
	}
	struct ck_sql_message msg = {
		.topic = topic,
		.payload = file ? file : (const uint8_t *)a.payload,
		.payload_len = file ? file_len : strlen(a.payload),
		.client_id = a.client_id,
		.timestamp_ms = now_ms(),
	};
	/* the template needs only whether the rule fires, not its output */
	rc = ck_sql_eval_payload(rule, &msg, tpl ? NULL : &out, tpl ? NULL : &out_len);
	if (rc < 0) {
		rc = ck_ctl_fail(EVAL_ERROR, "cannot evaluate the rule: %s", strerror(-rc));
		goto out;
	}
	if (rc == 0) {
		rc = EVAL_NO_FIRE;
		goto out;
	}
	if (!tpl) {
		rc = print_bytes(out, out_len);
		goto out;
	}
	/* templates see the original message, not the SELECT output (§15) */
	rc = ck_sql_template_render(tpl, &msg, &text);
	if (rc < 0) {
		rc = ck_ctl_fail(EVAL_ERROR, "cannot render the template: %s", strerror(-rc));
		goto out;
	}
	rc = print_bytes(text, strlen(text));
out:
	free(text);
	free(out);
	free(file);
	ck_sql_template_free(tpl);
	ck_sql_rule_free(rule);
	return rc;
}
