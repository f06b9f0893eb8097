/*
 * AWS IoT SQL: compile a rule's SQL once into a tree, then evaluate it per
 * message. Pure: no I/O, no globals; the clock comes in with each message.
 * A compiled rule is immutable and may be evaluated from several threads.
 *
 * Evaluation never fails for type reasons: problems yield Undefined and the
 * rule simply does not fire (rules-sql.md §1). Only compilation reports
 * errors, with line and column.
 */
#ifndef CK_SQL_H
#define CK_SQL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define CK_SQL_MAX_LEN   8192        /* longest SQL text accepted */
#define CK_SQL_MAX_DEPTH 64          /* deepest expression nesting accepted */
#define CK_SQL_OUT_MAX   (16u << 20) /* longest output payload ck_sql_eval_payload builds */

enum ck_sql_version {
	CK_SQL_2016_03_23 = 0, /* the default */
	CK_SQL_2015_10_08,
};

struct ck_sql_error {
	int line;          /* 1-based; 0 when not tied to a position */
	int column;        /* 1-based */
	char message[256]; /* human-readable, e.g. "expected FROM" */
};

/* One incoming message, as the evaluator sees it. All fields borrowed. */
struct ck_sql_message {
	const char *topic;      /* the MQTT topic (after any $aws/rules/<name>/ prefix) */
	const uint8_t *payload; /* raw bytes; parsed as JSON when they are JSON */
	size_t payload_len;
	const char *client_id;  /* for clientid(); may be NULL */
	int64_t timestamp_ms;   /* for timestamp(); injected clock */
	const char *principal;  /* for principal(); may be NULL */
	const char *account_id; /* for accountid(); NULL gives Undefined */
	const char *trace_id;   /* for traceid(): a UUID per message; NULL gives Undefined */
};

struct ck_sql_rule;

/*
 * Parses a SQL version name ("2016-03-23", "2015-10-08"). NULL or "" gives
 * the default. Returns 0, or -EINVAL for an unknown name.
 */
int ck_sql_version_parse(const char *name, enum ck_sql_version *out);
const char *ck_sql_version_name(enum ck_sql_version v);

/*
 * Compiles sql. On success returns 0 and stores a new rule in *out (caller
 * frees with ck_sql_rule_free). On a syntax or semantic error returns
 * -EINVAL and fills *err; on allocation failure -ENOMEM. Text longer than
 * CK_SQL_MAX_LEN is refused with -E2BIG.
 */
int ck_sql_compile(const char *sql, enum ck_sql_version version, struct ck_sql_rule **out,
                   struct ck_sql_error *err);

void ck_sql_rule_free(struct ck_sql_rule *rule);

/* The FROM topic filter, exactly as written between the quotes. Borrowed. */
const char *ck_sql_rule_topic_filter(const struct ck_sql_rule *rule);

/*
 * Evaluates rule against msg. Returns 1 when the WHERE clause is true (or
 * absent) and stores the SELECT output in *out (a new cJSON tree the caller
 * deletes; for binary payloads with SELECT * it is a string holding the
 * base64 of the bytes); returns 0 when the rule does not fire (*out NULL);
 * -ENOMEM on allocation failure. out may be NULL when only whether the rule
 * fires matters: the SELECT list is then not evaluated at all. Does not
 * check the topic filter: callers match topics first (core/topic.h).
 */
int ck_sql_eval(const struct ck_sql_rule *rule, const struct ck_sql_message *msg, cJSON **out);

/*
 * Evaluates rule against msg and returns the output payload as the exact
 * bytes an action sends (rules-sql.md §8): compact JSON in construction
 * order; for a binary payload, SELECT * and SELECT VALUE * forward the
 * original bytes unchanged; SELECT VALUE of Undefined is an empty payload.
 * The JSON is the text cJSON_PrintUnformatted prints for ck_sql_eval's tree,
 * except that strings holding U+0000 are kept whole (escaped) rather than
 * cut. Builds no cJSON tree.
 *
 * Returns 1 when the rule fires, with a new buffer in *out (caller frees
 * with free(); a NUL follows the *out_len bytes, which may hold NULs
 * themselves); 0 when it does not fire (*out NULL, *out_len 0); -ENOMEM;
 * -E2BIG when the output would be longer than CK_SQL_OUT_MAX; -EINVAL for
 * a NULL rule or msg. out may be NULL (out_len too): only whether the rule
 * fires is computed. Like ck_sql_eval, it does not check the topic filter.
 * Thread-safe on a shared rule.
 */
int ck_sql_eval_payload(const struct ck_sql_rule *rule, const struct ck_sql_message *msg,
                        uint8_t **out, size_t *out_len);

/*
 * Substitution templates for action parameters (rules-sql.md §15): text in
 * which ${expr} is replaced by the value of an IoT SQL expression evaluated
 * against the original message (not the SELECT output), and "$$" stands
 * for "$". Compiled once like a rule; immutable afterwards.
 */
struct ck_sql_template;

/*
 * Compiles text. Returns 0 and a new template in *out (free with
 * ck_sql_template_free); -EINVAL with err filled (line and column within
 * text) for a bad expression or an unterminated "${"; -E2BIG when text is
 * longer than CK_SQL_MAX_LEN; -ENOMEM.
 */
int ck_sql_template_compile(const char *text, enum ck_sql_version version,
                            struct ck_sql_template **out, struct ck_sql_error *err);

void ck_sql_template_free(struct ck_sql_template *tpl);

/*
 * Renders tpl for msg into a new NUL-terminated string in *out (caller
 * frees with free()). Strings appear as they are, numbers and Booleans as
 * in JSON, arrays and objects as compact JSON, Null as "null", Undefined
 * as nothing. Returns 0, or -ENOMEM, or -E2BIG when the result would be
 * longer than 1 MiB.
 */
int ck_sql_template_render(const struct ck_sql_template *tpl, const struct ck_sql_message *msg,
                           char **out);

#endif
