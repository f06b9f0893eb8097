/*
 * Authentication (see auth.h). The certificate path computes the
 * fingerprint with ck_fingerprint_x509(), the same code clickd uses when it
 * registers a certificate, and refreshes the snapshot first so a new
 * registration is usable at once. The password path compares SHA-256
 * digests with CRYPTO_memcmp(), so neither the content nor the length of
 * the secret leaks through timing; the secret itself is not kept. Nothing
 * here logs a password.
 */
#include "auth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "acl.h"
#include "core/fingerprint.h"
#include "logging.h"
#include "plugin.h"

#define FP_LOG_PREFIX 16 /* hex digits of a fingerprint shown in logs */

static int sha256(const void *data, size_t len, unsigned char out[32])
{
	unsigned int outlen = 0;

	if (EVP_Digest(data, len, out, &outlen, EVP_sha256(), NULL) != 1 || outlen != 32)
		return -EIO;
	return 0;
}

int ck_plugin_auth_load_secret(struct ck_plugin *p, const char *path)
{
	char buf[CK_PLUGIN_SECRET_MAX + 1];
	size_t len = 0;
	int rc = 0;

	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < sizeof(buf)) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (!rc && len > CK_PLUGIN_SECRET_MAX)
		rc = -E2BIG;
	while (!rc && len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (!rc && len == 0)
		rc = -EINVAL;
	unsigned char digest[32];
	if (!rc)
		rc = sha256(buf, len, digest);
	OPENSSL_cleanse(buf, sizeof(buf));
	if (!rc) {
		memcpy(p->secret_digest, digest, sizeof(digest));
		OPENSSL_cleanse(digest, sizeof(digest));
	}
	return rc;
}

static int account_auth(struct ck_plugin *p, const char *username, const char *password)
{
	char userbuf[CK_PLUGIN_LOG_FIELD_MAX + 4];
	unsigned char digest[32];

	if (!username || strcmp(username, CK_PLUGIN_ACCOUNT) != 0) {
		ck_plugin_log(MOSQ_LOG_INFO,
		              "refused connection without certificate: username %s is not %s",
		              ck_plugin_printable(username, userbuf), CK_PLUGIN_ACCOUNT);
		return MOSQ_ERR_AUTH;
	}
	if (!password) {
		ck_plugin_log(MOSQ_LOG_INFO, "refused %s login: no password", CK_PLUGIN_ACCOUNT);
		return MOSQ_ERR_AUTH;
	}
	if (sha256(password, strlen(password), digest) != 0)
		return MOSQ_ERR_AUTH;
	bool ok = CRYPTO_memcmp(digest, p->secret_digest, sizeof(digest)) == 0;
	OPENSSL_cleanse(digest, sizeof(digest));
	if (!ok) {
		ck_plugin_log(MOSQ_LOG_INFO, "refused %s login: wrong password", CK_PLUGIN_ACCOUNT);
		return MOSQ_ERR_AUTH;
	}
	return MOSQ_ERR_SUCCESS;
}

/* The subject common name of cert into buf (empty when it has none or it
 * does not fit). */
static void subject_cn(X509 *cert, char *buf, size_t len)
{
	X509_NAME *subject = X509_get_subject_name(cert);
	int n = subject ? X509_NAME_get_text_by_NID(subject, NID_commonName, buf, (int)len) : -1;

	if (n < 0 || (size_t)n >= len - 1 || strlen(buf) != (size_t)n)
		buf[0] = '\0';
}

/* Returns NULL when the certificate may connect as id, else the reason
 * (written to why when it comes from the policies). */
static const char *cert_refusal(const struct ck_plugin_cert *c, const char *id,
                                const char *username, const char *cn, char *why, size_t len)
{
	struct ck_policy_decision d;

	if (!c)
		return "certificate not registered";
	if (c->status != CK_PLUGIN_CERT_ACTIVE)
		return ck_plugin_cert_status_name(c->status);
	if (username && strcmp(username, CK_PLUGIN_ACCOUNT) == 0)
		return "username reserved for the local account";
	if (!id || !id[0])
		return "empty client id";
	if (strlen(id) > CK_PLUGIN_CLIENT_ID_MAX)
		return "client id longer than 128 bytes";
	if (!ck_plugin_acl_allows(c, id, cn, CK_POLICY_CONNECT, "client", id, &d)) {
		char reason[CK_POLICY_NAME_MAX + 64];
		snprintf(why, len, "iot:Connect denied: %s",
		         ck_plugin_acl_reason(c, &d, reason, sizeof(reason)));
		return why;
	}
	return NULL;
}

