/*
 * Asynchronous invocation of functions, as AWS Lambda does it for IoT
 * rules (aws-model.md §4.3): a "function" outbox entry is one event for
 * one function; each courier attempt runs the function once
 * (functions/function.h). A function error is retried at most
 * maximumRetryAttempts times (0 to 2), after retry_base_ms and then twice
 * that (AWS: 1 and 2 minutes); an event older than maximumEventAgeSeconds
 * is not run. When the event finally fails, the function's onFailure
 * action receives an AWS destination record ({"version","timestamp",
 * "requestContext":{...,"condition"},"requestPayload","responseContext",
 * "responsePayload"}) and the entry is done; without onFailure the entry
 * is dead and reaches the rule's error action like any failed delivery.
 */
#ifndef CK_INVOKE_H
#define CK_INVOKE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "store/store.h"

#define CK_INVOKE_RETRY_BASE_MS 60000 /* first retry after a minute, the second after two */

/* One "function" outbox entry; strings and buffers are borrowed. */
struct ck_invoke_job {
	int64_t id;
	const char *key;      /* the entry's idempotency key: the invocation's request id */
	const char *rule;     /* the rule, or "function:NAME" for an API invocation */
	const char *function; /* the entry's destination */
	const uint8_t *event;
	size_t event_len;
	int attempts; /* attempts made before this one */
	int64_t event_seq, created_ms, expires_ms;
	const char *thing, *topic, *client_id;
	const uint8_t *original;
	size_t original_len;
};

/*
 * Runs one attempt of j on s (a connection of the calling thread, not in a
 * transaction) and records its outcome: done, a retry, the onFailure
 * action, or dead (then the rule's error action). Never fails: a store
 * failure leaves the entry pending, to be run again (logged).
 */
void ck_invoke_run(struct ck_store *s, const struct ck_invoke_job *j, int64_t retry_base_ms);

/* The AWS destination record of a failed invocation (new object). event
 * (borrowed) is the request payload, condition "RetriesExhausted" or
 * "EventAgeExceeded". */
cJSON *ck_invoke_failure_record(const char *function, const char *request_id, const char *condition,
                                int invoke_count, const uint8_t *event, size_t event_len,
                                const char *error, int64_t now_ms);

#endif
