/*
 * libmicrohttpd glue for the API (see http.h): binds the socket itself so
 * that "address in use" is reported clearly, collects bounded request
 * bodies, checks the bearer token in constant time, and turns handler
 * results into JSON responses (or text, for GET /metrics, which is served
 * outside /api/v1 and without the token to loopback clients).
 */
#include "http/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "core/log.h"
#include "http/api_int.h"
#include "http/auth.h"
#include "http/longpoll.h"
#include "http/sse.h"
#include "http/web.h"
#include "store/store_queues.h"

#define API_PREFIX   "/api/v1"
#define METRICS_PATH "/metrics"

struct ck_http {
	struct MHD_Daemon *daemon;
	const struct ck_api_env *env;
	int fd;
	struct ck_longpoll *lp; /* parked long-poll requests (queue receives) */
	struct ck_sse *sse;     /* live-update streams */
};

struct request_state {
	char *body;
	size_t len;
	bool too_large;
	struct ck_api_wait wait;
};

/* Queue messages (256 KiB of text, escaped in JSON) and table items (400
 * KiB) need more than the other routes' 64 KiB. */
static size_t body_max(const char *url)
{
	if (strncmp(url, API_PREFIX "/queues/", strlen(API_PREFIX "/queues/")) == 0 ||
	    strncmp(url, API_PREFIX "/tables/", strlen(API_PREFIX "/tables/")) == 0)
		return CK_HTTP_BODY_MAX_LARGE;
	return CK_HTTP_BODY_MAX;
}

/* Called by the long-poll waker thread: the request's handler runs again. */
static void resume_request(void *conn, void *ctx)
{
	(void)ctx;
	MHD_resume_connection(conn);
}

int ck_parse_hostport(const char *s, char *addr, size_t addr_len, int *port)
{
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s || (size_t)(colon - s) >= addr_len)
		return -EINVAL;
	char *end = NULL;
	errno = 0;
	long p = strtol(colon + 1, &end, 10);
	if (errno || !end || *end || end == colon + 1 || p < 0 || p > 65535)
		return -EINVAL;
	memcpy(addr, s, (size_t)(colon - s));
	addr[colon - s] = '\0';
	if (strcmp(addr, "localhost") == 0)
		snprintf(addr, addr_len, "127.0.0.1");
	struct in_addr ia;
	if (inet_pton(AF_INET, addr, &ia) != 1)
		return -EINVAL;
	*port = (int)p;
	return 0;
}

/* Sends doc as JSON; a raw node (GET /metrics) is sent as its text. */
static enum MHD_Result send_json(struct MHD_Connection *conn, int status, cJSON *doc)
{
	const char *type = doc && cJSON_IsRaw(doc) ? "text/plain; version=0.0.4; charset=utf-8"
	                                           : "application/json";
	char *text = doc ? cJSON_PrintUnformatted(doc) : NULL;
	cJSON_Delete(doc);
	if (!text)
		return MHD_NO;
	size_t len = strlen(text);
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		cJSON_free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	enum MHD_Result r = MHD_queue_response(conn, (unsigned int)status, resp);
	MHD_destroy_response(resp);
	return r;
}

/* True for a client on 127.0.0.0/8; /metrics needs no token from there. */
static bool peer_is_loopback(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr || ci->client_addr->sa_family != AF_INET)
		return false;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)ci->client_addr;
	return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
}

/* The client's IPv4 address as text, for login limits and logs. */
static void peer_name(struct MHD_Connection *conn, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr || ci->client_addr->sa_family != AF_INET)
		return;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)ci->client_addr;
	inet_ntop(AF_INET, &sin->sin_addr, out, (socklen_t)len);
}

/* A stream's starting point: Last-Event-ID, else ?after=, else -1 (now). */
static int64_t stream_cursor(struct MHD_Connection *conn)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Last-Event-ID");
	if (!v)
		v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "after");
	char *end = NULL;
	long long n = v ? strtoll(v, &end, 10) : -1;
	return v && *v && !*end && n >= 0 ? n : -1;
}

