/*
 * Server-Sent Events streams (see sse.h).
 */
#include "http/sse.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "core/log.h"
#include "store/store_calls.h"

#define RING        512 /* rendered events shared by all streams */
#define FILL_BATCH  256
#define CATCH_BATCH 100

struct event {
	int64_t seq;
	char *text;
	size_t len;
};

struct stream {
	struct ck_sse *hub;
	struct MHD_Connection *conn;
	int64_t cursor; /* last change sent */
	char *buf;      /* bytes to send */
	size_t len, off, cap;
	bool suspended, ping, hello_sent;
	uint64_t seen_gen;
	struct stream *next; /* in hub->idle while suspended */
};

struct ck_sse {
	struct ck_store *store;
	pthread_mutex_t mu;
	uint64_t gen; /* bumped by notify */
	struct stream *idle;
	bool closing, stop_hb;
	pthread_t hb;
	pthread_cond_t hb_cv;
	bool hb_started;
	/* HTTP thread only: */
	struct event ring[RING];
	int ring_n, ring_head; /* oldest at ring_head */
	int64_t ring_base;     /* the ring holds every change after ring_base */
	int64_t ring_max;
	uint64_t ring_gen;
	bool ring_init;
};

static int put(struct stream *s, const char *text, size_t n)
{
	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		while (cap < s->len + n)
			cap *= 2;
		char *grown = realloc(s->buf, cap);
		if (!grown)
			return -ENOMEM;
		s->buf = grown;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, text, n);
	s->len += n;
	return 0;
}

/* The data of a thing.updated event: the thing's health as it is now;
 * NULL when the thing is gone. */
static cJSON *thing_data(struct ck_store *store, const char *name)
{
	struct ck_thing t;
	if (ck_store_thing_get(store, name, &t) != 0)
		return NULL;
	cJSON *o = cJSON_CreateObject(), *th = cJSON_AddObjectToObject(o, "thing");
	cJSON_AddStringToObject(th, "name", t.name);
	if (t.last_seen_ms >= 0)
		cJSON_AddNumberToObject(th, "lastSeenAt", (double)t.last_seen_ms);
	else
		cJSON_AddNullToObject(th, "lastSeenAt");
	if (t.battery_mv >= 0)
		cJSON_AddNumberToObject(th, "batteryMv", t.battery_mv);
	else
		cJSON_AddNullToObject(th, "batteryMv");
	cJSON_AddBoolToObject(th, "enabled", t.enabled);
	ck_thing_cleanup(&t);
	return o;
}

/* Renders one change as an SSE event (malloc'd text); NULL when its call
 * or thing is gone. */
static char *render(struct ck_store *store, int64_t seq, int64_t id, const char *change,
                    const char *thing, size_t *len)
{
	cJSON *o = NULL;
	const char *event = "thing.updated";
	if (thing) {
		o = thing_data(store, thing);
	} else {
		cJSON *call = NULL;
		if (ck_store_call_get_json(store, id, &call) != 0)
			return NULL;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "change", change);
		cJSON_AddItemToObject(o, "call", call);
		event = strcmp(change, "created") == 0 ? "call.created" : "call.updated";
	}
	char *data = o ? cJSON_PrintUnformatted(o) : NULL;
	cJSON_Delete(o);
	if (!data)
		return NULL;
	size_t cap = strlen(data) + 96;
	char *text = malloc(cap);
	if (text) {
		int n = snprintf(text, cap, "id: %lld\nevent: %s\ndata: %s\n\n", (long long)seq,
		                 event, data);
		*len = (size_t)n;
	}
	cJSON_free(data);
	return text;
}

