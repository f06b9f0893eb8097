/*
 * Provisioning by claim (see claim.h). One MQTT 5 session over mutual TLS
 * with the claim certificate, driven from this thread like publish.c's:
 * connect, subscribe to the four reply topics, publish the certificate
 * request, then the provision request with the token the first reply
 * carried. A request that got no reply is sent again every few seconds
 * (clickd's provisioner may still be subscribing, as AWS devices expect);
 * the first reply to an operation decides it. The callbacks record, the
 * loop acts. The new device directory is installed by ck_click_install
 * into a temporary sibling and renamed into place, so it appears complete
 * or not at all.
 */
#include "clickbtn/claim.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "clickbtn/config.h"
#include "clickbtn/deadline.h"
#include "clickbtn/provision.h"
#include "clickbtn/publish.h"
#include "clickbtn/tls.h"
#include "core/name.h"
#include "device/provmsg.h"

#define KEEPALIVE_S    60
#define LOOP_MAX_MS    250
#define RETRY_MS       2000
#define ALARM_GRACE_MS 200
#define CA_MAX         (256 * 1024)

enum stage { ST_CONNECTING, ST_SUBSCRIBING, ST_CSR, ST_PROVISION, ST_DONE };

struct session {
	const struct ck_click_claim *c;
	const char *host;
	int port;
	enum stage stage;
	int exit_code;
	char *msg;
	size_t msg_len;
	int sub_mid;
	bool send;         /* the loop must (re)send the current request */
	int64_t retry_at;  /* when to send it again without a reply */
	int pub_mid;       /* the request's mid, for its PUBACK */
	bool lost;         /* on_disconnect seen */
	int disconnect;    /* its reason */
	char tls_err[200]; /* first OpenSSL error libmosquitto logged */
	struct ck_click_tls_report tls;
	char *csr_request;  /* owned JSON */
	char *prov_request; /* owned JSON, once the token is known */
	char *cert_pem;     /* owned: the issued certificate */
	char thing[129];
	char topics[4][CK_PROVMSG_TOPIC_MAX];
};

