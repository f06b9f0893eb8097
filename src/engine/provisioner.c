/*
 * The provisioning-by-claim service (see provisioner.h). All work happens
 * on the provisioner's own thread, one request at a time; each request's
 * store changes are one transaction.
 */
#include "engine/provisioner.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>
#include <openssl/rand.h>

#include "core/log.h"
#include "core/name.h"
#include "engine/provreq.h"
#include "registry/ca.h"
#include "registry/pki.h"
#include "registry/snapshot.h"
#include "store/store_claims.h"
#include "store/store_policies.h"
#include "store/store_registry.h"

#define RELAY_TOPIC  "$clickd/provision"
#define REPLY_TOPIC  "$clickd/reply"
#define HOOK_OUT_MAX 4096

extern char **environ;

struct ck_provisioner {
	struct mosquitto *mosq;
	struct ck_store *store;
	char *ca_dir, *snapshot_path, *host;
	int port;
	pthread_t thread;
	bool started;
	atomic_bool stop;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Publishes body to client on the request topic + suffix, via the plugin. */
static void reply(struct ck_provisioner *p, const struct ck_provreq *r, bool accepted, cJSON *body)
{
	char *text = cJSON_PrintUnformatted(body);
	if (!text)
		return;
	size_t n = strlen(r->client_id) + strlen(r->topic) + strlen(text) + 16;
	char *frame = malloc(n);
	if (frame) {
		int len = snprintf(frame, n, "%s\n%s/%s\n%s", r->client_id, r->topic,
		                   accepted ? "accepted" : "rejected", text);
		int rc = mosquitto_publish(p->mosq, NULL, REPLY_TOPIC, len, frame, 1, false);
		if (rc != MOSQ_ERR_SUCCESS)
			ck_warn("provision", "cannot answer %s: %s", r->client_id,
			        mosquitto_strerror(rc));
	}
	free(frame);
	explicit_bzero(text, strlen(text));
	cJSON_free(text);
}

/* Answers on .../rejected as AWS does, logs the use, and returns 0. */
static int reject(struct ck_provisioner *p, const struct ck_provreq *r, int status,
                  const char *code, const char *reason, const char *serial)
{
	cJSON *o = cJSON_CreateObject();
	if (o) {
		cJSON_AddNumberToObject(o, "statusCode", status);
		cJSON_AddStringToObject(o, "errorCode", code);
		cJSON_AddStringToObject(o, "errorMessage", reason);
		reply(p, r, false, o);
		cJSON_Delete(o);
	}
	struct ck_claim_use u = {
		.at_ms = now_ms(),
		.claim_thing = r->thing,
		.client_id = r->client_id,
		.operation = r->kind == CK_PROVREQ_CSR ? "create-from-csr" : "provision",
		.template_name = r->template_name[0] ? r->template_name : NULL,
		.serial = serial,
		.outcome = "rejected",
		.reason = reason,
	};
	ck_store_claim_log_put(p->store, &u);
	ck_info("provision", "claim %s, client %s: %s rejected: %s", r->thing, r->client_id,
	        u.operation, reason);
	return 0;
}

/* The claim's template, or NULL when the thing is not a claim. */
static const char *claim_template(const struct ck_thing *t)
{
	const cJSON *tpl =
	    cJSON_GetObjectItemCaseSensitive(t->attributes, CK_PROVISIONER_TEMPLATE_ATTR);
	if (strcmp(t->type, CK_PROVISIONER_CLAIM_TYPE) != 0 || !cJSON_IsString(tpl))
		return NULL;
	return tpl->valuestring;
}

static void random_hex(char *out, size_t bytes)
{
	unsigned char b[64];
	static const char hex[] = "0123456789abcdef";
	if (bytes > sizeof(b) || RAND_bytes(b, (int)bytes) != 1) {
		out[0] = '\0';
		return;
	}
	for (size_t i = 0; i < bytes; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * bytes] = '\0';
	explicit_bzero(b, sizeof(b));
}

static int create_from_csr(struct ck_provisioner *p, const struct ck_provreq *r)
{
	char err[256], fp[CK_FINGERPRINT_LEN + 1], serial[CK_CA_SERIAL_HEX_MAX + 1], token[65];
	char *cert = NULL;
	struct ck_ca *ca = NULL;
	if (!ck_name_valid(r->client_id))
		return reject(p, r, 400, "InvalidClientId",
		              "the client id must be 1 to 128 of A-Z a-z 0-9 : _ -", NULL);
	if (ck_pki_csr_check(r->csr, strlen(r->csr), err, sizeof(err)) != 0)
		return reject(p, r, 400, "InvalidCsr", err, NULL);
	int rc = ck_ca_open(p->ca_dir, &ca, err, sizeof(err));
	if (rc == 0)
		rc = ck_ca_issue_csr(ca, r->client_id, r->csr, &cert, fp, serial, err, sizeof(err));
	if (rc != 0) {
		ck_error("provision", "cannot issue a certificate for %s: %s", r->client_id, err);
		ck_ca_free(ca);
		return reject(p, r, 500, "InternalFailure", "cannot issue the certificate", NULL);
	}
	random_hex(token, 32);
	struct ck_claim_use u = {
		.at_ms = now_ms(),
		.claim_thing = r->thing,
		.client_id = r->client_id,
		.operation = "create-from-csr",
		.fingerprint = fp,
		.outcome = "accepted",
	};
	/* Inactive and attached to nothing until provision succeeds. */
	rc = ck_store_begin(p->store);
	if (rc == 0)
		rc = ck_store_cert_put(p->store, fp, NULL, cert, "inactive", u.at_ms);
	if (rc == 0)
		rc = ck_store_cert_set_origin(p->store, fp, serial[0] ? serial : NULL,
		                              ck_ca_fingerprint(ca));
	if (rc == 0)
		rc = token[0] ? ck_store_token_put(p->store, token, fp,
		                                   u.at_ms + CK_PROVISIONER_TOKEN_MS)
		              : -EIO;
	if (rc == 0)
		rc = ck_store_claim_log_put(p->store, &u);
	if (rc == 0)
		rc = ck_store_commit(p->store);
	else
		ck_store_rollback(p->store);
	ck_ca_free(ca);
	if (rc != 0) {
		free(cert);
		return reject(p, r, 500, "InternalFailure", "the store refused the certificate",
		              NULL);
	}
	cJSON *o = cJSON_CreateObject();
	if (o) {
		cJSON_AddStringToObject(o, "certificateId", fp);
		cJSON_AddStringToObject(o, "certificatePem", cert);
		cJSON_AddStringToObject(o, "certificateOwnershipToken", token);
		reply(p, r, true, o);
		cJSON_Delete(o);
	}
	explicit_bzero(token, sizeof(token));
	free(cert);
	ck_info("provision", "claim %s, client %s: certificate %s issued from a CSR", r->thing,
	        r->client_id, fp);
	return 0;
}

/* Replaces ${Name} with parameter values; NULL with why for an unknown
 * parameter, an unterminated reference or a result too long. */
static char *substitute(const char *pattern, const cJSON *params, char *why, size_t why_len)
{
	char out[CK_NAME_MAX * 4];
	size_t n = 0;
	for (const char *s = pattern; *s;) {
		if (s[0] == '$' && s[1] == '{') {
			const char *end = strchr(s, '}');
			char name[129];
			if (!end || (size_t)(end - s - 2) >= sizeof(name)) {
				snprintf(why, why_len, "bad ${...} in the template");
				return NULL;
			}
			memcpy(name, s + 2, (size_t)(end - s - 2));
			name[end - s - 2] = '\0';
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, name);
			if (!cJSON_IsString(v)) {
				snprintf(why, why_len, "parameter %s is missing", name);
				return NULL;
			}
			size_t vl = strlen(v->valuestring);
			if (n + vl >= sizeof(out))
				goto long_;
			memcpy(out + n, v->valuestring, vl);
			n += vl;
			s = end + 1;
			continue;
		}
		if (n + 1 >= sizeof(out))
			goto long_;
		out[n++] = *s++;
	}
	out[n] = '\0';
	return strdup(out);
long_:
	snprintf(why, why_len, "the template makes a value too long");
	return NULL;
}

