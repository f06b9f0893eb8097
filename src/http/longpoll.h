/*
 * Long polling for the HTTP API: requests parked (their libmicrohttpd
 * connections suspended) until something may have changed for them or
 * their deadline passes, then resumed so that their handler runs again.
 * A parked request holds no thread; one waker thread keeps the deadlines.
 * This module does not know what is waited for: anyone may call
 * ck_longpoll_notify() (the store's queue listener does, after a commit
 * that made messages receivable), and every parked request is resumed.
 */
#ifndef CK_LONGPOLL_H
#define CK_LONGPOLL_H

#include <stdint.h>

struct ck_longpoll;

/*
 * Starts the waker thread. resume(conn, ctx) is called from it, never
 * under this module's lock, for each parked request to resume. Returns 0
 * and the object in *out, or a negative errno.
 */
int ck_longpoll_new(void (*resume)(void *conn, void *ctx), void *ctx, struct ck_longpoll **out);

/* Resumes every parked request and stops the thread; from then on
 * ck_longpoll_park() refuses. Idempotent; call it from one thread. */
void ck_longpoll_stop(struct ck_longpoll *lp);

/* Stops (as above) and frees lp. NULL is a no-op. */
void ck_longpoll_free(struct ck_longpoll *lp);

/* The notification count. A caller reads it before looking for work and
 * passes it to ck_longpoll_park(), so that a notification in between is
 * never missed. Thread-safe. */
uint64_t ck_longpoll_generation(struct ck_longpoll *lp);

/*
 * Parks conn (already suspended by the caller) until a notification or
 * wake_ms (Unix ms, wall clock). Returns 0; -EAGAIN when a notification
 * came after generation was read (resume at once); -ECANCELED while
 * stopping; -ENOMEM. On an error conn is not parked. Thread-safe.
 */
int ck_longpoll_park(struct ck_longpoll *lp, void *conn, int64_t wake_ms, uint64_t generation);

/* Resumes every parked request soon. Quick and thread-safe; the store's
 * listener signature (ctx is lp). */
void ck_longpoll_notify(void *lp);

/* The number of parked requests (for /metrics and tests). */
int ck_longpoll_parked(struct ck_longpoll *lp);

#endif