__attribute__((format(printf, 4, 5))) static int fail(int rc, char *why, size_t why_len,
                                                      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
	return rc;
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
	if (!s->c->verbose)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("clickbtn: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- the key and the certificate request ---- */

/* Copies a memory BIO's content into a new NUL-terminated string. */
static char *bio_string(BIO *b)
{
	char *data = NULL;
	long n = BIO_get_mem_data(b, &data);
	if (n <= 0 || !data)
		return NULL;
	char *s = malloc((size_t)n + 1);
	if (s) {
		memcpy(s, data, (size_t)n);
		s[n] = '\0';
	}
	return s;
}

/* A new P-256 key (PKCS#8 PEM in *key_pem) and a CSR for it with common
 * name cn (PEM in *csr_pem). Returns 0 or -EIO / -ENOMEM. */
static int make_key_and_csr(const char *cn, char **key_pem, char **csr_pem)
{
	EVP_PKEY *pkey = EVP_EC_gen("P-256");
	X509_REQ *req = X509_REQ_new();
	BIO *kb = BIO_new(BIO_s_secmem());
	BIO *cb = BIO_new(BIO_s_mem());
	int rc = -EIO;

	*key_pem = *csr_pem = NULL;
	if (!pkey || !req || !kb || !cb)
		goto out;
	X509_NAME *name = X509_REQ_get_subject_name(req);
	if (X509_REQ_set_version(req, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
	                               0) != 1 ||
	    X509_REQ_set_pubkey(req, pkey) != 1 || X509_REQ_sign(req, pkey, EVP_sha256()) <= 0)
		goto out;
	if (PEM_write_bio_PrivateKey(kb, pkey, NULL, NULL, 0, NULL, NULL) != 1 ||
	    PEM_write_bio_X509_REQ(cb, req) != 1)
		goto out;
	*key_pem = bio_string(kb);
	*csr_pem = bio_string(cb);
	rc = *key_pem && *csr_pem ? 0 : -ENOMEM;
out:
	if (rc != 0) {
		if (*key_pem)
			explicit_bzero(*key_pem, strlen(*key_pem));
		free(*key_pem);
		free(*csr_pem);
		*key_pem = *csr_pem = NULL;
	}
	BIO_free(kb);
	BIO_free(cb);
	X509_REQ_free(req);
	EVP_PKEY_free(pkey);
	ERR_clear_error();
	return rc;
}

/* ---- the MQTT session ---- */

static void on_connect(struct mosquitto *mosq, void *obj, int rc, int flags,
                       const mosquitto_property *props)
{
	struct session *s = obj;
	(void)mosq;
	(void)flags;
	(void)props;
	if (rc != MQTT_RC_SUCCESS) {
		finish(s, CK_CLICK_EXIT_REFUSED,
		       "connection refused by the broker: CONNACK reason 0x%02x (%s); is the "
		       "claim certificate registered and active?",
		       rc, mosquitto_reason_string(rc));
		return;
	}
	verbose(s, "connected as %s", s->c->serial);
	s->stage = ST_SUBSCRIBING;
	s->send = true;
}

static void on_subscribe(struct mosquitto *mosq, void *obj, int mid, int n, const int *granted,
                         const mosquitto_property *props)
{
	struct session *s = obj;
	(void)mosq;
	(void)props;
	if (s->stage != ST_SUBSCRIBING || mid != s->sub_mid)
		return;
	for (int i = 0; i < n; i++) {
		if (granted[i] >= 0x80) {
			finish(s, CK_CLICK_EXIT_REJECTED,
			       "the broker refused the subscription to %s (reason 0x%02x, %s); "
			       "does the claim's policy cover template %s?",
			       i < 4 ? s->topics[i] : "a reply topic", granted[i],
			       mosquitto_reason_string(granted[i]), s->c->template_name);
			return;
		}
	}
	verbose(s, "subscribed to the reply topics");
	s->stage = ST_CSR;
	s->send = true;
}

static void on_publish(struct mosquitto *mosq, void *obj, int mid, int rc,
                       const mosquitto_property *props)
{
	struct session *s = obj;
	(void)mosq;
	(void)props;
	if (mid != s->pub_mid || rc < 0x80 || s->stage == ST_DONE)
		return;
	finish(s, CK_CLICK_EXIT_REJECTED,
	       "the broker refused the %s request: PUBACK reason 0x%02x (%s); does the claim's "
	       "policy cover template %s?",
	       s->stage == ST_CSR ? "certificate" : "provision", rc, mosquitto_reason_string(rc),
	       s->c->template_name);
}

static void rejected(struct session *s, const char *what, const struct ck_provmsg_reply *r)
{
	char detail[96] = "";
	if (r->error_code[0] && r->status_code)
		snprintf(detail, sizeof(detail), " (%s, %d)", r->error_code, r->status_code);
	else if (r->error_code[0])
		snprintf(detail, sizeof(detail), " (%s)", r->error_code);
	finish(s, CK_CLICK_EXIT_REJECTED, "%s rejected: %s%s", what,
	       r->error_message[0] ? r->error_message : "no reason given", detail);
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *m,
                       const mosquitto_property *props)
{
	struct session *s = obj;
	struct ck_provmsg_reply r;
	enum ck_provmsg_op op;
	bool accepted;
	char why[256];
	(void)mosq;
	(void)props;
	if (ck_provmsg_classify(m->topic, s->c->template_name, &op, &accepted) != 0)
		return;
	/* The first reply to the current operation decides it; replies to
	 * earlier attempts arrive later and are ignored. */
	if ((op == CK_PROVMSG_OP_CSR && s->stage != ST_CSR) ||
	    (op == CK_PROVMSG_OP_PROVISION && s->stage != ST_PROVISION))
		return;
	if (ck_provmsg_reply_parse(op, accepted, m->payload,
	                           (size_t)(m->payloadlen < 0 ? 0 : m->payloadlen), &r, why,
	                           sizeof(why)) != 0) {
		finish(s, CK_CLICK_EXIT_REJECTED, "unusable reply on %s: %s", m->topic, why);
		ck_provmsg_reply_cleanup(&r);
		return;
	}
	if (!accepted) {
		rejected(
		    s, op == CK_PROVMSG_OP_CSR ? "the certificate request was" : "provisioning was",
		    &r);
	} else if (op == CK_PROVMSG_OP_CSR) {
		const char *keys[CK_PROVMSG_PARAMS_MAX], *values[CK_PROVMSG_PARAMS_MAX];
		size_t n = 0;
		keys[n] = "SerialNumber";
		values[n++] = s->c->serial;
		for (size_t i = 0; i < s->c->n_params && n < CK_PROVMSG_PARAMS_MAX; i++) {
			keys[n] = s->c->param_keys[i];
			values[n++] = s->c->param_values[i];
		}
		s->prov_request =
		    ck_provmsg_provision_request(r.token, keys, values, n, why, sizeof(why));
		explicit_bzero(r.token, sizeof(r.token));
		if (!s->prov_request) {
			finish(s, CK_CLICK_EXIT_CONFIG, "cannot build the provision request: %s",
			       why);
		} else {
			verbose(s, "certificate %s issued", r.certificate_id);
			s->cert_pem = r.certificate_pem;
			r.certificate_pem = NULL;
			s->stage = ST_PROVISION;
			s->send = true;
		}
	} else {
		verbose(s, "provisioned as thing %s", r.thing_name);
		memcpy(s->thing, r.thing_name, sizeof(s->thing));
		finish(s, CK_CLICK_EXIT_OK, "provisioned");
	}
	ck_provmsg_reply_cleanup(&r);
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
		const char *text = strrchr(str, ':');
		snprintf(s->tls_err, sizeof(s->tls_err), "%s", text ? text + 1 : str);
	}
	if (s->c->verbose && level != MOSQ_LOG_DEBUG)
		fprintf(stderr, "clickbtn: mosquitto: %s\n", str);
}

/* A failure before CONNACK: TLS when the TLS layer said anything, else the
 * network. */
static int before_connack(struct session *s, int rc, int err)
{
	const struct ck_click_tls_report *t = &s->tls;
	if (t->verify_error != X509_V_OK)
		return finish(s, CK_CLICK_EXIT_TLS,
		              "TLS failure: the broker's certificate was rejected (%s); check "
		              "the claim's CA file and the endpoint %s",
		              X509_verify_cert_error_string(t->verify_error), s->host);
	if (t->alert_received)
		return finish(s, CK_CLICK_EXIT_TLS,
		              "TLS failure: the broker sent alert \"%s\"; it most likely "
		              "rejected the claim certificate",
		              t->alert);
	if (t->handshake_done)
		return finish(s, CK_CLICK_EXIT_TLS,
		              "TLS failure: the broker closed the connection right after the "
		              "handshake; it most likely rejected the claim certificate");
	if (rc == MOSQ_ERR_TLS || s->tls_err[0] || (rc == MOSQ_ERR_ERRNO && err == EPROTO))
		return finish(s, CK_CLICK_EXIT_TLS, "TLS failure with %s:%d: %s", s->host, s->port,
		              s->tls_err[0] ? s->tls_err : "handshake failed");
	if (rc == MOSQ_ERR_EAI)
		return finish(s, CK_CLICK_EXIT_NETWORK, "cannot resolve %s: %s", s->host,
		              gai_strerror(err));
	if (rc == MOSQ_ERR_ERRNO && err != 0)
		return finish(s, CK_CLICK_EXIT_NETWORK, "cannot connect to %s:%d: %s", s->host,
		              s->port, strerror(err));
	return finish(s, CK_CLICK_EXIT_NETWORK, "cannot connect to %s:%d: %s", s->host, s->port,
	              mosquitto_strerror(rc));
}

static int connection_ended(struct session *s, int rc, int err)
{
	if (s->lost && s->disconnect >= 0x80)
		return finish(
		    s, s->stage == ST_CONNECTING ? CK_CLICK_EXIT_REFUSED : CK_CLICK_EXIT_REJECTED,
		    "the broker closed the connection: DISCONNECT reason 0x%02x (%s)",
		    s->disconnect, mosquitto_reason_string(s->disconnect));
	if (s->stage == ST_CONNECTING)
		return before_connack(s, rc, err);
	return finish(s, CK_CLICK_EXIT_NETWORK, "connection to %s:%d lost during provisioning",
	              s->host, s->port);
}

/* Sends what the stage needs: the subscription, or the current request. */
static void send_step(struct session *s, struct mosquitto *mosq)
{
	int rc = MOSQ_ERR_SUCCESS;
	s->send = false;
	if (s->stage == ST_SUBSCRIBING) {
		char *subs[4] = { s->topics[0], s->topics[1], s->topics[2], s->topics[3] };
		rc = mosquitto_subscribe_multiple(mosq, &s->sub_mid, 4, subs, 1, 0, NULL);
	} else if (s->stage == ST_CSR || s->stage == ST_PROVISION) {
		const char *payload = s->stage == ST_CSR ? s->csr_request : s->prov_request;
		char topic[CK_PROVMSG_TOPIC_MAX];
		ck_provmsg_topic(s->stage == ST_CSR ? CK_PROVMSG_OP_CSR : CK_PROVMSG_OP_PROVISION,
		                 s->c->template_name, NULL, topic, sizeof(topic));
		rc = mosquitto_publish_v5(mosq, &s->pub_mid, topic, (int)strlen(payload), payload,
		                          1, false, NULL);
		s->retry_at = ck_click_now_ms() + RETRY_MS;
		verbose(s, "sent the %s request on %s",
		        s->stage == ST_CSR ? "certificate" : "provision", topic);
	}
	if (rc != MOSQ_ERR_SUCCESS)
		connection_ended(s, rc, errno);
}

static int run_session(struct session *s, struct mosquitto *mosq, int64_t deadline)
{
	errno = 0;
	int rc = mosquitto_connect_bind_v5(mosq, s->host, s->port, KEEPALIVE_S, NULL, NULL);
	if (rc != MOSQ_ERR_SUCCESS)
		return before_connack(s, rc, errno);
	while (s->stage != ST_DONE) {
		int64_t now = ck_click_now_ms();
		int64_t left = deadline - now;
		if (left <= 0) {
			static const char *const waiting[] = { "the TLS handshake or CONNACK",
				                               "the subscription",
				                               "a reply to the certificate request",
				                               "a reply to the provision request" };
			return finish(s, CK_CLICK_EXIT_TIMEOUT,
			              "timed out after %g s waiting for %s", s->c->timeout_s,
			              waiting[s->stage]);
		}
		if ((s->stage == ST_CSR || s->stage == ST_PROVISION) && now >= s->retry_at)
			s->send = true;
		if (s->send) {
			send_step(s, mosq);
			continue;
		}
		errno = 0;
		rc = mosquitto_loop(mosq, (int)(left < LOOP_MAX_MS ? left : LOOP_MAX_MS), 1);
		int err = errno;
		if (s->stage == ST_DONE)
			break;
		if (rc != MOSQ_ERR_SUCCESS || s->lost)
			return connection_ended(s, rc, err);
	}
	return s->exit_code;
}

/* ---- files ---- */

static char *read_text(const char *path, size_t max, char *why, size_t why_len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fail(0, why, why_len, "%s: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = malloc(max + 1);
	size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
	fclose(f);
	if (!buf || n > max) {
		free(buf);
		fail(0, why, why_len, "%s: larger than %zu bytes", path, max);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* The output directory: given, or the claim directory's sibling named
 * after the serial. Refuses one that exists and is not an empty directory. */
static int out_path(const struct ck_click_claim *c, char *out, size_t cap, char *why,
                    size_t why_len)
{
	int n;
	if (c->out_dir && c->out_dir[0]) {
		n = snprintf(out, cap, "%s", c->out_dir);
	} else {
		char tmp[PATH_MAX];
		snprintf(tmp, sizeof(tmp), "%s", c->claim_dir);
		size_t l = strlen(tmp);
		while (l > 1 && tmp[l - 1] == '/')
			tmp[--l] = '\0';
		n = snprintf(out, cap, "%s/%s", dirname(tmp), c->serial);
	}
	if (n < 0 || (size_t)n >= cap)
		return fail(-ENAMETOOLONG, why, why_len, "the output directory's name is too long");
	struct stat st;
	if (stat(out, &st) != 0)
		return errno == ENOENT ? 0
		                       : fail(-errno, why, why_len, "%s: %s", out, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail(-EEXIST, why, why_len, "%s exists and is not a directory", out);
	/* An empty directory is replaced by the rename that installs. */
	DIR *d = opendir(out);
	if (!d)
		return fail(-errno, why, why_len, "%s: %s", out, strerror(errno));
	bool empty = true;
	for (struct dirent *e = readdir(d); e && empty; e = readdir(d))
		empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
	closedir(d);
	if (empty)
		return 0;
	return fail(-EEXIST, why, why_len,
	            "%s exists and is not empty; give another --config or remove it", out);
}

/* Installs the device into a temporary sibling of dir and renames it into
 * place. */
static int install(const char *dir, const struct ck_click_config *claim, const char *thing,
                   const char *cert_pem, const char *key_pem, const char *ca_pem, char *why,
                   size_t why_len)
{
	char tmp[PATH_MAX], parent[PATH_MAX], base[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s", dir);
	snprintf(base, sizeof(base), "%s", dir);
	const char *pdir = dirname(parent);
	const char *bname = basename(base);
	int n = snprintf(tmp, sizeof(tmp), "%s/.%s.tmp.%ld", pdir, bname, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return fail(-ENAMETOOLONG, why, why_len, "%s: name too long", dir);
	struct ck_click_install in = {
		.endpoint = claim->conf.endpoint,
		.port = claim->conf.port,
		.thing = thing,
		.cert_pem = cert_pem,
		.key_pem = key_pem,
		.ca_pem = ca_pem,
	};
	int rc = ck_click_install(tmp, &in, why, why_len);
	if (rc == 0 && rename(tmp, dir) != 0)
		rc = fail(-errno, why, why_len,
		          "cannot move the new device into %s: %s (it is complete in %s)", dir,
		          strerror(errno), tmp);
	if (rc == 0) {
		int pfd = open(pdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pfd >= 0) {
			fsync(pfd);
			close(pfd);
		}
	}
	return rc;
}

int ck_click_claim_run(const struct ck_click_claim *c, char *thing, size_t thing_cap, char *dir,
                       size_t dir_cap, char *why, size_t why_len)
{
	struct ck_click_config cfg;
	char *key_pem = NULL, *csr_pem = NULL, *ca_pem = NULL;
	struct mosquitto *mosq = NULL;
	int64_t deadline = ck_click_now_ms() + (int64_t)(c->timeout_s * 1000.0 + 0.5);
	struct session s = {
		.c = c,
		.stage = ST_CONNECTING,
		.exit_code = CK_CLICK_EXIT_NETWORK,
		.msg = why,
		.msg_len = why_len,
		.sub_mid = -1,
		.pub_mid = -1,
	};
	why[0] = '\0';
	thing[0] = '\0';

	if (!ck_provmsg_template_valid(c->template_name))
		return fail(CK_CLICK_EXIT_USAGE, why, why_len,
		            "--template wants 1 to 128 of A-Z a-z 0-9 _ -, not \"%.140s\"",
		            c->template_name);
	if (!ck_name_valid(c->serial))
		return fail(CK_CLICK_EXIT_USAGE, why, why_len,
		            "--serial wants 1 to 128 of A-Z a-z 0-9 _ - :, not \"%.140s\"",
		            c->serial);
	if (ck_click_config_load(c->claim_dir, &cfg, why, why_len) != 0)
		return CK_CLICK_EXIT_CONFIG;
	if (out_path(c, dir, dir_cap, why, why_len) != 0)
		return CK_CLICK_EXIT_CONFIG;
	ca_pem = read_text(cfg.ca, CA_MAX, why, why_len);
	if (!ca_pem)
		return CK_CLICK_EXIT_CONFIG;
	if (c->n_params > CK_PROVMSG_PARAMS_MAX - 1) {
		free(ca_pem);
		return fail(CK_CLICK_EXIT_USAGE, why, why_len, "at most %d --attr",
		            CK_PROVMSG_PARAMS_MAX - 1);
	}
	s.host = cfg.conf.endpoint;
	s.port = cfg.conf.port;
	mosquitto_lib_init();
	int rc =
	    ck_provmsg_topic(CK_PROVMSG_OP_CSR, NULL, "accepted", s.topics[0], sizeof(s.topics[0]));
	if (rc == 0)
		rc = ck_provmsg_topic(CK_PROVMSG_OP_CSR, NULL, "rejected", s.topics[1],
		                      sizeof(s.topics[1]));
	if (rc == 0)
		rc = ck_provmsg_topic(CK_PROVMSG_OP_PROVISION, c->template_name, "accepted",
		                      s.topics[2], sizeof(s.topics[2]));
	if (rc == 0)
		rc = ck_provmsg_topic(CK_PROVMSG_OP_PROVISION, c->template_name, "rejected",
		                      s.topics[3], sizeof(s.topics[3]));
	if (rc == 0)
		rc = make_key_and_csr(c->serial, &key_pem, &csr_pem);
	if (rc == 0)
		s.csr_request = ck_provmsg_csr_request(csr_pem);
	if (rc != 0 || !s.csr_request) {
		fail(0, why, why_len, "cannot make the key and the certificate request");
		s.exit_code = CK_CLICK_EXIT_CONFIG;
		goto out;
	}
	verbose(&s, "new P-256 key and certificate request for %s", c->serial);

	mosq = mosquitto_new(c->serial, true, &s);
	if (!mosq) {
		finish(&s, CK_CLICK_EXIT_CONFIG, "cannot create the MQTT client: %s",
		       strerror(errno));
		goto out;
	}
	mosquitto_connect_v5_callback_set(mosq, on_connect);
	mosquitto_subscribe_v5_callback_set(mosq, on_subscribe);
	mosquitto_publish_v5_callback_set(mosq, on_publish);
	mosquitto_message_v5_callback_set(mosq, on_message);
	mosquitto_disconnect_v5_callback_set(mosq, on_disconnect);
	mosquitto_log_callback_set(mosq, on_log);
	char tls_why[512];
	SSL_CTX *ctx =
	    ck_click_tls_ctx(cfg.ca, cfg.cert, cfg.key, s.host, &s.tls, tls_why, sizeof(tls_why));
	if (!ctx) {
		finish(&s, CK_CLICK_EXIT_CONFIG, "%s", tls_why);
		goto out;
	}
	rc = mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
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
	verbose(&s, "connecting to %s:%d with the claim certificate", s.host, s.port);
	ck_deadline_arm(deadline - ck_click_now_ms() + ALARM_GRACE_MS, c->timeout_s, s.host,
	                s.port);
	run_session(&s, mosq, deadline);
	ck_deadline_disarm();
	if (s.exit_code == CK_CLICK_EXIT_OK) {
		mosquitto_disconnect_v5(mosq, MQTT_RC_NORMAL_DISCONNECTION, NULL);
		if (install(dir, &cfg, s.thing, s.cert_pem, key_pem, ca_pem, why, why_len) != 0)
			s.exit_code = CK_CLICK_EXIT_CONFIG;
		else
			snprintf(thing, thing_cap, "%s", s.thing);
	}
out:
	if (mosq)
		mosquitto_destroy(mosq);
	mosquitto_lib_cleanup();
	if (key_pem) {
		explicit_bzero(key_pem, strlen(key_pem));
		free(key_pem);
	}
	free(csr_pem);
	free(ca_pem);
	free(s.csr_request);
	if (s.prov_request) {
		explicit_bzero(s.prov_request, strlen(s.prov_request));
		free(s.prov_request);
	}
	free(s.cert_pem);
	return s.exit_code;
}
