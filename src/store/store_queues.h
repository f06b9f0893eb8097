/*
 * Queues, the SQS counterpart (docs/internals/queues.md): named queues of
 * text messages with a visibility timeout, delivery delay, retention, a
 * receive count per message, receipt handles that change with every
 * receive, and a dead-letter queue after a maximum receive count. Part of
 * the store: every function works on one connection (store.h conventions)
 * and every change is a store effect, so a send inside a caller's
 * transaction (a rule action in the ingest batch, a function) commits or
 * rolls back with it. Long polling is not here: the store only tells a
 * listener, after a commit, that messages may have become receivable.
 */
#ifndef CK_STORE_QUEUES_H
#define CK_STORE_QUEUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "store/store.h"

#define CK_QUEUE_NAME_MAX             80
#define CK_QUEUE_BODY_MAX             (256 * 1024) /* bytes of UTF-8 */
#define CK_QUEUE_VISIBILITY_DEFAULT_S 30
#define CK_QUEUE_VISIBILITY_MAX_S     43200 /* 12 h, also the cap from a receive */
#define CK_QUEUE_RETENTION_MIN_S      60
#define CK_QUEUE_RETENTION_DEFAULT_S  345600 /* 4 days */
#define CK_QUEUE_RETENTION_MAX_S      1209600
#define CK_QUEUE_DELAY_MAX_S          900
#define CK_QUEUE_WAIT_MAX_S           20
#define CK_QUEUE_RECEIVE_MAX          10
#define CK_QUEUE_MAX_RECEIVE_COUNT    1000
#define CK_QUEUE_ID_LEN               36 /* message ids: UUID text */
#define CK_QUEUE_RECEIPT_LEN          48 /* receipt handles: hex */

/* A queue's attributes. */
struct ck_queue_attrs {
	char name[CK_QUEUE_NAME_MAX + 1];
	int visibility_timeout_s; /* 0..CK_QUEUE_VISIBILITY_MAX_S */
	int retention_s;          /* CK_QUEUE_RETENTION_MIN_S..MAX */
	int delay_s;              /* 0..CK_QUEUE_DELAY_MAX_S */
	int receive_wait_s;       /* default long-poll wait, 0..CK_QUEUE_WAIT_MAX_S */
	char dead_letter_queue[CK_QUEUE_NAME_MAX + 1]; /* "" when no redrive policy */
	int max_receive_count;                         /* 1..1000 with a dead-letter queue */
	int64_t created_ms;
};

/* A received message; strings borrowed for the duration of the callback. */
struct ck_queue_message {
	const char *message_id;
	const char *receipt; /* the handle of this receive */
	const char *body;    /* NUL-terminated UTF-8 */
	size_t body_len;
	int receive_count; /* ApproximateReceiveCount, this receive included */
	int64_t sent_ms;
	int64_t first_receive_ms;
	const char *dead_letter_source; /* the queue it was moved from, or NULL */
};

/* True when name matches [A-Za-z0-9_-]{1,80} (SQS queue names). */
bool ck_queue_name_valid(const char *name);

/* Fills a with the SQS defaults (30 s visibility, 4 days retention, ...)
 * and an empty name. */
void ck_queue_attrs_default(struct ck_queue_attrs *a);

/*
 * Checks a's values against the bounds above (the dead-letter queue only
 * by name). Returns 0, or -EINVAL with a one-line reason in why.
 */
int ck_queue_attrs_check(const struct ck_queue_attrs *a, char *why, size_t why_len);

/*
 * Creates queue a->name. Returns 0; -EEXIST when the name is taken;
 * -EINVAL with why when an attribute is out of bounds, the dead-letter
 * queue does not exist or is the queue itself; -EIO.
 */
int ck_store_queue_create(struct ck_store *s, const struct ck_queue_attrs *a, char *why,
                          size_t why_len);

/* Reads a queue's attributes. 0, -ENOENT or -EIO. */
int ck_store_queue_get(struct ck_store *s, const char *name, struct ck_queue_attrs *out);

