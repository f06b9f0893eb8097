/*
 * The rule actions whose effect is a queue message or a table item
 * ("queue" and "table", docs/api.md "Actions"). Both write through the
 * store in the ingest transaction, so a message's effect happens exactly
 * once: a batch that rolls back takes the message or item with it, and a
 * committed one is never run again. actions.c dispatches to these.
 */
#ifndef CK_STORE_ACTIONS_H
#define CK_STORE_ACTIONS_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "engine/actions.h"
#include "store/store.h"

/*
 * Checks a "queue" action: {"type":"queue","queue":NAME,"body":TEMPLATE?,
 * "delaySeconds":0..900?}. Returns 0 or -EINVAL with a reason in why.
 * The queue itself may be created later; a missing queue fails the run.
 */
int ck_store_action_queue_validate(const cJSON *action, char *why, size_t why_len);

/*
 * Sends the rule's output (or the rendered "body" template) to the queue.
 * Returns 0; -EINVAL with res->error (no such queue, a body that is not
 * UTF-8 text of 1 byte to 256 KiB, a template that cannot be rendered);
 * another negative errno for a store failure that must abort the batch.
 */
int ck_store_action_queue_run(struct ck_store *s, const cJSON *action,
                              const struct ck_action_ctx *ctx, struct ck_action_result *res);

/*
 * Checks a "table" action: {"type":"table","table":NAME,
 * "partitionKey":TEMPLATE?,"sortKey":TEMPLATE?,"condition":{"exists":false}?}.
 * Returns 0 or -EINVAL with why.
 */
int ck_store_action_table_validate(const cJSON *action, char *why, size_t why_len);

/*
 * Puts the rule's output as an item: the output's JSON object (any other
 * output becomes {"payload": output}) with the key attributes set from the
 * rendered templates when given (a template rendering a number for an N
 * key is stored as a number). Returns 0; -EINVAL with res->error (no such
 * table, a missing or mistyped key, the condition failed); another
 * negative errno for a store failure.
 */
int ck_store_action_table_run(struct ck_store *s, const cJSON *action,
                              const struct ck_action_ctx *ctx, struct ck_action_result *res);

#endif
