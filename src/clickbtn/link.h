/*
 * A long-lived MQTT 5 connection to the broker with mutual TLS, driven by
 * the caller's poll loop (no threads): libmosquitto does the protocol on a
 * non-blocking socket, this module adds what a button needs around it. A
 * lost or refused connection is retried with exponential backoff and
 * jitter; TLS sessions are resumed across reconnects; presses are
 * published at QoS 1 and reported back by PUBACK; messages on the
 * thing's feedback topic are handed to a callback. Each connection attempt
 * uses a fresh libmosquitto client, so nothing libmosquitto queued on a
 * dead connection is ever sent twice behind the caller's back.
 */
#ifndef CK_CLICKBTN_LINK_H
#define CK_CLICKBTN_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clickbtn/tls.h"

#define CK_CLICK_BACKOFF_MIN_MS 500
#define CK_CLICK_BACKOFF_MAX_MS 30000

enum ck_click_link_state { CK_LINK_DOWN, CK_LINK_CONNECTING, CK_LINK_UP };

struct ck_click_link;

struct ck_click_link_ops {
	/* The broker acknowledged the publish with mid (reason < 0x80) or
	 * refused it (reason >= 0x80). */
	void (*acked)(void *arg, struct ck_click_link *l, int mid, int reason);
	/* A message on the feedback topic (payload not NUL-terminated). */
	void (*feedback)(void *arg, struct ck_click_link *l, const void *payload, size_t len);
	/* The state changed; why is a one-line reason when it went down. */
	void (*state)(void *arg, struct ck_click_link *l, enum ck_click_link_state st,
	              const char *why);
};

struct ck_click_link {
	/* set by the caller before ck_click_link_init */
	const char *host;
	int port;
	const char *client_id;
	const char *cert, *key, *ca;
	bool subscribe; /* subscribe to iotbutton/<client_id>/feedback */
	bool resume;    /* offer TLS session resumption */
	bool reconnect; /* retry with backoff when down (else stay down) */
	bool verbose;
	const struct ck_click_link_ops *ops;
	void *arg;
	/* state */
	enum ck_click_link_state st;
	struct mosquitto *mosq;
	struct ssl_ctx_st *ctx;
	struct ck_click_tls_report tls;
	int attempt;          /* failed attempts since the last CONNACK */
	int64_t retry_at;     /* next attempt (ck_click_now_ms clock), when down */
	int64_t last_try;     /* start of the latest attempt */
	int64_t connected_ms; /* time from attempt to CONNACK, last connection */
	uint64_t rng;
	bool dead;         /* set inside a libmosquitto callback, acted on after */
	int64_t next_misc; /* keepalive housekeeping */
	char why[256];
	/* counters */
	uint64_t handshakes, resumed, conn_errors;
};

/*
 * Builds the TLS context (credentials are read now). Returns 0, or a
 * negative errno with a reason in why. The link starts down with its
 * first attempt due at once.
 */
int ck_click_link_init(struct ck_click_link *l, char *why, size_t why_len);

/* Closes the connection and frees everything. */
void ck_click_link_cleanup(struct ck_click_link *l);

/* The socket to poll (-1 when none) and the events to ask for. */
int ck_click_link_fd(const struct ck_click_link *l, short *events);

/* When ck_click_link_step must run next at the latest (INT64_MAX: never). */
int64_t ck_click_link_deadline(const struct ck_click_link *l);

/*
 * Does everything due at now: starts a connection attempt when one is due,
 * reads and writes according to revents (from poll on the fd above, 0 when
 * the loop woke for another reason), sends keepalives. Callbacks run from
 * here.
 */
void ck_click_link_step(struct ck_click_link *l, int64_t now, short revents);

/* A press is waiting: when down, try again now unless the last attempt
 * started less than a second ago (force: try now regardless). */
void ck_click_link_kick(struct ck_click_link *l, int64_t now, bool force);

/*
 * Publishes at QoS 1 to topic. Returns the message id (> 0) or a negative
 * errno (-ENOTCONN when not up).
 */
int ck_click_link_publish(struct ck_click_link *l, const char *topic, const void *payload,
                          size_t len);

/* Sends DISCONNECT and closes; the link stays down until the next
 * ck_click_link_kick or, with reconnect, its backoff. */
void ck_click_link_close(struct ck_click_link *l, int64_t now);

#endif