static int ring_add(int64_t seq, int64_t id, const char *change, const char *thing, void *arg)
{
	struct ck_sse *hub = arg;
	size_t len = 0;
	char *text = render(hub->store, seq, id, change, thing, &len);
	if (!text) { /* the call or thing is gone: skip the change */
		hub->ring_max = seq;
		return 0;
	}
	int slot;
	if (hub->ring_n == RING) {
		slot = hub->ring_head;
		hub->ring_base = hub->ring[slot].seq;
		free(hub->ring[slot].text);
		hub->ring_head = (hub->ring_head + 1) % RING;
	} else {
		slot = (hub->ring_head + hub->ring_n) % RING;
		hub->ring_n++;
	}
	hub->ring[slot] = (struct event){ .seq = seq, .text = text, .len = len };
	hub->ring_max = seq;
	return 0;
}

/* Brings the ring up to the store when a notify happened since the last fill. */
static void fill(struct ck_sse *hub, uint64_t gen)
{
	if (!hub->ring_init) {
		int64_t oldest = 0, newest = 0;
		ck_store_call_change_bounds(hub->store, &oldest, &newest);
		hub->ring_base = hub->ring_max = newest;
		hub->ring_init = true;
	}
	if (hub->ring_gen == gen)
		return;
	for (int i = 0; i < 40; i++) {
		int64_t before = hub->ring_max;
		if (ck_store_call_changes(hub->store, hub->ring_max, FILL_BATCH, ring_add, hub) !=
		    0)
			break;
		if (hub->ring_max - before < FILL_BATCH)
			break;
	}
	hub->ring_gen = gen;
}

struct catchup {
	struct stream *s;
	int err;
};

static int catch_one(int64_t seq, int64_t id, const char *change, const char *thing, void *arg)
{
	struct catchup *c = arg;
	size_t len = 0;
	char *text = render(c->s->hub->store, seq, id, change, thing, &len);
	if (text) {
		c->err = put(c->s, text, len);
		free(text);
	}
	c->s->cursor = seq;
	return c->err;
}

/* Puts what the stream has not seen into its buffer. */
static void collect(struct stream *s)
{
	struct ck_sse *hub = s->hub;
	char line[96];
	if (!s->hello_sent) {
		int64_t oldest = 0, newest = 0;
		ck_store_call_change_bounds(hub->store, &oldest, &newest);
		put(s, "retry: 2000\n\n", 13);
		if (s->cursor < 0) {
			s->cursor = newest;
		} else if (s->cursor < newest && oldest > s->cursor + 1) {
			int n =
			    snprintf(line, sizeof(line), "event: resync\ndata: {\"seq\":%lld}\n\n",
			             (long long)newest);
			put(s, line, (size_t)n);
			s->cursor = newest;
		}
		int n = snprintf(line, sizeof(line), "event: hello\ndata: {\"seq\":%lld}\n\n",
		                 (long long)s->cursor);
		put(s, line, (size_t)n);
		s->hello_sent = true;
	}
	if (s->cursor < hub->ring_base) { /* behind the ring: read the store */
		struct catchup c = { .s = s };
		ck_store_call_changes(hub->store, s->cursor, CATCH_BATCH, catch_one, &c);
		return;
	}
	for (int i = 0; i < hub->ring_n; i++) {
		struct event *e = &hub->ring[(hub->ring_head + i) % RING];
		if (e->seq <= s->cursor)
			continue;
		if (put(s, e->text, e->len) != 0)
			return;
		s->cursor = e->seq;
	}
	if (hub->ring_max > s->cursor)
		s->cursor = hub->ring_max; /* skipped changes of calls that are gone */
}

