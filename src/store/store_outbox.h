/*
 * The outbox: every effect outside the store (an HTTP call, an MQTT
 * publish) is written here in the same transaction as the event that
 * caused it, then delivered by the courier (engine/courier.c) until it is
 * done or dead. Also the device-retry dedup table. Part of the store; see
 * store.h for the conventions (one connection per thread, 0 or -errno).
 */
#ifndef CK_STORE_OUTBOX_H
#define CK_STORE_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "store/store.h"

/* One outbox entry. Strings and buffers are borrowed, as for ck_rule_row. */
struct ck_outbox_entry {
	int64_t id;
	const char *key;         /* idempotency key, unique */
	const char *rule;        /* the rule that produced it */
	int action_index;        /* position in the rule's actions; -1 for its error action */
	const char *action;      /* the action object, JSON text */
	const char *kind;        /* "webhook", "republish", ... */
	const char *destination; /* rendered URL or topic */
	const uint8_t *payload;
	size_t payload_len;
	const char *headers; /* JSON object text of rendered headers, or NULL */
	int64_t event_seq;
	const char *thing, *topic, *client_id;
	const uint8_t *original; /* the triggering message's payload, for error messages */
	size_t original_len;
	const char *state; /* "pending", "done", "dead" (read side) */
	int attempts;
	int64_t next_attempt_ms, created_ms, expires_ms;
	const char *last_error;
};

/* Inserts e in e->state, or when that is NULL "dead" if last_error is
 * set, else "pending". Returns 0 and the id, or -EEXIST when an entry with
 * the same key exists (nothing changes). */
int ck_store_outbox_put(struct ck_store *s, const struct ck_outbox_entry *e, int64_t *id);

/* Calls fn for up to limit pending entries due at now (oldest due first). */
int ck_store_outbox_due(struct ck_store *s, int64_t now_ms, int limit,
                        int (*fn)(const struct ck_outbox_entry *e, void *ctx), void *ctx);

/* The earliest next_attempt_ms of a pending entry; -ENOENT when none. */
int ck_store_outbox_next_due(struct ck_store *s, int64_t *when_ms);

/* Marks an entry delivered. */
int ck_store_outbox_done(struct ck_store *s, int64_t id, int64_t now_ms);

/* Records a failed attempt and when to try again. */
int ck_store_outbox_retry(struct ck_store *s, int64_t id, int attempts, int64_t next_ms,
                          const char *error);

/* Marks an entry finally failed (the dead-letter list). */
int ck_store_outbox_dead(struct ck_store *s, int64_t id, int attempts, int64_t now_ms,
                         const char *error);

/*
 * For the non-error-action entries of (event_seq, rule): counts those still
 * pending and appends one AWS "failures" item per dead one to failures
 * ({"failedAction","failedResource","errorMessage"}).
 */
int ck_store_outbox_siblings(struct ck_store *s, int64_t event_seq, const char *rule, int *pending,
                             cJSON *failures);

/* Reads one entry by id into a JSON object in the API's shape. */
int ck_store_outbox_get_json(struct ck_store *s, int64_t id, cJSON **out);

/* Lists entries (q->status: pending, done or dead), newest first. */
int ck_store_outbox_list(struct ck_store *s, const struct ck_list_query *q, cJSON *items,
                         int64_t *next);

/* Puts a dead entry back in the queue: attempts 0, due now, new expiry.
 * -ENOENT when there is no dead entry with that id. */
int ck_store_outbox_requeue(struct ck_store *s, int64_t id, int64_t now_ms, int64_t expires_ms);

/*
 * Device-retry dedup. Records (thing, key) for event seq at when_ms.
 * Returns 0 when the event is new; -EEXIST when it repeats an event seen
 * before (*dup_of is that event's seq). When window_ms > 0 an earlier
 * sighting older than the window does not count (and is replaced).
 */
int ck_store_dedup(struct ck_store *s, const char *thing, const char *key, int64_t when_ms,
                   int64_t window_ms, int64_t seq, int64_t *dup_of);

/* Forgets dedup keys last seen before before_ms. */
int ck_store_dedup_prune(struct ck_store *s, int64_t before_ms);

#endif