/* Sends the handler's answer with what it added to reply (cookie, raw body). */
static enum MHD_Result send_reply(struct MHD_Connection *conn, int status, cJSON *doc,
                                  struct ck_api_reply *reply)
{
	if (!reply->raw && !reply->set_cookie[0] && reply->retry_after_s <= 0)
		return send_json(conn, status, doc);
	struct MHD_Response *resp = NULL;
	const char *type = "application/json";
	if (reply->raw) {
		cJSON_Delete(doc);
		resp = MHD_create_response_from_buffer(reply->raw_len, reply->raw,
		                                       MHD_RESPMEM_MUST_FREE);
		type = reply->raw_type;
		if (!resp)
			free(reply->raw);
	} else {
		char *text = doc ? cJSON_PrintUnformatted(doc) : NULL;
		cJSON_Delete(doc);
		if (text)
			resp = MHD_create_response_from_buffer(strlen(text), text,
			                                       MHD_RESPMEM_MUST_FREE);
		if (!resp)
			cJSON_free(text);
	}
	if (!resp)
		return MHD_NO;
	char retry[24];
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (reply->set_cookie[0])
		MHD_add_response_header(resp, "Set-Cookie", reply->set_cookie);
	if (reply->retry_after_s > 0) {
		snprintf(retry, sizeof(retry), "%d", reply->retry_after_s);
		MHD_add_response_header(resp, "Retry-After", retry);
	}
	enum MHD_Result r = MHD_queue_response(conn, (unsigned int)status, resp);
	MHD_destroy_response(resp);
	return r;
}

static const char *query_arg(const struct ck_api_request *req, const char *key)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	struct ck_http *h = cls;
	struct request_state *st = *con_cls;
	(void)version;

	if (!st) {
		st = calloc(1, sizeof(*st));
		if (!st)
			return MHD_NO;
		*con_cls = st;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (st->too_large || st->len + n > body_max(url)) {
			st->too_large = true;
			return MHD_YES;
		}
		char *grown = realloc(st->body, st->len + n + 1);
		if (!grown)
			return MHD_NO;
		st->body = grown;
		memcpy(st->body + st->len, upload_data, n);
		st->len += n;
		st->body[st->len] = '\0';
		return MHD_YES;
	}

	/* The web app's files: public, so the login page can load. */
	if (ck_web_handles(url))
		return ck_web_serve(conn, h->env->web_dir, url, method);
	/* /metrics is the one route outside /api/v1 (where Prometheus looks). */
	bool metrics = strcmp(url, METRICS_PATH) == 0;
	if (!metrics && (strncmp(url, API_PREFIX, strlen(API_PREFIX)) != 0 ||
	                 (url[strlen(API_PREFIX)] != '/' && url[strlen(API_PREFIX)] != '\0') ||
	                 strcmp(url + strlen(API_PREFIX), METRICS_PATH) == 0))
		return send_json(conn, 404, ck_api_error("not_found", "no such endpoint"));
	const char *path = metrics ? url : url + strlen(API_PREFIX);
	if (st->too_large)
		return send_json(conn, 413,
		                 ck_api_error("too_large", body_max(url) == CK_HTTP_BODY_MAX
		                                               ? "request body over 64 KiB"
		                                               : "request body over 2 MiB"));

	bool public_route = ck_auth_public(method, path) || (metrics && peer_is_loopback(conn));
	struct ck_auth_principal who = { .user = "", .role = "" };
	char peer[64] = "";
	peer_name(conn, peer, sizeof(peer));
	if (!public_route) {
		cJSON *err = NULL;
		int denied = ck_auth_resolve(
		    h->env, method,
		    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"),
		    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Cookie"),
		    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-CSRF-Token"),
		    ck_api_now_ms(), &who, &err);
		if (denied)
			return send_json(conn, denied, err);
		if (!metrics && !ck_auth_allowed(who.role, method, path))
			return send_json(conn, 403,
			                 ck_api_error("forbidden", "your role may not do this"));
	}
	if (strcmp(path, "/stream") == 0 && strcmp(method, "GET") == 0)
		return ck_sse_open(h->sse, conn, stream_cursor(conn));
	struct ck_api_reply reply = { .set_cookie = "" };

	struct ck_api_request req = {
		.method = method,
		.path = path,
		.body = st->body ? st->body : "",
		.body_len = st->len,
		.query = query_arg,
		.conn = conn,
		.wait = &st->wait,
		.user = who.user,
		.role = who.role,
		.session_hash = who.session_hash[0] ? who.session_hash : NULL,
		.csrf = who.csrf[0] ? who.csrf : NULL,
		.peer = peer,
		.session_expires_ms = who.expires_ms,
		.reply = &reply,
	};
	cJSON *doc = NULL;
	st->wait.generation = ck_longpoll_generation(h->lp);
	int status = ck_api_handle(h->env, &req, &doc);
	if (status == CK_API_SUSPEND) {
		MHD_suspend_connection(conn);
		int rc = ck_longpoll_park(h->lp, conn, st->wait.wake_ms, st->wait.generation);
		if (rc != 0) {
			/* Something changed meanwhile, or the server is stopping:
			 * run the handler again now (without waiting when stopping). */
			if (rc != -EAGAIN)
				st->wait.until_ms = 1;
			MHD_resume_connection(conn);
		}
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0 && status < 300)
		ck_sse_notify(h->sse); /* a call may have changed */
	return send_reply(conn, status, doc, &reply);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	struct request_state *st = *con_cls;
	if (st) {
		free(st->body);
		free(st);
		*con_cls = NULL;
	}
}

