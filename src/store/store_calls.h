/*
 * Calls in the store: call kinds (definitions as JSON text), the call
 * columns of work orders with conditional transitions, the change log that
 * live updates read, and the escalation timers. Storage only: what a press
 * or an operation means is decided by engine/calls.h and engine/dispatch.h.
 * Conventions as in store.h (one connection per thread, 0 or -errno).
 */
#ifndef CK_STORE_CALLS_H
#define CK_STORE_CALLS_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "store/store.h"

#define CK_STORE_CALL_CHANGES_KEPT 10000 /* change log rows kept for stream replay */

/* Kinds. def is the kind as built by ck_calls_kind_build (JSON text). */
int ck_store_kind_put(struct ck_store *s, const char *name, const char *def, int64_t now_ms);
/* Replaces a kind's definition; -ENOENT when there is none. */
int ck_store_kind_replace(struct ck_store *s, const char *name, const char *def, int64_t now_ms);
/* Parses the kind's definition into *out (caller deletes), with createdAt
 * and updatedAt added; -ENOENT when there is none. */
int ck_store_kind_get(struct ck_store *s, const char *name, cJSON **out);
int ck_store_kind_delete(struct ck_store *s, const char *name);
/* Lists kinds by name; q->after is unused (kinds are few: at most 500). */
int ck_store_kind_list(struct ck_store *s, cJSON *items);

/* A call's state as the dispatch logic needs it. Strings are copies. */
struct ck_call_row {
	int64_t id, event_seq;
	char kind[129], thing[129], status[16], claimed_by[65], priority[16];
	int presses;
	int is_call;
};

/* A new call (a work order of a defined kind). Borrowed strings. */
struct ck_call_new {
	const char *kind, *thing, *click_type, *location, *rule, *place;
	const char *priority, *category;
	int64_t event_seq, pressed_ms, now_ms;
};

/* Inserts a call (status raised, presses 1); 0 and *id. */
int ck_store_call_insert(struct ck_store *s, const struct ck_call_new *c, int64_t *id);

/* The open call (raised, claimed, arrived) of kind at place; -ENOENT when none. */
int ck_store_call_find_open(struct ck_store *s, const char *kind, const char *place,
                            struct ck_call_row *out);

/* Reads a call; -ENOENT when there is no work order with that id. */
int ck_store_call_read(struct ck_store *s, int64_t id, struct ck_call_row *out);

/* A press joined call id: presses + 1, last press, priority raised to
 * priority when it ranks higher (rank given by the caller). */
int ck_store_call_join(struct ck_store *s, int64_t id, int64_t now_ms, const char *priority,
                       int raise_priority);

/* A transition, applied only if the call is still in status from. */
struct ck_call_update {
	int64_t id;
	const char *from, *to;
	const char *actor;  /* claimer (claim) or closer (resolve, cancel) */
	const char *reason; /* resolve, cancel */
	const char *note;   /* resolve */
	int64_t now_ms;
};

/* Applies u in one conditional UPDATE. Returns 0, or -EAGAIN when the call
 * was no longer in u->from (another writer won; nothing changed). */
int ck_store_call_update(struct ck_store *s, const struct ck_call_update *u);

/* Counts one fired escalation on the call. */
int ck_store_call_escalated(struct ck_store *s, int64_t id, int64_t now_ms);

/* Appends to the change log (live updates); 0 and *seq. */
int ck_store_call_change(struct ck_store *s, int64_t id, const char *change, int64_t now_ms,
                         int64_t *seq);
/* The newest change sequence (0 when none) and the oldest kept (0 when none). */
int ck_store_call_change_bounds(struct ck_store *s, int64_t *oldest, int64_t *newest);
/*
 * Appends a device-health row for thing (its last seen or battery changed)
 * unless the thing is unknown or already has a row less than window_ms
 * before now_ms: one statement, in the caller's transaction. 0 with *seq
 * the new sequence, or *seq 0 when nothing was written; -EIO.
 */
int ck_store_thing_change(struct ck_store *s, const char *thing, int64_t now_ms, int64_t window_ms,
                          int64_t *seq);
/* Calls fn for up to limit changes after seq, oldest first: a call's
 * change with its id and thing NULL, or a thing's with id 0, change
 * "thing" and its name. fn's nonzero return stops the walk and is returned. */
int ck_store_call_changes(struct ck_store *s, int64_t after, int limit,
                          int (*fn)(int64_t seq, int64_t id, const char *change, const char *thing,
                                    void *arg),
                          void *arg);
/* Drops change log rows beyond the newest CK_STORE_CALL_CHANGES_KEPT. */
int ck_store_call_change_prune(struct ck_store *s);

/* One call in the API's shape (new object); -ENOENT. */
int ck_store_call_get_json(struct ck_store *s, int64_t id, cJSON **out);

/* Filters of GET /calls beyond ck_list_query's status and thing. status may
 * also be "open". */
struct ck_call_query {
	struct ck_list_query q;
	const char *kind, *location, *claimed_by;
	int64_t from_ms, to_ms; /* created in [from_ms, to_ms); -1: no bound */
};
int ck_store_call_list(struct ck_store *s, const struct ck_call_query *q, cJSON *items,
                       int64_t *next);

/* Escalation timers: one per (call, stage), stage "unclaimed" or "unresolved". */
int ck_store_escalation_set(struct ck_store *s, int64_t id, const char *stage, int64_t due_ms);
/* Removes the call's timer for stage, or all its timers when stage is NULL. */
int ck_store_escalation_clear(struct ck_store *s, int64_t id, const char *stage);
/* The earliest due time; -ENOENT when no timer exists. */
int ck_store_escalation_next(struct ck_store *s, int64_t *due_ms);

struct ck_escalation_row {
	int64_t id;
	char stage[16];
	int64_t due_ms;
	int fired;
};
/* Reads up to max timers due at now into rows; returns how many (>= 0). */
int ck_store_escalation_due(struct ck_store *s, int64_t now_ms, struct ck_escalation_row *rows,
                            int max);
/* Records a firing: fired + 1 and the next due time, or removes the timer
 * when next_ms is 0. */
int ck_store_escalation_fired(struct ck_store *s, int64_t id, const char *stage, int64_t next_ms);

/* Calls created in [from, to), of kind unless it is NULL, for reports: fn
 * gets each as an API object (borrowed), oldest first. */
int ck_store_call_report(struct ck_store *s, int64_t from_ms, int64_t to_ms, const char *kind,
                         int (*fn)(const cJSON *call, void *arg), void *arg);

#endif