static int cert_auth(struct ck_plugin *p, struct mosquitto *client, X509 *cert,
                     const char *username)
{
	char fp[CK_FINGERPRINT_LEN + 1];
	char idbuf[CK_PLUGIN_LOG_FIELD_MAX + 4];
	char cn[CK_PLUGIN_CN_MAX + 2];
	char why[CK_POLICY_NAME_MAX + 96];
	unsigned char raw[32];
	const char *id = mosquitto_client_id(client);

	if (ck_fingerprint_x509(cert, fp) != 0 || ck_plugin_fp_decode(fp, strlen(fp), raw) != 0) {
		ck_plugin_log(MOSQ_LOG_INFO,
		              "refused client %s: cannot fingerprint its certificate",
		              ck_plugin_printable(id, idbuf));
		return MOSQ_ERR_AUTH;
	}
	subject_cn(cert, cn, sizeof(cn));
	ck_plugin_snapshot_refresh(&p->snapshot);
	const struct ck_plugin_cert *c = ck_plugin_registry_find(&p->snapshot.reg, raw);
	const char *reason = cert_refusal(c, id, username, cn, why, sizeof(why));
	if (reason) {
		ck_plugin_log(MOSQ_LOG_INFO, "refused certificate %.*s... for client %s: %s",
		              FP_LOG_PREFIX, fp, ck_plugin_printable(id, idbuf), reason);
		return MOSQ_ERR_AUTH;
	}
	int rc = ck_plugin_clients_put(&p->clients, client, id, raw, cn);
	if (rc) {
		ck_plugin_log(MOSQ_LOG_ERR, "cannot track client %s (%s); closing its connection",
		              ck_plugin_printable(id, idbuf), strerror(-rc));
		return MOSQ_ERR_NOMEM;
	}
	/* On SIGHUP (clickd's CRL or CA bundle changed) mosquitto disconnects
	 * every client without a username when anonymous access is off; a
	 * certificate client gets one that can never be the local account's. */
	if (!username) {
		char user[8 + FP_LOG_PREFIX];
		snprintf(user, sizeof(user), "cert:%.*s", FP_LOG_PREFIX, fp);
		if (mosquitto_set_username(client, user) != MOSQ_ERR_SUCCESS)
			return MOSQ_ERR_NOMEM;
	}
	return MOSQ_ERR_SUCCESS;
}

int ck_plugin_on_basic_auth(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_basic_auth *ev = event_data;
	struct ck_plugin *p = userdata;

	(void)event;
	/* A handle may be reused after a client we never saw disconnect. */
	ck_plugin_clients_remove(&p->clients, ev->client);
	X509 *cert = mosquitto_client_certificate(ev->client);
	if (!cert)
		return account_auth(p, ev->username, ev->password);
	int rc = cert_auth(p, ev->client, cert, ev->username);
	X509_free(cert);
	return rc;
}

int ck_plugin_on_disconnect(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_disconnect *ev = event_data;
	struct ck_plugin *p = userdata;

	(void)event;
	ck_plugin_clients_remove(&p->clients, ev->client);
	return MOSQ_ERR_SUCCESS;
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A connected client stays while its certificate is active and its
 * policies still allow it to connect with its client id. */
static bool still_allowed(const struct ck_plugin *p, const struct ck_plugin_client *c)
{
	const struct ck_plugin_cert *rec = ck_plugin_registry_find(&p->snapshot.reg, c->fp);

	return ck_plugin_acl_allows(rec, c->client_id, c->cn, CK_POLICY_CONNECT, "client",
	                            c->client_id, NULL);
}

/*
 * Kicks the clients the current registry no longer allows. Kicking runs
 * mosquitto's disconnect path, which calls back into ck_plugin_on_disconnect
 * and changes the map, so the ids are copied out first. Returns 0, or
 * -ENOMEM when the list could not be built (the sweep is then retried).
 */
static int sweep(struct ck_plugin *p)
{
	size_t n = 0;
	char(*ids)[CK_PLUGIN_CLIENT_ID_MAX + 1] = NULL;

	for (size_t i = 0; i < p->clients.nslots; i++) {
		struct ck_plugin_client *c = &p->clients.slots[i];
		if (c->key && !c->kicked && !still_allowed(p, c))
			n++;
	}
	if (!n)
		return 0;
	ids = calloc(n, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < p->clients.nslots && k < n; i++) {
		struct ck_plugin_client *c = &p->clients.slots[i];
		if (!c->key || c->kicked || still_allowed(p, c))
			continue;
		c->kicked = true;
		memcpy(ids[k++], c->client_id, sizeof(ids[0]));
	}
	for (size_t i = 0; i < k; i++) {
		ck_plugin_log(MOSQ_LOG_NOTICE,
		              "disconnecting client %s: its certificate is no longer active or its "
		              "policies no longer allow it to connect",
		              ids[i]);
		mosquitto_kick_client_by_clientid(ids[i], false);
	}
	free(ids);
	return 0;
}

int ck_plugin_on_tick(int event, void *event_data, void *userdata)
{
	struct ck_plugin *p = userdata;

	(void)event;
	(void)event_data;
	int64_t now = monotonic_ms();
	if (now < p->next_check_ms)
		return MOSQ_ERR_SUCCESS;
	p->next_check_ms = now + CK_PLUGIN_TICK_CHECK_MS;
	ck_plugin_snapshot_refresh(&p->snapshot);
	/* A reload during authentication also counts: compare generations,
	 * not the result of this refresh. */
	if (p->swept_generation == p->snapshot.generation)
		return MOSQ_ERR_SUCCESS;
	if (sweep(p) == 0)
		p->swept_generation = p->snapshot.generation;
	return MOSQ_ERR_SUCCESS;
}

int ck_plugin_on_reload(int event, void *event_data, void *userdata)
{
	struct ck_plugin *p = userdata;

	(void)event;
	(void)event_data;
	int rc = ck_plugin_auth_load_secret(p, p->secret_path);
	if (rc)
		ck_plugin_log(MOSQ_LOG_WARNING,
		              "cannot reload %s: %s; keeping the previous password", p->secret_path,
		              strerror(-rc));
	ck_plugin_snapshot_refresh(&p->snapshot);
	return MOSQ_ERR_PLUGIN_DEFER;
}
