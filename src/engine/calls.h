/*
 * Calls: the dispatch meaning of work orders. This module is pure: the
 * built-in kind templates (pallet pickup, service request, patient call,
 * andon), validation and normalisation of kind definitions, what a click
 * type does for a kind, the lifecycle (which operation moves which status
 * where), and the feedback message a button gets. It owns no storage; the
 * store (store/store_calls.h) applies its decisions in transactions.
 */
#ifndef CK_CALLS_H
#define CK_CALLS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#define CK_CALLS_REASON_MAX   200
#define CK_CALLS_NOTE_MAX     1000
#define CK_CALLS_CATEGORY_MAX 64
#define CK_CALLS_SECONDS_MAX  604800 /* a week */

/* Call statuses, in lifecycle order. */
enum ck_call_status {
	CK_CALL_RAISED,
	CK_CALL_CLAIMED,
	CK_CALL_ARRIVED,
	CK_CALL_RESOLVED,
	CK_CALL_CANCELLED,
	CK_CALL_N_STATUS
};

/* Operations on a call from people (the API) or buttons. */
enum ck_call_op { CK_CALL_CLAIM, CK_CALL_ARRIVE, CK_CALL_RESOLVE, CK_CALL_RELEASE, CK_CALL_CANCEL };

/* The status name ("raised", ...); NULL for an out-of-range value. */
const char *ck_calls_status_name(enum ck_call_status st);

/* Parses a status name; 0 or -EINVAL. */
int ck_calls_status_parse(const char *name, enum ck_call_status *out);

/* The operation's change name for live updates ("claimed", "released", ...). */
const char *ck_calls_op_change(enum ck_call_op op);

/*
 * The lifecycle: the status op leads to from status from. Returns 0 and the
 * new status in *to, or -EPERM when op is not allowed from from (resolved
 * and cancelled are final; claim only from raised; arrive only from
 * claimed; resolve and release from claimed or arrived; cancel from any
 * open status).
 */
int ck_calls_transition(enum ck_call_status from, enum ck_call_op op, enum ck_call_status *to);

/* True for raised, claimed and arrived. */
bool ck_calls_is_open(enum ck_call_status st);

/* A new array of the four templates as kind-shaped objects with "template". */
cJSON *ck_calls_templates(void);

/*
 * Builds a complete kind definition from an API body: starts from the
 * template named by body's "template" (if any), then overrides "title",
 * "clicks", "escalations" and "feedback" from body. name is the kind's name
 * (validated by the caller). Returns 0 and a new object in *out (keys:
 * name, template, title, clicks, escalations, feedback), or -EINVAL with a
 * one-line reason in why; nothing is allocated on failure.
 */
int ck_calls_kind_build(const char *name, const cJSON *body, cJSON **out, char *why,
                        size_t why_len);

/* What a press of click type does for a kind. */
struct ck_call_click {
	enum { CK_CLICK_NOTHING, CK_CLICK_RAISE, CK_CLICK_CANCEL } action;
	const char *priority; /* "low", "normal", "urgent" (borrowed from kind) */
	const char *category; /* or NULL (borrowed from kind) */
};

/* Looks up click_type (may be NULL) in a built kind's "clicks". */
void ck_calls_click(const cJSON *kind, const char *click_type, struct ck_call_click *out);

/* Priority rank: low 0, normal 1, urgent 2 (unknown: 1). */
int ck_calls_priority_rank(const char *priority);

/* One escalation stage of a kind ("unclaimed" or "unresolved"). */
struct ck_call_escalation {
	bool set;
	long long after_s, repeat_s;
	const cJSON *notify; /* borrowed from the kind */
};

/* Reads stage from a built kind's "escalations". */
void ck_calls_escalation(const cJSON *kind, const char *stage, struct ck_call_escalation *out);

/*
 * The feedback message for a button whose call reached status st: a new
 * JSON text (caller frees with free()) such as
 * {"led":"blink","color":"yellow","state":"raised","call":12,"presses":2},
 * or NULL when out of memory. by (may be NULL) is the claimer.
 */
char *ck_calls_feedback(enum ck_call_status st, long long call_id, int presses, const char *by);

#endif
