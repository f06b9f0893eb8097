/*
 * Rule actions. Every action runs inside the ingest transaction. Actions
 * whose effect is in the store (workorder) take effect there at once;
 * actions whose effect is outside (webhook, republish) write an outbox
 * entry in the same transaction, which the courier delivers at least once
 * with retries (engine/courier.h). Action parameters may hold substitution
 * templates ${...}, evaluated against the original message.
 */
#ifndef CK_ACTIONS_H
#define CK_ACTIONS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sql/sql.h"
#include "store/store.h"

#define CK_ACTION_MAX_AGE_DEFAULT_S 3600 /* outbox entries expire after an hour */
#define CK_ACTION_MAX_AGE_MIN_S     60   /* the bounds AWS gives asynchronous invokes */
#define CK_ACTION_MAX_AGE_MAX_S     21600
#define CK_ACTION_ERROR_INDEX       (-1) /* action_index of a rule's error action */

/* What an action knows about the message that triggered it. */
struct ck_action_ctx {
	const char *rule;       /* rule name */
	const char *thing;      /* authenticated thing */
	const char *click_type; /* NULL when the message is not a press */
	const char *location;   /* the thing's "location" attribute, or NULL */
	int64_t event_seq;
	int64_t pressed_ms;
	int64_t now_ms;
	const struct ck_sql_message *msg; /* the original message, for templates */
	const uint8_t *output;            /* the payload the action sends */
	size_t output_len;
	int action_index; /* position in the rule; CK_ACTION_ERROR_INDEX for the error action */
};

struct ck_action_result {
	int workorders;  /* work orders created */
	int enqueued;    /* outbox entries written */
	char error[256]; /* why the action failed, when it returns -EINVAL */
};

/*
 * Checks one action object before a rule holding it is stored: a known
 * "type" and valid parameters (templates compile, URLs are http(s), QoS is
 * 0 or 1, ...). Returns 0, or -EINVAL with a one-line reason in why.
 */
int ck_action_validate(const cJSON *action, char *why, size_t why_len);

/*
 * Runs one validated action. Returns 0 on success; -EINVAL when the action
 * itself failed (res->error says why; the caller reports it to the rule's
 * error action and the batch goes on); any other negative errno is a store
 * failure that must abort the batch.
 */
int ck_action_run(struct ck_store *s, const cJSON *action, const struct ck_action_ctx *ctx,
                  struct ck_action_result *res);

/* The action's type name, for error messages ("webhook"); "unknown" when absent. */
const char *ck_action_type(const cJSON *action);

/*
 * Writes the outbox key of action index of rule for event seq into buf:
 * "<seq>/<rule>/<index>", or "<seq>/<rule>/error" for the error action.
 */
void ck_action_key(char *buf, size_t len, int64_t seq, const char *rule, int index);

#endif
