/*
 * Settling outbox work: what happens when the actions of a rule for one
 * message have all reached a final state. If any failed, the rule's error
 * action receives one AWS-format error message for that message, listing
 * every failure ({"ruleName","topic","clientId","base64OriginalPayload",
 * "failures":[{"failedAction","failedResource","errorMessage"}]}), exactly
 * as AWS IoT aggregates them. Runs inside the caller's transaction.
 */
#ifndef CK_OUTBOX_H
#define CK_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "store/store.h"

/* The message a rule acted on, as the error message reports it. */
struct ck_outbox_origin {
	int64_t event_seq;
	const char *rule;
	const char *thing;
	const char *topic;
	const char *client_id;
	const uint8_t *payload;
	size_t payload_len;
};

/*
 * Checks (origin->event_seq, origin->rule): when none of its actions is
 * pending and at least one is dead, runs error_action (an action object;
 * NULL or JSON null: the rule has none, and the failures stay in the
 * dead-letter list only) with the error message as its payload, once per
 * message and rule. Returns 0 or a negative errno from the store.
 */
int ck_outbox_settle(struct ck_store *s, const struct ck_outbox_origin *origin,
                     const cJSON *error_action, int64_t now_ms);

/* Builds the AWS error message (new object, caller deletes). failures is taken over. */
cJSON *ck_outbox_error_message(const struct ck_outbox_origin *origin, cJSON *failures);

#endif
