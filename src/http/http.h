/*
 * clickd's HTTP API (docs/api.md): libmicrohttpd on its own thread, with a
 * store connection of its own. This module owns the listening socket and
 * the request bodies; handlers (api.c) see a parsed request and return a
 * status and a JSON document. Every route but /api/v1/health requires the
 * bearer token; bodies over CK_HTTP_BODY_MAX are refused with 413.
 */
#ifndef CK_HTTP_H
#define CK_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "cost/cost.h"
#include "registry/ca.h"
#include "store/store.h"

#define CK_HTTP_BODY_MAX (64 * 1024)

/* What the API needs from the rest of clickd. All borrowed, outliving the server. */
struct ck_api_env {
	struct ck_store *store; /* used only on the HTTP thread */
	struct ck_ca *ca;       /* used only on the HTTP thread */
	const char *token;      /* bearer token */
	const char *snapshot_path;
	const char *ca_dir; /* DATA/ca: trust.pem, crl.pem, earlier CAs */
	/* Called from the HTTP thread after trust.pem or crl.pem changed. */
	void (*trust_changed)(void *arg);
	const char *stats_path;    /* DATA/plugin.stats, served at /metrics */
	const char *endpoint_host; /* what devices connect to */
	int endpoint_port; /* The price table for the usage API's AWS equivalent; NULL leaves it
	                      out. */
	const struct ck_cost_prices *prices;
	const char *prices_path;
	/* Called after the rules changed, from the HTTP thread. */
	void (*rules_changed)(void *arg);
	/* Called after outbox entries were requeued, from the HTTP thread. */
	void (*outbox_changed)(void *arg);
	/* Returns the broker state name; called from the HTTP thread. */
	const char *(*broker_state)(void *arg);
	/* Journal sequences skipped over damage so far; from the HTTP thread. */
	int64_t (*journal_lost)(void *arg);
	void *arg;
	const char *web_dir; /* the web app's files (GET /, /app/...); NULL: none */
	int cookie_secure;   /* session cookies get the Secure attribute */
};

struct ck_api_request {
	const char *method;
	const char *path; /* below /api/v1, e.g. "/things/dock-1" */
	const char *body; /* NUL-terminated, may be "" */
	size_t body_len;
	/* Returns a query argument or NULL. */
	const char *(*query)(const struct ck_api_request *req, const char *key);
	void *conn;
	/* Long polling; NULL when the caller cannot park the request. */
	struct ck_api_wait *wait;
	/* Who asks (set by the server before routing): "admin-token" for the
	 * bearer token, else the session's user; role "admin", "supervisor" or
	 * "driver"; session_hash and csrf are NULL for the bearer token. peer
	 * is the client address. reply is NULL outside the server. */
	const char *user, *role, *session_hash, *csrf, *peer;
	int64_t session_expires_ms;
	struct ck_api_reply *reply;
};

/* What a handler may add to its response besides the JSON document. */
struct ck_api_reply {
	char set_cookie[256]; /* a Set-Cookie header value, or "" */
	int retry_after_s;    /* a Retry-After header when > 0 */
	char *raw;            /* malloc'd body sent instead of the document */
	size_t raw_len;
	const char *raw_type; /* its Content-Type */
};

/*
 * A handler with nothing to answer yet may return CK_API_SUSPEND with
 * *out NULL after setting wait->wake_ms: the server parks the request
 * without holding its thread and calls the handler again, with the same
 * request, at wake_ms or as soon as queue messages may have arrived.
 * until_ms is 0 on the first call and kept between calls (the handler's
 * own deadline). Bodies of queue and table requests may reach
 * CK_HTTP_BODY_MAX_LARGE (a 256 KiB message escaped in JSON).
 */
#define CK_API_SUSPEND         1
#define CK_HTTP_BODY_MAX_LARGE (2 * 1024 * 1024)
struct ck_api_wait {
	int64_t until_ms;
	int64_t wake_ms;
	uint64_t generation; /* set by the server before each call */
};

/*
 * Handles one authenticated API request. Returns the HTTP status and sets
 * *out to the response document (caller deletes).
 */
int ck_api_handle(const struct ck_api_env *env, const struct ck_api_request *req, cJSON **out);

/* An error document {"error":{"code":..,"message":..}}. */
cJSON *ck_api_error(const char *code, const char *message);

struct ck_http;

/*
 * Binds addr:port (IPv4) and starts serving. Returns 0 and the server in
 * *out, or a negative errno with a one-line reason in err ("HTTP address
 * 127.0.0.1:8080 is in use").
 */
int ck_http_start(const char *addr, int port, const struct ck_api_env *env, struct ck_http **out,
                  char *err, size_t err_len);

/* Stops serving and frees the server. */
void ck_http_stop(struct ck_http *h);

/* Tells live-update streams (GET /api/v1/stream) that calls may have
 * changed in the store. Any thread; NULL is a no-op. */
void ck_http_notify(struct ck_http *h);

/* Parses "ADDR:PORT" (IPv4 dotted quad or "localhost"). Returns 0 or -EINVAL. */
int ck_parse_hostport(const char *s, char *addr, size_t addr_len, int *port);

#endif
