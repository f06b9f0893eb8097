/*
 * Live updates over Server-Sent Events (GET /api/v1/stream): each stream
 * is a libmicrohttpd response whose reader callback sends the call change
 * log (store/store_calls.h: call events and thing.updated device health)
 * from the stream's cursor. An idle stream is a
 * suspended connection, so it costs no thread and blocks no other request;
 * ck_sse_notify resumes every idle stream, and a heartbeat thread resumes
 * them every 15 s for a ": ping" line. Rendered events are kept in a ring
 * shared by all streams, so one change is read from the store once, not
 * once per browser. Everything but notify runs on the HTTP thread.
 */
#ifndef CK_SSE_H
#define CK_SSE_H

#include <stdint.h>

#include <microhttpd.h>

#include "store/store.h"

#define CK_SSE_PING_MS 15000

struct ck_sse;

/* Creates the hub over the HTTP thread's store connection; NULL when out of memory. */
struct ck_sse *ck_sse_new(struct ck_store *store);

/*
 * Queues a stream response on conn (which must allow suspension). after is
 * the cursor from Last-Event-ID or ?after= (-1: start at the present).
 * Returns what MHD_queue_response returned.
 */
enum MHD_Result ck_sse_open(struct ck_sse *hub, struct MHD_Connection *conn, int64_t after);

/* Calls may have changed: idle streams look again. Any thread. */
void ck_sse_notify(struct ck_sse *hub);

/* Ends every stream (they are resumed and finish); call before stopping the daemon. */
void ck_sse_close_all(struct ck_sse *hub);

/* Frees the hub after the daemon stopped. NULL is a no-op. */
void ck_sse_free(struct ck_sse *hub);

#endif