static ssize_t reader(void *cls, uint64_t pos, char *out, size_t max)
{
	struct stream *s = cls;
	struct ck_sse *hub = s->hub;
	(void)pos;
	for (;;) {
		if (s->off < s->len) {
			size_t n = s->len - s->off < max ? s->len - s->off : max;
			memcpy(out, s->buf + s->off, n);
			s->off += n;
			if (s->off == s->len)
				s->off = s->len = 0;
			return (ssize_t)n;
		}
		pthread_mutex_lock(&hub->mu);
		bool closing = hub->closing;
		uint64_t gen = hub->gen;
		bool ping = s->ping;
		s->ping = false;
		pthread_mutex_unlock(&hub->mu);
		if (closing)
			return MHD_CONTENT_READER_END_OF_STREAM;
		fill(hub, gen);
		size_t before = s->len;
		if (s->seen_gen != gen || !s->hello_sent)
			collect(s);
		s->seen_gen = gen;
		if (s->len > before)
			continue;
		if (ping) { /* A named event, not a comment, so pages can tell a quiet
			     * stream from a dead one. */
			static const char ping_event[] = "event: ping\ndata: {}\n\n";
			put(s, ping_event, sizeof(ping_event) - 1);
			continue;
		}
		/* Nothing to send: park, unless a notify came in meanwhile. */
		pthread_mutex_lock(&hub->mu);
		if (hub->gen != gen || hub->closing) {
			pthread_mutex_unlock(&hub->mu);
			continue;
		}
		s->suspended = true;
		s->next = hub->idle;
		hub->idle = s;
		MHD_suspend_connection(s->conn);
		pthread_mutex_unlock(&hub->mu);
		return 0;
	}
}

static void stream_free(void *cls)
{
	struct stream *s = cls;
	free(s->buf);
	free(s);
}

/* Resumes every idle stream; with ping set they send a ping. Lock held. */
static void resume_all(struct ck_sse *hub, bool ping)
{
	for (struct stream *s = hub->idle; s;) {
		struct stream *next = s->next;
		s->suspended = false;
		s->next = NULL;
		s->ping = ping;
		MHD_resume_connection(s->conn);
		s = next;
	}
	hub->idle = NULL;
}

static void *heartbeat(void *arg)
{
	struct ck_sse *hub = arg;
	pthread_mutex_lock(&hub->mu);
	while (!hub->stop_hb) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += CK_SSE_PING_MS / 1000;
		pthread_cond_timedwait(&hub->hb_cv, &hub->mu, &ts);
		if (!hub->stop_hb)
			resume_all(hub, true);
	}
	pthread_mutex_unlock(&hub->mu);
	return NULL;
}

struct ck_sse *ck_sse_new(struct ck_store *store)
{
	struct ck_sse *hub = calloc(1, sizeof(*hub));
	if (!hub)
		return NULL;
	hub->store = store;
	pthread_mutex_init(&hub->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&hub->hb_cv, &ca);
	pthread_condattr_destroy(&ca);
	hub->gen = 1;
	if (pthread_create(&hub->hb, NULL, heartbeat, hub) == 0)
		hub->hb_started = true;
	return hub;
}

enum MHD_Result ck_sse_open(struct ck_sse *hub, struct MHD_Connection *conn, int64_t after)
{
	struct stream *s = calloc(1, sizeof(*s));
	if (!s)
		return MHD_NO;
	s->hub = hub;
	s->conn = conn;
	s->cursor = after;
	struct MHD_Response *resp =
	    MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, s, stream_free);
	if (!resp) {
		free(s);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "text/event-stream; charset=utf-8");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	enum MHD_Result r = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return r;
}

void ck_sse_notify(struct ck_sse *hub)
{
	if (!hub)
		return;
	pthread_mutex_lock(&hub->mu);
	hub->gen++;
	resume_all(hub, false);
	pthread_mutex_unlock(&hub->mu);
}

void ck_sse_close_all(struct ck_sse *hub)
{
	if (!hub)
		return;
	pthread_mutex_lock(&hub->mu);
	hub->closing = true;
	hub->stop_hb = true;
	resume_all(hub, false);
	pthread_cond_signal(&hub->hb_cv);
	pthread_mutex_unlock(&hub->mu);
	if (hub->hb_started)
		pthread_join(hub->hb, NULL);
	hub->hb_started = false;
}

void ck_sse_free(struct ck_sse *hub)
{
	if (!hub)
		return;
	ck_sse_close_all(hub);
	for (int i = 0; i < hub->ring_n; i++)
		free(hub->ring[(hub->ring_head + i) % RING].text);
	pthread_mutex_destroy(&hub->mu);
	pthread_cond_destroy(&hub->hb_cv);
	free(hub);
}
