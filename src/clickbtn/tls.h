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
};

/*
 * Builds the context. report must outlive it (the callbacks write there).
 * Returns the context (the caller frees it with SSL_CTX_free) or NULL with
 * a one-line reason in why naming the file that could not be used.
 */
struct ssl_ctx_st *ck_click_tls_ctx(const char *ca, const char *cert, const char *key,
                                    const char *host, struct ck_click_tls_report *report, char *why,
                                    size_t why_len);

#endif
