/*
 * The escalator: a thread inside clickd that fires call escalation timers
 * when they fall due. The timers are rows in the store (dispatch.h), so a
 * restart loses nothing: the thread looks at the earliest due time at
 * start, after every wake-up and at least once a second. It owns its own
 * store connection; it does not deliver anything itself (the courier
 * delivers the outbox entries it writes).
 */
#ifndef CK_ESCALATOR_H
#define CK_ESCALATOR_H

#include <stddef.h>

struct ck_escalator;

struct ck_escalator_config {
	const char *store_path;
	/* Called on the escalator's thread after escalations were committed
	 * (wake the courier, tell live-update clients). May be NULL. */
	void (*fired)(void *arg);
	void *arg;
};

/*
 * Opens a store connection and starts the thread. Returns 0 and the
 * escalator in *out, or a negative errno with a reason in err.
 */
int ck_escalator_start(const struct ck_escalator_config *cfg, struct ck_escalator **out, char *err,
                       size_t err_len);

/* Makes the thread look at the timers now (after a call changed). Any thread. */
void ck_escalator_wake(struct ck_escalator *e);

/* Stops the thread and frees everything. NULL is a no-op. */
void ck_escalator_stop(struct ck_escalator *e);

#endif
