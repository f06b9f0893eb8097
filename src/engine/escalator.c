/*
 * The escalator thread (see escalator.h): sleeps on a condition variable
 * until the earliest timer or a second passes, fires what is due through
 * dispatch, and trims the change log now and then.
 */
#include "engine/escalator.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/log.h"
#include "engine/dispatch.h"
#include "store/store_calls.h"

#define POLL_MS  1000
#define PRUNE_MS 60000

struct ck_escalator {
	struct ck_escalator_config cfg;
	struct ck_store *store;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop, woken, started;
};

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *run(void *arg)
{
	struct ck_escalator *e = arg;
	int64_t pruned_at = 0;
	for (;;) {
		int64_t now = wall_ms(), due = 0, wait_ms = POLL_MS;
		int rc = ck_store_escalation_next(e->store, &due);
		if (rc == 0 && due <= now) {
			int n = ck_dispatch_escalate(e->store, now);
			if (n < 0)
				ck_error("calls", "cannot fire escalations (%d); retrying", n);
			else if (n > 0 && e->cfg.fired)
				e->cfg.fired(e->cfg.arg);
			wait_ms = n == 100 ? 0 : POLL_MS; /* more may be due */
		} else if (rc == 0 && due - now < wait_ms) {
			wait_ms = due - now;
		}
		if (now - pruned_at >= PRUNE_MS) {
			ck_store_call_change_prune(e->store);
			pruned_at = now;
		}
		pthread_mutex_lock(&e->mu);
		if (!e->stop && !e->woken && wait_ms > 0) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += wait_ms / 1000;
			ts.tv_nsec += (wait_ms % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&e->cv, &e->mu, &ts);
		}
		e->woken = false;
		bool stop = e->stop;
		pthread_mutex_unlock(&e->mu);
		if (stop)
			return NULL;
	}
}

int ck_escalator_start(const struct ck_escalator_config *cfg, struct ck_escalator **out, char *err,
                       size_t err_len)
{
	*out = NULL;
	struct ck_escalator *e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	e->cfg = *cfg;
	int rc = ck_store_open_sqlite(cfg->store_path, &e->store, err, err_len);
	if (rc != 0) {
		free(e);
		return rc;
	}
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&e->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&e->mu, NULL);
	rc = pthread_create(&e->thread, NULL, run, e);
	if (rc != 0) {
		snprintf(err, err_len, "cannot start the escalation thread");
		ck_store_close(e->store);
		pthread_mutex_destroy(&e->mu);
		pthread_cond_destroy(&e->cv);
		free(e);
		return -rc;
	}
	e->started = true;
	*out = e;
	return 0;
}

void ck_escalator_wake(struct ck_escalator *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&e->mu);
	e->woken = true;
	pthread_cond_signal(&e->cv);
	pthread_mutex_unlock(&e->mu);
}

void ck_escalator_stop(struct ck_escalator *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&e->mu);
	e->stop = true;
	pthread_cond_signal(&e->cv);
	pthread_mutex_unlock(&e->mu);
	if (e->started)
		pthread_join(e->thread, NULL);
	ck_store_close(e->store);
	pthread_mutex_destroy(&e->mu);
	pthread_cond_destroy(&e->cv);
	free(e);
}
