/*
 * One press over MQTT 5 with mutual TLS: connect, publish at QoS 1, wait
 * for the PUBACK, disconnect, all within one deadline. libmosquitto runs in
 * the calling thread (mosquitto_loop with bounded waits); the outcome is
 * one of clickbtn's exit codes with a one-line message.
 */
#ifndef CK_CLICKBTN_PUBLISH_H
#define CK_CLICKBTN_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* clickbtn's exit codes; documented in --help and clickbtn(1). */
enum ck_click_exit {
	CK_CLICK_EXIT_OK = 0,      /* delivered: PUBACK with a success reason code */
	CK_CLICK_EXIT_USAGE = 2,   /* bad command line */
	CK_CLICK_EXIT_CONFIG = 3,  /* configuration, credential or state file problem */
	CK_CLICK_EXIT_REFUSED = 4, /* CONNACK with a failure reason code */
	CK_CLICK_EXIT_TIMEOUT = 5, /* deadline passed */
	CK_CLICK_EXIT_TLS = 6,     /* TLS handshake or certificate failure */
	CK_CLICK_EXIT_PUBLISH = 7, /* PUBACK >= 0x80, or connection closed before it */
	CK_CLICK_EXIT_NETWORK = 8, /* cannot resolve, connect, or connection lost */
};

struct ck_click_job {
	const char *host;
	int port;
	const char *client_id;
	const char *topic;
	const char *cert, *key, *ca; /* paths */
	int64_t deadline_ms;         /* ck_click_now_ms() clock */
	double timeout_s;            /* the limit, for messages */
	bool verbose;                /* progress and libmosquitto's log on stderr */
	/*
	 * Called once, after a successful CONNACK and before the PUBLISH:
	 * writes the payload into buf (cap bytes) and returns its length, or
	 * a negative errno with a reason in why (the run then ends with
	 * CK_CLICK_EXIT_CONFIG and that reason).
	 */
	int (*payload)(void *arg, char *buf, size_t cap, char *why, size_t why_len);
	void *arg;
};

/* Milliseconds on CLOCK_MONOTONIC, the clock of deadline_ms. */
int64_t ck_click_now_ms(void);

/*
 * Runs the job. Returns a ck_click_exit code; for every code but
 * CK_CLICK_EXIT_OK, msg holds one line without a trailing newline, e.g.
 * "publish refused: PUBACK reason 0x87 (Not authorized)". Call
 * mosquitto_lib_init() first.
 */
int ck_click_publish(const struct ck_click_job *job, char *msg, size_t msg_len);

#endif
