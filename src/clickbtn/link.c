/*
 * The long-lived broker connection (see link.h). libmosquitto callbacks
 * only record; the decision to tear a connection down is taken in
 * ck_click_link_step after libmosquitto has returned, because a client
 * cannot be destroyed from inside its own callback.
 */
#include "clickbtn/link.h"

#include <errno.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clickbtn/publish.h"

#define KEEPALIVE_S       30
#define CONNECT_LIMIT_MS  10000
#define MISC_PERIOD_MS    1000
#define KICK_MIN_SPACE_MS 1000

__attribute__((format(printf, 2, 3))) static void say(const struct ck_click_link *l,
                                                      const char *fmt, ...)
{
	if (!l->verbose)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "clickbtn: %s: ", l->client_id);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static uint64_t next_rand(struct ck_click_link *l)
{
	l->rng ^= l->rng << 13;
	l->rng ^= l->rng >> 7;
	l->rng ^= l->rng << 17;
	return l->rng;
}

int ck_click_link_init(struct ck_click_link *l, char *why, size_t why_len)
{
	l->ctx = ck_click_tls_ctx(l->ca, l->cert, l->key, l->host, &l->tls, why, why_len);
	if (!l->ctx)
		return -EINVAL;
	if (l->resume)
		ck_click_tls_resume(l->ctx, &l->tls);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	l->rng = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40) ^
	         (uint64_t)(uintptr_t)l;
	if (l->rng == 0)
		l->rng = 1;
	l->st = CK_LINK_DOWN;
	l->retry_at = l->reconnect ? 0 : INT64_MAX;
	l->last_try = INT64_MIN / 2;
	return 0;
}

static void drop_client(struct ck_click_link *l)
{
	if (l->mosq) {
		mosquitto_destroy(l->mosq);
		l->mosq = NULL;
	}
}

void ck_click_link_cleanup(struct ck_click_link *l)
{
	drop_client(l);
	ck_click_tls_forget(&l->tls);
	if (l->ctx)
		SSL_CTX_free(l->ctx);
	l->ctx = NULL;
}

static void go_down(struct ck_click_link *l, int64_t now, const char *why, bool error)
{
	drop_client(l);
	l->dead = false;
	if (error)
		l->conn_errors++;
	l->st = CK_LINK_DOWN;
	if (l->reconnect) {
		/* Exponential backoff with "equal jitter": half fixed, half random,
		 * so a site's buttons do not all come back in the same instant. */
		int64_t d = CK_CLICK_BACKOFF_MIN_MS;
		for (int i = 0; i < l->attempt && d < CK_CLICK_BACKOFF_MAX_MS; i++)
			d *= 2;
		if (d > CK_CLICK_BACKOFF_MAX_MS)
			d = CK_CLICK_BACKOFF_MAX_MS;
		l->retry_at = now + d / 2 + (int64_t)(next_rand(l) % (uint64_t)(d / 2 + 1));
		l->attempt++;
	} else {
		l->retry_at = INT64_MAX;
	}
	snprintf(l->why, sizeof(l->why), "%s", why);
	say(l, "down: %s", why);
	if (l->ops && l->ops->state)
		l->ops->state(l->arg, l, CK_LINK_DOWN, why);
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc, int flags,
                       const mosquitto_property *props)
{
	struct ck_click_link *l = obj;
	(void)flags;
	(void)props;
	if (rc != MQTT_RC_SUCCESS) {
		snprintf(l->why, sizeof(l->why), "connection refused: CONNACK reason 0x%02x (%s)",
		         rc, mosquitto_reason_string(rc));
		l->dead = true;
		return;
	}
	l->st = CK_LINK_UP;
	l->attempt = 0;
	l->handshakes++;
	if (l->tls.resumed)
		l->resumed++;
	l->connected_ms = ck_click_now_ms() - l->last_try;
	say(l, "connected in %lld ms (TLS %s%s)", (long long)l->connected_ms,
	    l->tls.version == TLS1_3_VERSION ? "1.3" : "1.2", l->tls.resumed ? ", resumed" : "");
	if (l->subscribe) {
		char topic[300];
		snprintf(topic, sizeof(topic), "iotbutton/%s/feedback", l->client_id);
		mosquitto_subscribe_v5(mosq, NULL, topic, 1, 0, NULL);
	}
	if (l->ops && l->ops->state)
		l->ops->state(l->arg, l, CK_LINK_UP, NULL);
}

static void on_publish(struct mosquitto *mosq, void *obj, int mid, int rc,
                       const mosquitto_property *props)
{
	struct ck_click_link *l = obj;
	(void)mosq;
	(void)props;
	if (l->ops && l->ops->acked)
		l->ops->acked(l->arg, l, mid, rc);
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *m,
                       const mosquitto_property *props)
{
	struct ck_click_link *l = obj;
	(void)mosq;
	(void)props;
	if (l->ops && l->ops->feedback)
		l->ops->feedback(l->arg, l, m->payload, (size_t)m->payloadlen);
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc,
                          const mosquitto_property *props)
{
	struct ck_click_link *l = obj;
	(void)mosq;
	(void)props;
	if (!l->dead) {
		if (rc >= 0x80)
			snprintf(l->why, sizeof(l->why),
			         "disconnected by the broker: reason 0x%02x (%s)", rc,
			         mosquitto_reason_string(rc));
		else
			snprintf(l->why, sizeof(l->why), "connection to %s:%d lost", l->host,
			         l->port);
	}
	l->dead = true;
}

