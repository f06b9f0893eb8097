/*
 * One press over MQTT 5 and mutual TLS (see publish.h). libmosquitto is
 * driven from this thread: mosquitto_connect does the DNS lookup and the
 * TCP connect, then mosquitto_loop, called with waits that never pass the
 * deadline, carries the TLS handshake, CONNACK, PUBLISH and PUBACK. The
 * callbacks only record what happened; this file turns the record into an
 * exit code and one line. TLS failures are worded from what tls.c's
 * callbacks recorded (the broker certificate's verification error, the
 * broker's alert) and the OpenSSL errors libmosquitto logs, because its
 * return codes do not tell a certificate rejected in a TLS 1.3 handshake
 * from a dropped connection. The TCP connect itself blocks; deadline.c's alarm
 * bounds it.
 */
#include "clickbtn/publish.h"

#include <errno.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <netdb.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "clickbtn/tls.h"
#include "device/payload.h"

#define KEEPALIVE_S 60
#define LOOP_MAX_MS 1000

enum stage { ST_CONNECTING, ST_CONNECTED, ST_PUBLISHED, ST_DONE };

struct session {
	const struct ck_click_job *job;
	enum stage stage;
	int exit_code;
	int mid;
	int connack;       /* CONNACK reason, -1 before it */
	int puback;        /* PUBACK reason, -1 before it */
	bool lost;         /* on_disconnect seen */
	int disconnect;    /* its reason code */
	char tls_err[200]; /* first OpenSSL error libmosquitto logged */
	struct ck_click_tls_report tls;
	char *msg;
	size_t msg_len;
	int64_t started_ms;
};

int64_t ck_click_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

__attribute__((format(printf, 3, 4))) static int finish(struct session *s, int code,
                                                        const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->msg, s->msg_len, fmt, ap);
	va_end(ap);
	s->exit_code = code;
	s->stage = ST_DONE;
	return code;
}