/* Runs the hook (argv) with params on stdin; true when it answers allow
 * (a first line "allow", or {"allowProvisioning": true}) and exits 0
 * within CK_PROVISIONER_HOOK_MS. */
static bool hook_allows(const cJSON *argv_json, const cJSON *params, char *why, size_t why_len)
{
	char *argv[17] = { 0 };
	int n = 0, in[2] = { -1, -1 }, out[2] = { -1, -1 };
	const cJSON *a;
	cJSON_ArrayForEach(a, argv_json)
	{
		if (n < 16 && cJSON_IsString(a))
			argv[n++] = a->valuestring;
	}
	char *input = cJSON_PrintUnformatted(params);
	bool allowed = false;
	pid_t pid = -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	snprintf(why, why_len, "the pre-provisioning hook did not allow it");
	if (!input || n == 0 || pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
		goto out;
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
		pid = -1;
		snprintf(why, why_len, "the pre-provisioning hook cannot be run");
		goto out;
	}
	close(in[0]);
	close(out[1]);
	in[0] = out[1] = -1;
	signal(SIGPIPE, SIG_IGN);
	(void)!write(in[1], input, strlen(input));
	close(in[1]);
	in[1] = -1;
	char buf[HOOK_OUT_MAX + 1];
	size_t got = 0;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		int64_t left = CK_PROVISIONER_HOOK_MS - ((int64_t)(t.tv_sec - t0.tv_sec) * 1000 +
		                                         (t.tv_nsec - t0.tv_nsec) / 1000000);
		struct pollfd pfd = { .fd = out[0], .events = POLLIN };
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
			snprintf(why, why_len,
			         "the pre-provisioning hook did not answer within %d ms",
			         CK_PROVISIONER_HOOK_MS);
			goto out;
		}
		ssize_t k = read(out[0], buf + got, HOOK_OUT_MAX - got);
		if (k <= 0)
			break;
		got += (size_t)k;
		if (got == HOOK_OUT_MAX)
			break;
	}
	buf[got] = '\0';
	int status = 0;
	if (waitpid(pid, &status, 0) == pid) {
		pid = -1;
		cJSON *doc = cJSON_Parse(buf);
		const cJSON *allow = cJSON_GetObjectItemCaseSensitive(doc, "allowProvisioning");
		allowed = WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
		          (strncmp(buf, "allow", 5) == 0 || cJSON_IsTrue(allow));
		cJSON_Delete(doc);
	}
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	posix_spawn_file_actions_destroy(&fa);
	cJSON_free(input);
	return allowed;
}