/*
 * Deletes a queue and its messages. Returns 0; -ENOENT; -EBUSY when it is
 * the dead-letter queue of another queue (that queue's name in why); -EIO.
 */
int ck_store_queue_delete(struct ck_store *s, const char *name, char *why, size_t why_len);

/*
 * A queue in the API's shape: attributes and approximate counts of
 * visible, in-flight and delayed messages at now_ms. 0, -ENOENT, -ENOMEM
 * or -EIO; *out is the caller's.
 */
int ck_store_queue_json(struct ck_store *s, const char *name, int64_t now_ms, cJSON **out);

/* Lists queues in the API's shape (with counts at the time of the call),
 * by creation; paged as store.h describes. */
int ck_store_queue_list(struct ck_store *s, const struct ck_list_query *q, cJSON *items,
                        int64_t *next);

/*
 * Sends one message: body (body_len bytes of UTF-8 without NUL, at most
 * CK_QUEUE_BODY_MAX) to queue name, receivable after delay_s seconds (-1:
 * the queue's delay). Runs in the caller's transaction when there is one.
 * Writes the new message id (CK_QUEUE_ID_LEN + 1 bytes) to message_id
 * when it is not NULL. Returns 0; -ENOENT (no such queue); -EINVAL (body
 * empty, too large or not UTF-8, delay out of range); -EIO. Listeners hear
 * of it after the commit.
 */
int ck_store_queue_send(struct ck_store *s, const char *name, const char *body, size_t body_len,
                        int delay_s, int64_t now_ms, char *message_id);

/*
 * Receives up to max (1..10) visible messages of queue name, oldest
 * visible first, making each invisible for visibility_s seconds (-1: the
 * queue's timeout) with a new receipt handle and its receive count raised.
 * A message already received max_receive_count times is moved to the
 * dead-letter queue instead; one past its retention is deleted. Calls fn
 * for each received message (fn returning non-zero only stops the calls;
 * the messages are received all the same). In its own transaction, or the
 * caller's. When nothing was received, *next_visible_ms is the earliest
 * time a message of the queue becomes visible (0 when it holds none).
 * Returns the number received, -ENOENT, -EINVAL (max or visibility out of
 * range) or -EIO.
 */
int ck_store_queue_receive(struct ck_store *s, const char *name, int max, int visibility_s,
                           int64_t now_ms, int (*fn)(const struct ck_queue_message *m, void *ctx),
                           void *ctx, int64_t *next_visible_ms);

/*
 * Deletes the message whose newest receipt handle is receipt. Returns 0;
 * -ENOENT when the queue does not exist; -ESTALE when no message of the
 * queue has that handle (deleted already, or received again since, which
 * replaced the handle); -EIO.
 */
int ck_store_queue_delete_message(struct ck_store *s, const char *name, const char *receipt);

/*
 * Makes the in-flight message with the newest handle receipt visible
 * again timeout_s seconds from now_ms (0: at once). Returns 0; -ENOENT (no
 * queue); -ESTALE (no such handle); -ETIME (the message is not in flight:
 * its visibility timeout has expired); -EINVAL (timeout_s outside 0..12 h,
 * or the message would stay invisible past 12 h after its receive); -EIO.
 */
int ck_store_queue_change_visibility(struct ck_store *s, const char *name, const char *receipt,
                                     int timeout_s, int64_t now_ms);

/* Deletes every message of a queue; *n (may be NULL) is how many. 0,
 * -ENOENT or -EIO. */
int ck_store_queue_purge(struct ck_store *s, const char *name, int64_t *n);

/*
 * Sets the process-wide listener told, on the thread that committed and
 * after the commit, that a transaction on any store connection made queue
 * messages receivable or changed when they will be (a send, a change of
 * visibility, a move to a dead-letter queue). fn must be quick and must
 * not use the store. NULL clears it. Thread-safe.
 */
void ck_store_queue_listen(void (*fn)(void *ctx), void *ctx);

#endif
