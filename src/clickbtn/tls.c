/*
 * clickbtn's TLS context (see tls.h). OpenSSL does the verification,
 * including the host name or IP address check; the callbacks only observe
 * and record, they never change a verdict.
 */
#include "clickbtn/tls.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

static int no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;
}

static struct ck_click_tls_report *report_of(const SSL *ssl)
{
	return SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
}

static int on_verify(int ok, X509_STORE_CTX *store)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct ck_click_tls_report *r = ssl ? report_of(ssl) : NULL;
	if (!ok && r && r->verify_error == X509_V_OK) {
		r->verify_error = X509_STORE_CTX_get_error(store);
	}
	return ok;
}

static void on_info(const SSL *ssl, int where, int ret)
{
	struct ck_click_tls_report *r = report_of(ssl);
	if (!r)
		return;
	/* libmosquitto makes the SSL object and starts the handshake itself;
	 * the start callback runs before the ClientHello is built, the one
	 * moment a kept session can still be offered. */
	if ((where & SSL_CB_HANDSHAKE_START) && r->resume && r->session && !r->handshake_done &&
	    !SSL_is_server(ssl))
		SSL_set_session((SSL *)ssl, r->session);
	if (where & SSL_CB_HANDSHAKE_DONE) {
		r->handshake_done = true;
		r->resumed = SSL_session_reused((SSL *)ssl) == 1;
		r->version = SSL_version(ssl);
	}
	if ((where & SSL_CB_READ_ALERT) && (ret >> 8) == SSL3_AL_FATAL && !r->alert_received) {
		r->alert_received = true;
		snprintf(r->alert, sizeof(r->alert), "%s", SSL_alert_desc_string_long(ret));
	}
}

static int set_peer_name(SSL_CTX *ctx, const char *host)
{
	X509_VERIFY_PARAM *param = SSL_CTX_get0_param(ctx);
	unsigned char addr[16];
	if (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1)
		return X509_VERIFY_PARAM_set1_ip_asc(param, host) == 1 ? 0 : -1;
	X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	return X509_VERIFY_PARAM_set1_host(param, host, 0) == 1 ? 0 : -1;
}

/* A new session ticket from the broker (TLS 1.3 sends them after the
 * handshake): keep the latest. Returning 1 takes the reference. */
static int on_new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct ck_click_tls_report *r = report_of(ssl);
	if (!r || !r->resume)
		return 0;
	if (r->session)
		SSL_SESSION_free(r->session);
	r->session = sess;
	return 1;
}

void ck_click_tls_resume(SSL_CTX *ctx, struct ck_click_tls_report *report)
{
	report->resume = true;
	SSL_CTX_set_session_cache_mode(ctx,
	                               SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx, on_new_session);
}

void ck_click_tls_forget(struct ck_click_tls_report *report)
{
	if (report->session)
		SSL_SESSION_free(report->session);
	report->session = NULL;
}

void ck_click_tls_reset(struct ck_click_tls_report *report)
{
	report->verify_error = 0;
	report->alert_received = false;
	report->alert[0] = '\0';
	report->handshake_done = false;
	report->resumed = false;
	report->version = 0;
}

SSL_CTX *ck_click_tls_ctx(const char *ca, const char *cert, const char *key, const char *host,
                          struct ck_click_tls_report *report, char *why, size_t why_len)
{
	memset(report, 0, sizeof(*report));
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		snprintf(why, why_len, "cannot create a TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_default_passwd_cb(ctx, no_password);
	if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
		snprintf(why, why_len, "%s: cannot load the CA certificates", ca);
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		snprintf(why, why_len, "%s: cannot load the device certificate", cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(why, why_len, "%s: cannot load the key, or it does not match %s", key,
		         cert);
		goto fail;
	}
	if (set_peer_name(ctx, host) != 0) {
		snprintf(why, why_len, "cannot check the broker's certificate against \"%s\"",
		         host);
		goto fail;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, on_verify);
	SSL_CTX_set_info_callback(ctx, on_info);
	SSL_CTX_set_app_data(ctx, report);
	ERR_clear_error();
	return ctx;
fail:
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return NULL;
}