__attribute__((format(printf, 2, 3))) static void verbose(const struct session *s, const char *fmt,
                                                          ...)
{
	if (!s->job->verbose)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("clickbtn: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc, int flags,
                       const mosquitto_property *props)
{
	struct session *s = obj;
	(void)mosq;
	(void)flags;
	(void)props;
	s->connack = rc;
	if (rc != MQTT_RC_SUCCESS) {
		finish(s, CK_CLICK_EXIT_REFUSED,
		       "connection refused by the broker: CONNACK reason 0x%02x (%s)%s", rc,
		       mosquitto_reason_string(rc),
		       rc == MQTT_RC_NOT_AUTHORIZED || rc == MQTT_RC_BAD_USERNAME_OR_PASSWORD
		           ? "; is the certificate registered and active, and the thing name "
		             "right?"
		           : "");
		return;
	}
	s->stage = ST_CONNECTED;
	verbose(s, "connected (CONNACK 0x00) after %lld ms",
	        (long long)(ck_click_now_ms() - s->started_ms));
}

static void on_publish(struct mosquitto *mosq, void *obj, int mid, int rc,
                       const mosquitto_property *props)
{
	struct session *s = obj;
	(void)mosq;
	(void)props;
	if (s->stage != ST_PUBLISHED || mid != s->mid)
		return;
	s->puback = rc;
	if (rc >= 0x80) {
		finish(s, CK_CLICK_EXIT_PUBLISH, "publish refused: PUBACK reason 0x%02x (%s)", rc,
		       mosquitto_reason_string(rc));
		return;
	}
	verbose(s, "delivered: PUBACK reason 0x%02x (%s) after %lld ms", rc,
	        mosquitto_reason_string(rc), (long long)(ck_click_now_ms() - s->started_ms));
	finish(s, CK_CLICK_EXIT_OK, "delivered");
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc,
                          const mosquitto_property *props)
{
	struct session *s = obj;
	(void)mosq;
	(void)props;
	if (s->stage == ST_DONE)
		return;
	s->lost = true;
	s->disconnect = rc;
}

static void on_log(struct mosquitto *mosq, void *obj, int level, const char *str)
{
	struct session *s = obj;
	(void)mosq;
	if (!s->tls_err[0] && strncmp(str, "OpenSSL Error", 13) == 0) {
		/* "OpenSSL Error[0]: error:0A000086:SSL routines::certificate verify
		 * failed": keep the text after the last colon. */
		const char *text = strrchr(str, ':');
		snprintf(s->tls_err, sizeof(s->tls_err), "%s", text ? text + 1 : str);
	}
	if (s->job->verbose && level != MOSQ_LOG_DEBUG)
		fprintf(stderr, "clickbtn: mosquitto: %s\n", str);
}

/* A hint for the operator after a fatal alert from the broker. */
static const char *alert_hint(const char *alert)
{
	static const char *const rejected[] = { "unknown CA",
		                                "bad certificate",
		                                "certificate required",
		                                "certificate unknown",
		                                "certificate revoked",
		                                "certificate expired",
		                                "unsupported certificate",
		                                "access denied" };
	for (size_t i = 0; i < sizeof(rejected) / sizeof(rejected[0]); i++) {
		if (strcmp(alert, rejected[i]) == 0)
			return "the broker rejected the device certificate";
	}
	if (strcmp(alert, "protocol version") == 0)
		return "no common TLS version (clickbtn needs TLS 1.2 or later)";
	return "the broker ended the handshake";
}

/* Words a failure of the TLS layer before CONNACK, most precise cause first:
 * the broker's certificate, an alert from the broker, an early close, then
 * whatever OpenSSL logged. */
static int tls_failure(struct session *s)
{
	const struct ck_click_job *j = s->job;
	const struct ck_click_tls_report *t = &s->tls;

	if (t->verify_error != X509_V_OK)
		return finish(s, CK_CLICK_EXIT_TLS,
		              "TLS failure: the broker's certificate was rejected (%s); check "
		              "the CA file %s and the endpoint %s",
		              X509_verify_cert_error_string(t->verify_error), j->ca, j->host);
	if (t->alert_received)
		return finish(s, CK_CLICK_EXIT_TLS,
		              "TLS failure: the broker sent alert \"%s\": %s (%s)", t->alert,
		              alert_hint(t->alert), j->cert);
	/* Under TLS 1.3 the broker checks the device certificate after the
	 * client's side of the handshake is done; its alert is often lost to
	 * the connection reset that follows. Authorization failures past TLS
	 * get a CONNACK, so a close here points at the certificate. */
	if (t->handshake_done)
		return finish(s, CK_CLICK_EXIT_TLS,
		              "TLS failure: the broker closed the connection right after the "
		              "handshake, before CONNACK; it most likely rejected the device "
		              "certificate (%s)",
		              j->cert);
	if (strstr(s->tls_err, "wrong version number") || strstr(s->tls_err, "packet length"))
		return finish(s, CK_CLICK_EXIT_TLS,
		              "TLS failure: %s:%d does not speak TLS (is it the MQTT TLS port?)",
		              j->host, j->port);
	if (!s->tls_err[0] || strstr(s->tls_err, "unexpected eof"))
		return finish(s, CK_CLICK_EXIT_TLS,
		              "TLS failure: %s:%d closed the connection during the handshake",
		              j->host, j->port);
	return finish(s, CK_CLICK_EXIT_TLS, "TLS failure: %s", s->tls_err);
}

/* True when a libmosquitto error came from the TLS layer: its own TLS code,
 * an OpenSSL error it logged, or EPROTO, which it sets for any SSL_read or
 * SSL_write failure. */
static bool tls_layer(const struct session *s, int rc, int err)
{
	return rc == MOSQ_ERR_TLS || s->tls_err[0] || s->tls.verify_error != X509_V_OK ||
	       s->tls.alert_received || (rc == MOSQ_ERR_ERRNO && err == EPROTO);
}

/* Classifies a failure of mosquitto_connect (resolve, socket, TCP, TLS setup). */
static int connect_failed(struct session *s, int rc, int err)
{
	const struct ck_click_job *j = s->job;
	/* libmosquitto may already have written CONNECT and met the broker's
	 * TLS alert inside mosquitto_connect. */
	if (tls_layer(s, rc, err))
		return tls_failure(s);
	if (rc == MOSQ_ERR_EAI)
		return finish(s, CK_CLICK_EXIT_NETWORK, "cannot resolve %s: %s", j->host,
		              gai_strerror(err));
	if (rc == MOSQ_ERR_ERRNO)
		return finish(s, CK_CLICK_EXIT_NETWORK, "cannot connect to %s:%d: %s", j->host,
		              j->port, strerror(err));
	return finish(s, CK_CLICK_EXIT_NETWORK, "cannot connect to %s:%d: %s", j->host, j->port,
	              mosquitto_strerror(rc));
}

/* Classifies the end of the connection before the outcome was known. Once
 * the PUBLISH is out, any end is "refused": the broker may hold the
 * message but did not acknowledge it. TLS errors count as TLS failures only
 * before CONNACK (a TLS 1.3 broker rejects a client certificate after the
 * client has finished its side of the handshake). */
static int connection_ended(struct session *s, int rc, int err)
{
	const struct ck_click_job *j = s->job;
	const char *before = s->stage == ST_CONNECTING ? "CONNACK" : "PUBLISH";

	if (s->stage == ST_PUBLISHED) {
		if (s->lost && s->disconnect >= 0x80)
			return finish(s, CK_CLICK_EXIT_PUBLISH,
			              "publish refused: broker closed the connection (DISCONNECT "
			              "reason 0x%02x, %s)",
			              s->disconnect, mosquitto_reason_string(s->disconnect));
		return finish(s, CK_CLICK_EXIT_PUBLISH,
		              "publish refused: broker closed the connection");
	}
	if (s->lost && s->disconnect >= 0x80)
		return finish(s, CK_CLICK_EXIT_REFUSED,
		              "connection refused by the broker: DISCONNECT reason 0x%02x (%s)",
		              s->disconnect, mosquitto_reason_string(s->disconnect));
	if (s->stage == ST_CONNECTING && tls_layer(s, rc, err))
		return tls_failure(s);
	if (rc == MOSQ_ERR_ERRNO && err != 0)
		return finish(s, CK_CLICK_EXIT_NETWORK, "connection to %s:%d lost before %s: %s",
		              j->host, j->port, before, strerror(err));
	return finish(s, CK_CLICK_EXIT_NETWORK, "connection to %s:%d lost before %s", j->host,
	              j->port, before);
}

/* While the TLS handshake is in progress libmosquitto treats a peer that
 * closed the connection like "try again later" and would spin until the
 * deadline; look at the socket directly to end early. */
static bool handshake_closed(const struct session *s, struct mosquitto *mosq)
{
	int fd = mosquitto_socket(mosq);
	char c;
	if (s->tls.handshake_done || fd < 0)
		return false;
	ssize_t r = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static int send_press(struct session *s, struct mosquitto *mosq)
{
	char payload[CK_PAYLOAD_ENCODED_MAX];
	char why[256] = "";
	const struct ck_click_job *j = s->job;

	int n = j->payload(j->arg, payload, sizeof(payload), why, sizeof(why));
	if (n < 0)
		return finish(s, CK_CLICK_EXIT_CONFIG, "%s", why);
	/* Marked published first: whatever happens from here on, the broker may
	 * have the message, so a lost connection means "refused", not "never
	 * sent". */
	s->stage = ST_PUBLISHED;
	int rc = mosquitto_publish_v5(mosq, &s->mid, j->topic, n, payload, 1, false, NULL);
	if (rc != MOSQ_ERR_SUCCESS) {
		int err = errno;
		if (rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST || rc == MOSQ_ERR_ERRNO)
			return connection_ended(s, rc, err);
		return finish(s, CK_CLICK_EXIT_PUBLISH, "publish refused by the client library: %s",
		              mosquitto_strerror(rc));
	}
	verbose(s, "published to %s at QoS 1: %s", j->topic, payload);
	return 0;
}

static const char *waiting_for(enum stage st)
{
	switch (st) {
	case ST_CONNECTING:
		return "the TLS handshake or CONNACK";
	case ST_CONNECTED:
		return "the broker";
	default:
		return "PUBACK";
	}
}

static int run(struct session *s, struct mosquitto *mosq)
{
	const struct ck_click_job *j = s->job;

	verbose(s, "connecting to %s:%d as %s (MQTT 5, TLS)", j->host, j->port, j->client_id);
	errno = 0;
	int rc = mosquitto_connect_bind_v5(mosq, j->host, j->port, KEEPALIVE_S, NULL, NULL);
	if (rc != MOSQ_ERR_SUCCESS)
		return connect_failed(s, rc, errno);

	while (s->stage != ST_DONE) {
		int64_t left = j->deadline_ms - ck_click_now_ms();
		if (left <= 0)
			return finish(s, CK_CLICK_EXIT_TIMEOUT,
			              "timed out after %g s waiting for %s from %s:%d",
			              j->timeout_s, waiting_for(s->stage), j->host, j->port);
		if (s->stage == ST_CONNECTED) {
			send_press(s, mosq);
			continue;
		}
		errno = 0;
		rc = mosquitto_loop(mosq, (int)(left < LOOP_MAX_MS ? left : LOOP_MAX_MS), 1);
		int err = errno;
		if (s->stage == ST_DONE)
			break;
		if (rc != MOSQ_ERR_SUCCESS || s->lost)
			return connection_ended(s, rc, err);
		if (s->stage == ST_CONNECTING && handshake_closed(s, mosq))
			return tls_failure(s);
	}
	return s->exit_code;
}

int ck_click_publish(const struct ck_click_job *job, char *msg, size_t msg_len)
{
	struct session s = {
		.job = job,
		.stage = ST_CONNECTING,
		.exit_code = CK_CLICK_EXIT_NETWORK,
		.mid = -1,
		.connack = -1,
		.puback = -1,
		.msg = msg,
		.msg_len = msg_len,
		.started_ms = ck_click_now_ms(),
	};
	msg[0] = '\0';

	struct mosquitto *mosq = mosquitto_new(job->client_id, true, &s);
	if (!mosq)
		return finish(&s, CK_CLICK_EXIT_CONFIG, "cannot create the MQTT client: %s",
		              strerror(errno));
	mosquitto_connect_v5_callback_set(mosq, on_connect);
	mosquitto_publish_v5_callback_set(mosq, on_publish);
	mosquitto_disconnect_v5_callback_set(mosq, on_disconnect);
	mosquitto_log_callback_set(mosq, on_log);

	char why[512];
	SSL_CTX *ctx =
	    ck_click_tls_ctx(job->ca, job->cert, job->key, job->host, &s.tls, why, sizeof(why));
	if (!ctx) {
		finish(&s, CK_CLICK_EXIT_CONFIG, "%s", why);
		goto out;
	}
	/* libmosquitto takes its own reference; without "defaults" it uses the
	 * context exactly as built (no tls_set, so no second verification). */
	int rc = mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_int_option(mosq, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0);
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_void_option(mosq, MOSQ_OPT_SSL_CTX, ctx);
	SSL_CTX_free(ctx);
	if (rc != MOSQ_ERR_SUCCESS) {
		finish(&s, CK_CLICK_EXIT_CONFIG, "cannot set up the MQTT client: %s",
		       mosquitto_strerror(rc));
		goto out;
	}

	run(&s, mosq);
	if (s.exit_code == CK_CLICK_EXIT_OK) {
		/* A clean DISCONNECT; the press is already acknowledged, so its
		 * fate does not change the outcome. */
		mosquitto_disconnect_v5(mosq, MQTT_RC_NORMAL_DISCONNECTION, NULL);
	}
out:
	mosquitto_destroy(mosq);
	return s.exit_code;
}