/* Whether serial may provision under template doc; why when not. */
static bool allowed(const cJSON *doc, const char *serial, const cJSON *params, char *why,
                    size_t why_len)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, "allowedSerials");
	const cJSON *hook = cJSON_GetObjectItemCaseSensitive(doc, "hook");
	if (!list && !hook) {
		snprintf(why, why_len, "the template allows no serial");
		return false;
	}
	if (list) {
		bool found = false;
		const cJSON *s;
		cJSON_ArrayForEach(s, list)
		{
			if (cJSON_IsString(s) && strcmp(s->valuestring, serial) == 0)
				found = true;
		}
		if (!found) {
			snprintf(why, why_len, "serial %.64s is not on the template's allow-list",
			         serial);
			return false;
		}
	}
	return !hook || hook_allows(hook, params, why, why_len);
}

static int provision(struct ck_provisioner *p, const struct ck_provreq *r, const char *claim_tpl)
{
	char why[256], fp[65];
	char *text = NULL, *name = NULL;
	cJSON *doc = NULL, *attrs = NULL;
	const cJSON *serial_j = cJSON_GetObjectItemCaseSensitive(r->parameters, "SerialNumber");
	const char *serial = cJSON_IsString(serial_j) ? serial_j->valuestring : NULL;
	int rc = 0;
	if (strcmp(claim_tpl, r->template_name) != 0) {
		snprintf(why, sizeof(why), "this claim is for template %s", claim_tpl);
		return reject(p, r, 403, "AccessDenied", why, serial);
	}
	if (ck_store_provtpl_get(p->store, r->template_name, &text) != 0 ||
	    !(doc = cJSON_Parse(text))) {
		free(text);
		return reject(p, r, 404, "ResourceNotFound", "no such provisioning template",
		              serial);
	}
	free(text);
	if (!serial || !serial[0]) {
		rc = reject(p, r, 400, "InvalidParameters", "parameter SerialNumber is required",
		            NULL);
		goto out;
	}
	if (!allowed(doc, serial, r->parameters, why, sizeof(why))) {
		rc = reject(p, r, 403, "AccessDenied", why, serial);
		goto out;
	}
	const cJSON *pattern = cJSON_GetObjectItemCaseSensitive(doc, "thingNamePattern");
	name = substitute(cJSON_IsString(pattern) ? pattern->valuestring : "", r->parameters, why,
	                  sizeof(why));
	if (name && !ck_name_valid(name))
		snprintf(why, sizeof(why), "the thing name \"%.130s\" is not valid", name);
	if (!name || !ck_name_valid(name)) {
		rc = reject(p, r, 400, "InvalidParameters", why, serial);
		goto out;
	}
	attrs = cJSON_CreateObject();
	const cJSON *a;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(doc, "attributes"))
	{
		char *v = cJSON_IsString(a)
		              ? substitute(a->valuestring, r->parameters, why, sizeof(why))
		              : NULL;
		if (!v || strlen(v) > 800) {
			free(v);
			rc = reject(p, r, 400, "InvalidParameters",
			            cJSON_IsString(a) ? why : "bad attribute", serial);
			goto out;
		}
		cJSON_AddStringToObject(attrs, a->string, v);
		free(v);
	}
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(doc, "thingType");
	const cJSON *policy = cJSON_GetObjectItemCaseSensitive(doc, "policy");
	int64_t now = now_ms();
	struct ck_thing t = { .enabled = true,
		              .created_ms = now,
		              .last_seen_ms = -1,
		              .battery_mv = -1,
		              .attributes = attrs };
	snprintf(t.name, sizeof(t.name), "%s", name);
	snprintf(t.type, sizeof(t.type), "%s", cJSON_IsString(type) ? type->valuestring : "");
	rc = ck_store_begin(p->store);
	if (rc != 0)
		goto fail;
	rc = ck_store_token_take(p->store, r->token, now, fp);
	if (rc == -ENOENT) {
		ck_store_commit(p->store); /* an expired token stays deleted */
		rc = reject(p, r, 400, "InvalidCertificateOwnershipToken",
		            "unknown, used or expired certificateOwnershipToken", serial);
		goto out;
	}
	if (rc == 0) {
		rc = ck_store_thing_put(p->store, &t);
		if (rc == -EEXIST) {
			ck_store_rollback(p->store);
			snprintf(why, sizeof(why), "thing %s exists already", name);
			rc = reject(p, r, 409, "ResourceConflict", why, serial);
			goto out;
		}
	}
	if (rc == 0)
		rc = ck_store_cert_set_thing(p->store, fp, name, now);
	if (rc == 0)
		rc = ck_store_cert_set_status(p->store, fp, "active", now);
	if (rc == 0 && cJSON_IsString(policy))
		rc = ck_store_policy_attach(p->store, policy->valuestring, fp, now);
	struct ck_claim_use u = {
		.at_ms = now,
		.claim_thing = r->thing,
		.client_id = r->client_id,
		.operation = "provision",
		.template_name = r->template_name,
		.serial = serial,
		.thing = name,
		.fingerprint = fp,
		.outcome = "accepted",
	};
	if (rc == 0)
		rc = ck_store_claim_log_put(p->store, &u);
	if (rc == 0)
		rc = ck_store_commit(p->store);
	else
		ck_store_rollback(p->store);