/* libmicrohttpd hands us its own format strings; they are trusted. */
__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char line[512];
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	ck_warn("http", "%s", line);
}

int ck_http_start(const char *addr, int port, const struct ck_api_env *env, struct ck_http **out,
                  char *err, size_t err_len)
{
	*out = NULL;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		snprintf(err, err_len, "HTTP address %s is not an IPv4 address", addr);
		return -EINVAL;
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, err_len, "cannot create HTTP socket: %s", strerror(errno));
		return -errno;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 64) != 0) {
		int e = errno;
		snprintf(err, err_len, "HTTP address %s:%d %s", addr, port,
		         e == EADDRINUSE ? "is in use" : strerror(e));
		close(fd);
		return -e;
	}
	struct ck_http *h = calloc(1, sizeof(*h));
	if (!h) {
		close(fd);
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	h->env = env;
	h->fd = fd;
	h->sse = ck_sse_new(env->store);
	if (!h->sse) {
		snprintf(err, err_len, "out of memory");
		close(fd);
		free(h);
		return -ENOMEM;
	}
	if (ck_longpoll_new(resume_request, h, &h->lp) != 0) {
		snprintf(err, err_len, "cannot start the HTTP long-poll thread");
		ck_sse_free(h->sse);
		close(fd);
		free(h);
		return -ENOMEM;
	}
	h->daemon = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
	        MHD_ALLOW_SUSPEND_RESUME,
	    0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
	    MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
	    MHD_OPTION_CONNECTION_LIMIT, 1000, MHD_OPTION_CONNECTION_TIMEOUT, 30,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024), MHD_OPTION_END);
	if (!h->daemon) {
		snprintf(err, err_len, "cannot start the HTTP server on %s:%d", addr, port);
		ck_longpoll_free(h->lp);
		ck_sse_free(h->sse);
		close(fd);
		free(h);
		return -EIO;
	}
	ck_store_queue_listen(ck_longpoll_notify, h->lp);
	ck_info("http", "API listening on http://%s:%d/api/v1", addr, port);
	*out = h;
	return 0;
}

void ck_http_stop(struct ck_http *h)
{
	if (!h)
		return;
	ck_store_queue_listen(NULL, NULL);
	/* Parked requests are resumed first (and parking refused from then
	 * on), so none is left suspended when the daemon stops. */
	ck_longpoll_stop(h->lp);
	ck_sse_close_all(h->sse); /* no stream may stay suspended */
	MHD_stop_daemon(h->daemon);
	ck_sse_free(h->sse);
	ck_longpoll_free(h->lp);
	close(h->fd);
	free(h);
}

void ck_http_notify(struct ck_http *h)
{
	if (h)
		ck_sse_notify(h->sse);
}
