/*
 * The set of rules clickd evaluates: every enabled rule compiled once, with
 * its FROM filter and its actions. A ck_rules is immutable once loaded; a
 * change to the rules produces a new set (ck_rules_load) that replaces the
 * old one between ingest batches, so evaluation never sees a half-updated * set. Matching goes
 * through a topic index (core/topic_index.h) built when the set is loaded, so thousands of rules
 * are not scanned per message.
 */
#ifndef CK_RULES_H
#define CK_RULES_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "core/name.h"
#include "sql/sql.h"
#include "store/store.h"

#define CK_RULES_MAX        10000 /* rules per server */
#define CK_RULE_ACTIONS_MAX 10    /* actions per rule, as AWS */

struct ck_rule {
	char name[CK_NAME_MAX + 1];
	struct ck_sql_rule *sql; /* owned */
	cJSON *actions;          /* owned; a validated array of action objects */
	cJSON *error_action;     /* owned; an action object, or NULL */
};

struct ck_rules;

/*
 * Loads and compiles every enabled rule from s. A stored rule that no
 * longer compiles (it was validated when created, so only a downgrade can
 * cause this) is logged and skipped. Returns 0 and a new set in *out.
 */
int ck_rules_load(struct ck_store *s, struct ck_rules **out);

void ck_rules_free(struct ck_rules *rules);

/* Number of rules in the set. */
size_t ck_rules_count(const struct ck_rules *rules);

/*
 * Calls fn for every rule whose FROM filter matches topic, in name order
 * (rules are loaded sorted by name).
 * fn returning non-zero stops the walk and is returned; otherwise 0.
 */
int ck_rules_match(const struct ck_rules *rules, const char *topic,
                   int (*fn)(const struct ck_rule *rule, void *ctx), void *ctx);

/* The enabled rule called name, or NULL. */
const struct ck_rule *ck_rules_find(const struct ck_rules *rules, const char *name);

/*
 * Basic Ingest: when topic is "$aws/rules/<name>/<rest>" with a non-empty
 * rest, copies <name> into name and returns <rest> (the topic the rule's
 * topic() sees); otherwise returns NULL. A Basic Ingest message goes to
 * that rule alone, whatever its FROM filter, as in AWS IoT, where the FROM
 * clause of a rule used only through Basic Ingest is optional. Same as
 * ck_topic_basic_ingest (core/topic.h), which pure callers use.
 */
const char *ck_rules_basic_ingest(const char *topic, char *name, size_t name_len);

/* * Validates a rule before it is stored: name, SQL (compiled with version),
 * actions (a JSON array of 1..CK_RULE_ACTIONS_MAX action objects, each
 * checked by ck_action_validate) and the optional error action (one action
 * object, or NULL / JSON null for none). Returns 0,
 * or -EINVAL with a one-line reason in why; for SQL errors *sql_err holds
 * the position.
 */
int ck_rule_validate(const char *name, const char *sql, const char *version, const cJSON *actions,
                     const cJSON *error_action, struct ck_sql_error *sql_err, char *why,
                     size_t why_len);

#endif