fail:
	if (rc == 0)
		rc = ck_snapshot_write(p->store, p->snapshot_path);
	if (rc != 0) {
		rc = reject(p, r, 500, "InternalFailure", "the store refused the provisioning",
		            serial);
		goto out;
	}
	cJSON *o = cJSON_CreateObject();
	if (o) {
		cJSON_AddObjectToObject(o, "deviceConfiguration");
		cJSON_AddStringToObject(o, "thingName", name);
		reply(p, r, true, o);
		cJSON_Delete(o);
	}
	ck_info("provision", "claim %s, client %s: thing %s provisioned (serial %s, template %s)",
	        r->thing, r->client_id, name, serial, r->template_name);
out:
	free(name);
	cJSON_Delete(attrs);
	cJSON_Delete(doc);
	return rc;
}

static void on_message(struct mosquitto *m, void *arg, const struct mosquitto_message *msg)
{
	struct ck_provisioner *p = arg;
	struct ck_provreq r;
	char why[256];
	(void)m;
	if (!msg->topic || strcmp(msg->topic, RELAY_TOPIC) != 0)
		return;
	int rc = ck_provreq_parse(msg->payload, (size_t)msg->payloadlen, &r, why, sizeof(why));
	if (rc != 0) {
		if (r.topic[0] && r.client_id[0])
			reject(p, &r, 400, "InvalidPayload", why, NULL);
		else
			ck_warn("provision", "relayed request refused: %s", why);
		ck_provreq_cleanup(&r);
		return;
	}
	struct ck_thing claim = { 0 };
	const char *tpl = NULL;
	if (ck_store_thing_get(p->store, r.thing, &claim) == 0)
		tpl = claim_template(&claim);
	if (!tpl)
		reject(p, &r, 403, "AccessDenied", "the certificate is not a claim certificate",
		       NULL);
	else if (r.kind == CK_PROVREQ_CSR)
		create_from_csr(p, &r);
	else
		provision(p, &r, tpl);
	ck_thing_cleanup(&claim);
	ck_provreq_cleanup(&r);
}

