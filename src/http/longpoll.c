/*
 * Parked long-poll requests and the waker thread (see longpoll.h). The
 * parked set is a small unsorted array: its size is bounded by the HTTP
 * server's connection limit, and every wake-up walks it once.
 */
#include "http/longpoll.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct parked {
	void *conn;
	int64_t wake_ms;
};

struct ck_longpoll {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	void (*resume)(void *conn, void *ctx);
	void *ctx;
	struct parked *items;
	int n, cap;
	uint64_t generation;
	bool notified;
	bool stopping;
	bool joined;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Takes out the parked requests due (all of them when everything is);
 * returns how many were moved to out (sized lp->n). */
static int take_due(struct ck_longpoll *lp, bool everything, int64_t now, void **out)
{
	int k = 0;
	for (int i = 0; i < lp->n;) {
		if (everything || lp->items[i].wake_ms <= now) {
			out[k++] = lp->items[i].conn;
			lp->items[i] = lp->items[--lp->n];
		} else {
			i++;
		}
	}
	return k;
}

static void *waker(void *arg)
{
	struct ck_longpoll *lp = arg;
	void **due = NULL;
	int due_cap = 0;

	pthread_mutex_lock(&lp->lock);
	for (;;) {
		int64_t now = now_ms(), next = INT64_MAX;
		for (int i = 0; i < lp->n; i++)
			if (lp->items[i].wake_ms < next)
				next = lp->items[i].wake_ms;
		if (!lp->notified && !lp->stopping && next > now) {
			if (next == INT64_MAX) {
				pthread_cond_wait(&lp->cond, &lp->lock);
			} else {
				struct timespec ts = { .tv_sec = (time_t)(next / 1000),
					               .tv_nsec = (long)(next % 1000) * 1000000 };
				pthread_cond_timedwait(&lp->cond, &lp->lock, &ts);
			}
			continue;
		}
		bool everything = lp->notified || lp->stopping;
		lp->notified = false;
		if (due_cap < lp->n) {
			void **grown = realloc(due, sizeof(*due) * (size_t)lp->n);
			if (grown) {
				due = grown;
				due_cap = lp->n;
			}
		}
		int k = due_cap >= lp->n ? take_due(lp, everything, now, due) : 0;
		bool stop = lp->stopping && lp->n == 0;
		pthread_mutex_unlock(&lp->lock);
		for (int i = 0; i < k; i++)
			lp->resume(due[i], lp->ctx);
		if (stop)
			break;
		pthread_mutex_lock(&lp->lock);
	}
	free(due);
	return NULL;
}

int ck_longpoll_new(void (*resume)(void *conn, void *ctx), void *ctx, struct ck_longpoll **out)
{
	*out = NULL;
	struct ck_longpoll *lp = calloc(1, sizeof(*lp));
	if (!lp)
		return -ENOMEM;
	lp->resume = resume;
	lp->ctx = ctx;
	pthread_mutex_init(&lp->lock, NULL);
	pthread_cond_init(&lp->cond, NULL);
	int rc = pthread_create(&lp->thread, NULL, waker, lp);
	if (rc != 0) {
		pthread_cond_destroy(&lp->cond);
		pthread_mutex_destroy(&lp->lock);
		free(lp);
		return -rc;
	}
	*out = lp;
	return 0;
}

void ck_longpoll_stop(struct ck_longpoll *lp)
{
	pthread_mutex_lock(&lp->lock);
	bool joined = lp->joined;
	lp->stopping = true;
	lp->joined = true;
	pthread_cond_signal(&lp->cond);
	pthread_mutex_unlock(&lp->lock);
	if (!joined)
		pthread_join(lp->thread, NULL);
}

void ck_longpoll_free(struct ck_longpoll *lp)
{
	if (!lp)
		return;
	ck_longpoll_stop(lp);
	pthread_cond_destroy(&lp->cond);
	pthread_mutex_destroy(&lp->lock);
	free(lp->items);
	free(lp);
}

uint64_t ck_longpoll_generation(struct ck_longpoll *lp)
{
	pthread_mutex_lock(&lp->lock);
	uint64_t g = lp->generation;
	pthread_mutex_unlock(&lp->lock);
	return g;
}

int ck_longpoll_park(struct ck_longpoll *lp, void *conn, int64_t wake_ms, uint64_t generation)
{
	int rc = 0;
	pthread_mutex_lock(&lp->lock);
	if (lp->stopping) {
		rc = -ECANCELED;
	} else if (lp->generation != generation) {
		rc = -EAGAIN;
	} else {
		if (lp->n == lp->cap) {
			int cap = lp->cap ? lp->cap * 2 : 16;
			struct parked *grown = realloc(lp->items, sizeof(*grown) * (size_t)cap);
			if (!grown)
				rc = -ENOMEM;
			else {
				lp->items = grown;
				lp->cap = cap;
			}
		}
		if (rc == 0) {
			lp->items[lp->n++] = (struct parked){ .conn = conn, .wake_ms = wake_ms };
			pthread_cond_signal(&lp->cond);
		}
	}
	pthread_mutex_unlock(&lp->lock);
	return rc;
}

void ck_longpoll_notify(void *arg)
{
	struct ck_longpoll *lp = arg;
	pthread_mutex_lock(&lp->lock);
	lp->generation++;
	if (lp->n > 0) {
		lp->notified = true;
		pthread_cond_signal(&lp->cond);
	}
	pthread_mutex_unlock(&lp->lock);
}

int ck_longpoll_parked(struct ck_longpoll *lp)
{
	pthread_mutex_lock(&lp->lock);
	int n = lp->n;
	pthread_mutex_unlock(&lp->lock);
	return n;
}