static void start(struct ck_click_link *l, int64_t now)
{
	char why[256];
	l->last_try = now;
	l->dead = false;
	ck_click_tls_reset(&l->tls);
	l->mosq = mosquitto_new(l->client_id, true, l);
	if (!l->mosq) {
		go_down(l, now, "cannot create the MQTT client", true);
		return;
	}
	mosquitto_connect_v5_callback_set(l->mosq, on_connect);
	mosquitto_publish_v5_callback_set(l->mosq, on_publish);
	mosquitto_message_v5_callback_set(l->mosq, on_message);
	mosquitto_disconnect_v5_callback_set(l->mosq, on_disconnect);
	int rc = mosquitto_int_option(l->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_int_option(l->mosq, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0);
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_void_option(l->mosq, MOSQ_OPT_SSL_CTX, l->ctx);
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_connect_async(l->mosq, l->host, l->port, KEEPALIVE_S);
	if (rc != MOSQ_ERR_SUCCESS) {
		snprintf(why, sizeof(why), "cannot connect to %s:%d: %s", l->host, l->port,
		         rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
		go_down(l, now, why, true);
		return;
	}
	l->st = CK_LINK_CONNECTING;
	l->next_misc = now + MISC_PERIOD_MS;
	say(l, "connecting to %s:%d", l->host, l->port);
	if (l->ops && l->ops->state)
		l->ops->state(l->arg, l, CK_LINK_CONNECTING, NULL);
}

int ck_click_link_fd(const struct ck_click_link *l, short *events)
{
	*events = 0;
	if (!l->mosq)
		return -1;
	int fd = mosquitto_socket(l->mosq);
	if (fd < 0)
		return -1;
	*events = POLLIN;
	if (mosquitto_want_write(l->mosq))
		*events |= POLLOUT;
	return fd;
}

int64_t ck_click_link_deadline(const struct ck_click_link *l)
{
	if (l->st == CK_LINK_DOWN)
		return l->retry_at;
	int64_t d = l->next_misc;
	if (l->st == CK_LINK_CONNECTING && l->last_try + CONNECT_LIMIT_MS < d)
		d = l->last_try + CONNECT_LIMIT_MS;
	return d;
}

void ck_click_link_step(struct ck_click_link *l, int64_t now, short revents)
{
	if (l->st == CK_LINK_DOWN) {
		if (now >= l->retry_at)
			start(l, now);
		if (l->st == CK_LINK_DOWN)
			return;
	}
	int rc = MOSQ_ERR_SUCCESS;
	if (revents & (POLLIN | POLLHUP | POLLERR)) {
		/* libmosquitto reads one packet per call; TLS may hold more
		 * already decrypted, which poll would never report. */
		int guard = 0;
		do {
			rc = mosquitto_loop_read(l->mosq, 1);
		} while (rc == MOSQ_ERR_SUCCESS && !l->dead && l->mosq && ++guard < 1000 &&
		         mosquitto_ssl_get(l->mosq) && SSL_pending(mosquitto_ssl_get(l->mosq)) > 0);
	}
	if (rc == MOSQ_ERR_SUCCESS && !l->dead && l->mosq && mosquitto_want_write(l->mosq))
		rc = mosquitto_loop_write(l->mosq, 1);
	if (rc == MOSQ_ERR_SUCCESS && !l->dead && now >= l->next_misc) {
		rc = mosquitto_loop_misc(l->mosq);
		l->next_misc = now + MISC_PERIOD_MS;
	}
	if (l->dead || rc != MOSQ_ERR_SUCCESS) {
		char why[256];
		if (l->dead)
			snprintf(why, sizeof(why), "%s", l->why);
		else if (l->st == CK_LINK_CONNECTING && l->tls.verify_error)
			snprintf(why, sizeof(why),
			         "TLS failure: the broker's certificate was rejected");
		else if (l->st == CK_LINK_CONNECTING && l->tls.alert_received)
			snprintf(why, sizeof(why), "TLS failure: the broker sent alert \"%s\"",
			         l->tls.alert);
		else
			snprintf(why, sizeof(why), "connection to %s:%d %s: %s", l->host, l->port,
			         l->st == CK_LINK_CONNECTING ? "failed" : "lost",
			         rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
		go_down(l, now, why, true);
		return;
	}
	if (l->st == CK_LINK_CONNECTING && now - l->last_try >= CONNECT_LIMIT_MS)
		go_down(l, now, "timed out waiting for the TLS handshake or CONNACK", true);
}

void ck_click_link_kick(struct ck_click_link *l, int64_t now, bool force)
{
	if (l->st != CK_LINK_DOWN)
		return;
	if (force || now - l->last_try >= KICK_MIN_SPACE_MS)
		l->retry_at = now;
}

int ck_click_link_publish(struct ck_click_link *l, const char *topic, const void *payload,
                          size_t len)
{
	int mid = 0;
	if (l->st != CK_LINK_UP || !l->mosq)
		return -ENOTCONN;
	int rc = mosquitto_publish_v5(l->mosq, &mid, topic, (int)len, payload, 1, false, NULL);
	if (rc != MOSQ_ERR_SUCCESS)
		return rc == MOSQ_ERR_NOMEM ? -ENOMEM : -ENOTCONN;
	/* Write now rather than on the next poll round: this is the latency
	 * a user waits for. */
	mosquitto_loop_write(l->mosq, 1);
	return mid;
}

void ck_click_link_close(struct ck_click_link *l, int64_t now)
{
	if (l->mosq && l->st == CK_LINK_UP) {
		mosquitto_disconnect_v5(l->mosq, MQTT_RC_NORMAL_DISCONNECTION, NULL);
		mosquitto_loop_write(l->mosq, 1);
	}
	drop_client(l);
	l->st = CK_LINK_DOWN;
	l->attempt = 0;
	l->last_try = INT64_MIN / 2;
	l->retry_at = l->reconnect ? now + CK_CLICK_BACKOFF_MIN_MS : INT64_MAX;
}