static void on_connect(struct mosquitto *m, void *arg, int rc)
{
	(void)arg;
	if (rc == 0)
		mosquitto_subscribe(m, NULL, RELAY_TOPIC, 1);
}

static void pause_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Connects (again) until stopped; the broker may start after us or restart. */
static void *run(void *arg)
{
	struct ck_provisioner *p = arg;
	bool connected = false;
	while (!atomic_load(&p->stop)) {
		if (!connected) {
			connected =
			    mosquitto_connect(p->mosq, p->host, p->port, 30) == MOSQ_ERR_SUCCESS;
			if (!connected) {
				pause_ms(250);
				continue;
			}
		}
		if (mosquitto_loop(p->mosq, 250, 1) != MOSQ_ERR_SUCCESS) {
			connected = false;
			pause_ms(250);
		}
	}
	if (connected)
		mosquitto_disconnect(p->mosq);
	return NULL;
}

int ck_provisioner_start(const struct ck_provisioner_config *cfg, struct ck_provisioner **out,
                         char *err, size_t err_len)
{
	struct ck_provisioner *p = calloc(1, sizeof(*p));
	*out = NULL;
	if (!p || !(p->ca_dir = strdup(cfg->ca_dir)) || !(p->host = strdup(cfg->mqtt_host)) ||
	    !(p->snapshot_path = strdup(cfg->snapshot_path))) {
		snprintf(err, err_len, "out of memory");
		ck_provisioner_stop(p);
		return -ENOMEM;
	}
	int rc = ck_store_open_sqlite(cfg->store_path, &p->store, err, err_len);
	if (rc != 0) {
		ck_provisioner_stop(p);
		return rc;
	}
	mosquitto_lib_init();
	/* A persistent session: requests relayed while it reconnects wait for it. */
	p->mosq = mosquitto_new("clickd-provisioner", false, p);
	if (!p->mosq) {
		snprintf(err, err_len, "out of memory");
		ck_provisioner_stop(p);
		return -ENOMEM;
	}
	mosquitto_username_pw_set(p->mosq, cfg->mqtt_user, cfg->mqtt_password);
	mosquitto_connect_callback_set(p->mosq, on_connect);
	mosquitto_message_callback_set(p->mosq, on_message);
	p->port = cfg->mqtt_port;
	if (pthread_create(&p->thread, NULL, run, p) != 0) {
		snprintf(err, err_len, "cannot start the provisioner's MQTT thread");
		ck_provisioner_stop(p);
		return -EIO;
	}
	p->started = true;
	*out = p;
	return 0;
}

void ck_provisioner_stop(struct ck_provisioner *p)
{
	if (!p)
		return;
	if (p->started) {
		atomic_store(&p->stop, true);
		pthread_join(p->thread, NULL);
	}
	if (p->mosq)
		mosquitto_destroy(p->mosq);
	if (p->store)
		ck_store_close(p->store);
	free(p->ca_dir);
	free(p->snapshot_path);
	free(p->host);
	free(p);
}
