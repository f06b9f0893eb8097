/*
 * Rule actions. Each action runs inside the ingest transaction and writes
 * only to the store, so its effect commits together with the journal
 * cursor. Effects outside the store (HTTP, email, SMS) will go through an
 * outbox written in the same transaction; none exist yet.
 */
#ifndef CK_ACTIONS_H
#define CK_ACTIONS_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "store/store.h"

/* What an action knows about the message that triggered it. */
struct ck_action_ctx {
	const char *rule;       /* rule name */
	const char *thing;      /* authenticated thing */
	const char *click_type; /* NULL when the message is not a press */
	const char *location;   /* the thing's "location" attribute, or NULL */
	int64_t event_seq;
	int64_t pressed_ms;
	int64_t now_ms;
};

/*
 * Checks one action object before a rule holding it is stored: a known
 * "type" and valid parameters for it. Returns 0, or -EINVAL with a
 * one-line reason in why.
 */
int ck_action_validate(const cJSON *action, char *why, size_t why_len);

/*
 * Runs one validated action object ({"type":"workorder","kind":...}).
 * Returns 0 and sets *workorders to the number of work orders created, or a
 * negative errno from the store.
 */
int ck_action_run(struct ck_store *s, const cJSON *action, const struct ck_action_ctx *ctx,
                  int *workorders);

#endif
