/*
 * Dispatch: applies calls.h's decisions to the store. A press of a defined
 * kind raises, joins or cancels a call; people claim, arrive, resolve,
 * release and cancel; due escalation timers notify. Each step writes the
 * call, its change-log row (live updates), its timers and its outbox
 * entries (button feedback, escalation notices) in the caller's
 * transaction (presses, escalations) or its own (operations), so they
 * happen together or not at all. No threads, no clock: now is passed in.
 */
#ifndef CK_DISPATCH_H
#define CK_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "engine/calls.h"
#include "store/store.h"

/* The rule name of outbox entries dispatch writes (not a valid rule name,
 * so no rule's error action ever runs for them). */
#define CK_DISPATCH_RULE "$calls"

/* A press for a workorder action. Borrowed strings. */
struct ck_dispatch_press {
	const char *kind, *thing, *click_type, *location, *rule;
	int64_t event_seq, pressed_ms, now_ms;
};

/*
 * Handles a press whose kind is defined (kind is the built definition).
 * Runs inside the caller's transaction. Returns 0 and sets *call_id to the
 * call raised, joined or cancelled (0 when the click type does nothing) and
 * *created when a new call was inserted; a negative errno is a store
 * failure.
 */
int ck_dispatch_press(struct ck_store *s, const cJSON *kind, const struct ck_dispatch_press *p,
                      int64_t *call_id, bool *created);

/* Who asks for an operation. */
struct ck_dispatch_actor {
	const char *user;   /* name recorded as claimer or closer */
	bool privileged;    /* supervisor or admin: may act on others' calls and cancel */
	const char *reason; /* resolve, cancel */
	const char *note;   /* resolve */
};

/*
 * Applies op to call id in its own transaction. Returns 0 on success;
 * -ENOENT (no such call), -EPERM (not allowed from the current status, or
 * another writer changed it first: *why says which), -EACCES (the call is
 * someone else's and the actor is not privileged, or a driver cancels), or
 * another negative errno for a store failure.
 */
int ck_dispatch_op(struct ck_store *s, int64_t id, enum ck_call_op op,
                   const struct ck_dispatch_actor *a, int64_t now_ms, char *why, size_t why_len);

/*
 * Fires every escalation timer due at now (at most 100 per call) in one
 * transaction: an outbox entry with the kind's notify action, the call's
 * escalation count, a change-log row, and the next due time (or the timer's
 * removal). Returns how many fired (>= 0) or a negative errno.
 */
int ck_dispatch_escalate(struct ck_store *s, int64_t now_ms);

#endif
