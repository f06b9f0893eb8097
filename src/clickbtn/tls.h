/*
 * The TLS context clickbtn hands to libmosquitto (MOSQ_OPT_SSL_CTX): TLS
 * 1.2 or later, the broker verified against the CA file and the endpoint
 * name or address, the device certificate and key, and callbacks that
 * record why a handshake failed (the broker certificate's verification
 * error, a fatal alert from the broker) so the failure can be worded
 * precisely rather than as a generic "protocol error".
 */
#ifndef CK_CLICKBTN_TLS_H
#define CK_CLICKBTN_TLS_H

#include <stdbool.h>
#include <stddef.h>

struct ssl_ctx_st;

/* What the handshake revealed; filled in by OpenSSL callbacks. */
struct ck_click_tls_report {
	long verify_error;   /* first X509_V_ERR_* on the broker's chain, 0 if none */
	bool alert_received; /* the broker sent a fatal alert */
	char alert[64];      /* its description, e.g. "unknown CA" */
	bool handshake_done; /* the handshake completed */
	bool resumed;        /* ... by resuming an earlier TLS session */
	int version;         /* TLS1_3_VERSION etc., once done */
	/* Session resumption (ck_click_tls_resume): the latest session ticket
	 * the broker issued, offered on the next handshake. Owned here; free
	 * with ck_click_tls_forget. */
	bool resume;
	struct ssl_session_st *session;
};

/*
 * Builds the context. report must outlive it (the callbacks write there).
 * Returns the context (the caller frees it with SSL_CTX_free) or NULL with
 * a one-line reason in why naming the file that could not be used.
 */
struct ssl_ctx_st *ck_click_tls_ctx(const char *ca, const char *cert, const char *key,
                                    const char *host, struct ck_click_tls_report *report, char *why,
                                    size_t why_len);

/*
 * Turns on TLS session resumption for connections made with ctx: the
 * tickets the broker sends are kept in report->session and offered on the
 * next handshake (libmosquitto creates the SSL object itself, so the
 * session is attached when its handshake starts). A refused ticket costs
 * nothing but a full handshake. report->resumed tells what happened.
 */
void ck_click_tls_resume(struct ssl_ctx_st *ctx, struct ck_click_tls_report *report);

/* Drops the kept session (safe to call when there is none). */
void ck_click_tls_forget(struct ck_click_tls_report *report);

/* Clears the per-handshake fields before a new connection attempt; keeps
 * the session and the resume setting. */
void ck_click_tls_reset(struct ck_click_tls_report *report);

#endif
