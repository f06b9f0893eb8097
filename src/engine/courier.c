/*
 * Outbox delivery (see courier.h). The dispatcher picks due entries that
 * are not in flight and whose destination has a free slot, and hands them
 * to workers through a small queue; a worker delivers one entry, then
 * records the outcome in its own transaction.
 */
#include "engine/courier.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include <curl/curl.h>
#include <mosquitto.h>

#include "core/log.h"
#include "channels/delivery.h"
#include "engine/invoke.h"
#include "engine/outbox.h"
#include "store/store_outbox.h"
#include "store/store_usage.h"

#define MAX_WORKERS  16
#define QUEUE_MAX    64
#define IN_FLIGHT    (MAX_WORKERS + QUEUE_MAX)
#define DUE_BATCH    32
#define KEY_MAX      256
#define ERR_MAX      256
#define MQTT_WAIT_MS 10000

/* One entry in flight, copied out of the store row. */
struct job {
	int64_t id;
	char key[KEY_MAX];
	char rule[CK_NAME_MAX + 1];
	char kind[32];
	char dest_key[KEY_MAX];
	char *destination;
	uint8_t *payload;
	size_t payload_len;
	char *headers;
	int qos;
	int attempts;
	int64_t event_seq, created_ms, expires_ms;
	char *thing, *topic, *client_id;
	uint8_t *original;
	size_t original_len;
};

struct mqtt_link {
	struct mosquitto *mosq;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int acked_mid;
	bool connected;
};

struct worker {
	struct ck_courier *c;
	pthread_t thread;
	int index;
	struct ck_store *store;
	CURL *curl;
	struct mqtt_link mqtt;
};

struct ck_courier {
	struct ck_courier_config cfg;
	char *strings[4];
	pthread_mutex_t lock;
	pthread_cond_t wake; /* the dispatcher waits here */
	pthread_cond_t work; /* workers wait here */
	struct job *queue[QUEUE_MAX];
	int q_head, q_len;
	int64_t in_flight[IN_FLIGHT]; /* ids queued or being delivered */
	char in_flight_dest[IN_FLIGHT][KEY_MAX];
	int n_in_flight;
	bool stop, woken;
	pthread_t dispatcher;
	struct ck_store *store; /* the dispatcher's */
	struct worker workers[MAX_WORKERS];
	int n_workers;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double random_unit(void)
{
	uint32_t r = 0;
	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint32_t)now_ms();
	return (double)r / 4294967296.0;
}

int64_t ck_courier_backoff(int attempt, int64_t base_ms, int64_t max_ms, double random)
{
	int64_t d = base_ms;
	for (int i = 1; i < attempt && d < max_ms; i++)
		d *= 2;
	if (d > max_ms)
		d = max_ms;
	return d / 2 + (int64_t)((double)(d - d / 2) * random);
}

int ck_courier_http_class(long status)
{
	if (status >= 200 && status < 300)
		return 0;
	if (status == 0 || status == 408 || status == 425 || status == 429 || status >= 500)
		return 1;
	return -1;
}

void ck_courier_destination_key(const char *kind, const char *destination, char *buf, size_t len)
{
	if (strcmp(kind, "notify-email") == 0 || strcmp(kind, "notify-sms") == 0) {
		snprintf(buf, len, "%s", kind); /* one SMTP server or gateway per kind */
		return;
	}
	if (strcmp(kind, "function") == 0) { /* a function runs at most per_destination at a time */
		snprintf(buf, len, "function:%s", destination);
		return;
	}
	if (strcmp(kind, "webhook") != 0 && strcmp(kind, "notify-webhook") != 0) {
		snprintf(buf, len, "mqtt");
		return;
	}
	const char *p = strstr(destination, "://");
	size_t n = p ? (size_t)(p - destination) + 3 + strcspn(p + 3, "/?#") : strlen(destination);
	if (n >= len)
		n = len - 1;
	memcpy(buf, destination, n);
	buf[n] = '\0';
}

static void job_free(struct job *j)
{
	if (!j)
		return;
	free(j->destination);
	free(j->payload);
	free(j->headers);
	free(j->thing);
	free(j->topic);
	free(j->client_id);
	free(j->original);
	free(j);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
	uint8_t *out = malloc(n ? n : 1);
	if (out && n)
		memcpy(out, p, n);
	return out;
}

static struct job *job_from_entry(const struct ck_outbox_entry *e)
{
	struct job *j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->id = e->id;
	snprintf(j->key, sizeof(j->key), "%s", e->key);
	snprintf(j->rule, sizeof(j->rule), "%s", e->rule);
	snprintf(j->kind, sizeof(j->kind), "%s", e->kind);
	ck_courier_destination_key(e->kind, e->destination, j->dest_key, sizeof(j->dest_key));
	j->destination = strdup(e->destination);
	j->payload = dup_bytes(e->payload, e->payload_len);
	j->payload_len = e->payload_len;
	j->headers = dup_or_null(e->headers);
	j->attempts = e->attempts;
	j->event_seq = e->event_seq;
	j->created_ms = e->created_ms;
	j->expires_ms = e->expires_ms;
	j->thing = dup_or_null(e->thing);
	j->topic = dup_or_null(e->topic);
	j->client_id = dup_or_null(e->client_id);
	j->original = e->original ? dup_bytes(e->original, e->original_len) : NULL;
	j->original_len = e->original_len;
	cJSON *action = cJSON_Parse(e->action);
	const cJSON *qos = cJSON_GetObjectItemCaseSensitive(action, "qos");
	j->qos = cJSON_IsNumber(qos) && qos->valuedouble == 1 ? 1 : 0;
	cJSON_Delete(action);
	if (!j->destination || !j->payload) {
		job_free(j);
		return NULL;
	}
	return j;
}

/* --- delivery ---------------------------------------------------------- */

static size_t discard_body(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

/* Returns 0 delivered, 1 transient failure, -1 permanent; fills err. */
static int deliver_http(struct worker *w, const struct job *j, char *err, size_t err_len)
{
	struct ck_courier *c = w->c;
	if (!w->curl)
		w->curl = curl_easy_init();
	if (!w->curl) {
		snprintf(err, err_len, "cannot create an HTTP client");
		return 1;
	}
	CURL *h = w->curl;
	curl_easy_reset(h);
	struct curl_slist *hdrs = NULL;
	char line[KEY_MAX + 64];
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	snprintf(line, sizeof(line), "Idempotency-Key: %s", j->key);
	hdrs = curl_slist_append(hdrs, line);
	snprintf(line, sizeof(line), "X-Clickd-Rule: %s", j->rule);
	hdrs = curl_slist_append(hdrs, line);
	snprintf(line, sizeof(line), "X-Clickd-Attempt: %d", j->attempts + 1);
	hdrs = curl_slist_append(hdrs, line);
	cJSON *extra = j->headers ? cJSON_Parse(j->headers) : NULL;
	const cJSON *hv;
	cJSON_ArrayForEach(hv, extra)
	{
		char *l = NULL;
		size_t n = strlen(hv->string) + strlen(hv->valuestring) + 3;
		l = malloc(n);
		if (l) {
			snprintf(l, n, "%s: %s", hv->string, hv->valuestring);
			hdrs = curl_slist_append(hdrs, l);
			free(l);
		}
	}
	cJSON_Delete(extra);
	curl_easy_setopt(h, CURLOPT_URL, j->destination);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, (const char *)j->payload);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)j->payload_len);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)c->cfg.http_timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)c->cfg.http_timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard_body);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "clickd/" CK_VERSION);
	CURLcode rc = curl_easy_perform(h);
	curl_slist_free_all(hdrs);
	long status = 0;
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	else
		snprintf(err, err_len, "%s", curl_easy_strerror(rc));
	int cls = ck_courier_http_class(status);
	if (rc == CURLE_OK && cls != 0)
		snprintf(err, err_len, "HTTP status %ld", status);
	if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL)
		return -1;
	return cls;
}

static void on_mqtt_publish(struct mosquitto *m, void *arg, int mid)
{
	(void)m;
	struct mqtt_link *l = arg;
	pthread_mutex_lock(&l->lock);
	l->acked_mid = mid;
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
}

static void on_mqtt_connect(struct mosquitto *m, void *arg, int rc)
{
	(void)m;
	struct mqtt_link *l = arg;
	pthread_mutex_lock(&l->lock);
	l->connected = rc == 0;
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
}

static void on_mqtt_disconnect(struct mosquitto *m, void *arg, int rc)
{
	(void)m;
	(void)rc;
	struct mqtt_link *l = arg;
	pthread_mutex_lock(&l->lock);
	l->connected = false;
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
}

static void deadline_in(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static int mqtt_connect(struct worker *w, char *err, size_t err_len)
{
	struct ck_courier *c = w->c;
	struct mqtt_link *l = &w->mqtt;
	if (!l->mosq) {
		char id[64];
		snprintf(id, sizeof(id), "clickd-courier-%d-%ld", w->index, (long)now_ms());
		l->mosq = mosquitto_new(id, true, l);
		if (!l->mosq) {
			snprintf(err, err_len, "cannot create an MQTT client");
			return -ENOMEM;
		}
		mosquitto_int_option(l->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
		mosquitto_username_pw_set(l->mosq, c->cfg.mqtt_user, c->cfg.mqtt_password);
		mosquitto_publish_callback_set(l->mosq, on_mqtt_publish);
		mosquitto_connect_callback_set(l->mosq, on_mqtt_connect);
		mosquitto_disconnect_callback_set(l->mosq, on_mqtt_disconnect);
		if (mosquitto_loop_start(l->mosq) != MOSQ_ERR_SUCCESS) {
			snprintf(err, err_len, "cannot start the MQTT client");
			return -EIO;
		}
	}
	pthread_mutex_lock(&l->lock);
	bool connected = l->connected;
	pthread_mutex_unlock(&l->lock);
	if (connected)
		return 0;
	int rc = mosquitto_connect(l->mosq, c->cfg.mqtt_host, c->cfg.mqtt_port, 30);
	if (rc != MOSQ_ERR_SUCCESS) {
		snprintf(err, err_len, "cannot connect to the broker: %s", mosquitto_strerror(rc));
		return -EIO;
	}
	struct timespec ts;
	deadline_in(&ts, MQTT_WAIT_MS);
	pthread_mutex_lock(&l->lock);
	while (!l->connected && pthread_cond_timedwait(&l->cond, &l->lock, &ts) == 0)
		;
	connected = l->connected;
	pthread_mutex_unlock(&l->lock);
	if (!connected) {
		snprintf(err, err_len, "the broker did not accept the connection");
		return -EIO;
	}
	return 0;
}

static int deliver_mqtt(struct worker *w, const struct job *j, char *err, size_t err_len)
{
	struct mqtt_link *l = &w->mqtt;
	if (mqtt_connect(w, err, err_len) != 0)
		return 1;
	int mid = 0;
	pthread_mutex_lock(&l->lock);
	l->acked_mid = -1;
	pthread_mutex_unlock(&l->lock);
	int rc = mosquitto_publish(l->mosq, &mid, j->destination, (int)j->payload_len, j->payload,
	                           j->qos, false);
	if (rc != MOSQ_ERR_SUCCESS) {
		snprintf(err, err_len, "publish failed: %s", mosquitto_strerror(rc));
		return rc == MOSQ_ERR_PAYLOAD_SIZE || rc == MOSQ_ERR_MALFORMED_UTF8 ? -1 : 1;
	}
	struct timespec ts;
	deadline_in(&ts, MQTT_WAIT_MS);
	pthread_mutex_lock(&l->lock);
	while (l->acked_mid != mid && l->connected &&
	       pthread_cond_timedwait(&l->cond, &l->lock, &ts) == 0)
		;
	bool acked = l->acked_mid == mid;
	pthread_mutex_unlock(&l->lock);
	if (!acked) {
		snprintf(err, err_len, "no acknowledgement from the broker");
		return 1;
	}
	return 0;
}

/* Email, SMS and signed webhooks of channel subscriptions (delivery.h). */
static int deliver_channel(struct worker *w, const struct job *j, char *err, size_t err_len)
{
	if (!w->curl)
		w->curl = curl_easy_init();
	if (!w->curl) {
		snprintf(err, err_len, "cannot create an HTTP client");
		return 1;
	}
	struct ck_delivery d = {
		.key = j->key,
		.kind = j->kind,
		.destination = j->destination,
		.payload = j->payload,
		.payload_len = j->payload_len,
		.attempt = j->attempts + 1,
		.timeout_ms = (long)w->c->cfg.http_timeout_ms,
		.now_ms = now_ms(),
	};
	return ck_delivery_run(w->store, w->curl, &d, err, err_len);
}

/* --- settling ---------------------------------------------------------- */

static const cJSON *rule_error_action(struct ck_store *s, const char *rule, cJSON **doc)
{
	*doc = NULL;
	if (ck_store_rule_get_json(s, rule, doc) != 0)
		return NULL;
	return cJSON_GetObjectItemCaseSensitive(*doc, "errorAction");
}

/* Records the outcome of one attempt in one transaction. */
static void settle(struct worker *w, const struct job *j, int outcome, const char *error)
{
	struct ck_store *s = w->store;
	int64_t now = now_ms();
	int attempts = j->attempts + 1;
	bool final = true;
	int rc = ck_store_begin(s);
	if (rc != 0)
		goto fail;
	if (outcome == 0) {
		rc = ck_store_outbox_done(s, j->id, now);
		if (rc == 0 && strcmp(j->kind, "webhook") == 0) {
			char month[8];
			ck_usage_month(now, month);
			rc = ck_store_usage_add(s, month, "webhooks", "total", "", 1);
			if (rc == 0)
				rc = ck_store_usage_add(s, month, "webhooks", "rule", j->rule, 1);
		}
	} else {
		int64_t delay = ck_courier_backoff(attempts, w->c->cfg.backoff_base_ms,
		                                   w->c->cfg.backoff_max_ms, random_unit());
		if (outcome > 0 && now + delay < j->expires_ms) {
			final = false;
			rc = ck_store_outbox_retry(s, j->id, attempts, now + delay, error);
			ck_info("courier", "%s %s attempt %d failed (%s); retry in %lld ms",
			        j->kind, j->key, attempts, error, (long long)delay);
		} else {
			char why[ERR_MAX + 64];
			if (outcome > 0)
				snprintf(why, sizeof(why), "gave up after %d attempts: %s",
				         attempts, error);
			else
				snprintf(why, sizeof(why), "%s", error);
			rc = ck_store_outbox_dead(s, j->id, attempts, now, why);
			ck_warn("courier", "%s %s to %s is dead: %s", j->kind, j->key,
			        j->destination, why);
		}
	}
	/* Entries without a rule (channel messages published directly) have no
	 * error action to settle. */
	if (rc == 0 && final && j->rule[0] && strstr(j->key, "/error") == NULL) {
		cJSON *doc = NULL;
		const cJSON *error_action = rule_error_action(s, j->rule, &doc);
		struct ck_outbox_origin origin = {
			.event_seq = j->event_seq,
			.rule = j->rule,
			.thing = j->thing,
			.topic = j->topic,
			.client_id = j->client_id,
			.payload = j->original,
			.payload_len = j->original_len,
		};
		rc = ck_outbox_settle(s, &origin, error_action, now);
		cJSON_Delete(doc);
	}
	if (rc == 0)
		rc = ck_store_commit(s);
	if (rc == 0)
		return;
fail:
	ck_store_rollback(s);
	ck_error("courier", "cannot record the outcome of %s (%d); it will be delivered again",
	         j->key, rc);
}

/* --- threads ----------------------------------------------------------- */

static void release(struct ck_courier *c, int64_t id)
{
	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < c->n_in_flight; i++) {
		if (c->in_flight[i] == id) {
			c->n_in_flight--;
			c->in_flight[i] = c->in_flight[c->n_in_flight];
			memcpy(c->in_flight_dest[i], c->in_flight_dest[c->n_in_flight], KEY_MAX);
			break;
		}
	}
	c->woken = true;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
}

/* A "function" entry: one attempt of an asynchronous invocation (engine/invoke.h). */
static void run_function(struct worker *w, const struct job *j)
{
	struct ck_invoke_job ij = {
		.id = j->id,
		.key = j->key,
		.rule = j->rule,
		.function = j->destination,
		.event = j->payload,
		.event_len = j->payload_len,
		.attempts = j->attempts,
		.event_seq = j->event_seq,
		.created_ms = j->created_ms,
		.expires_ms = j->expires_ms,
		.thing = j->thing,
		.topic = j->topic,
		.client_id = j->client_id,
		.original = j->original,
		.original_len = j->original_len,
	};
	ck_invoke_run(w->store, &ij, w->c->cfg.function_retry_ms);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct ck_courier *c = w->c;
	for (;;) {
		pthread_mutex_lock(&c->lock);
		while (!c->stop && c->q_len == 0)
			pthread_cond_wait(&c->work, &c->lock);
		if (c->stop) {
			pthread_mutex_unlock(&c->lock);
			break;
		}
		struct job *j = c->queue[c->q_head];
		c->q_head = (c->q_head + 1) % QUEUE_MAX;
		c->q_len--;
		pthread_mutex_unlock(&c->lock);

		if (strcmp(j->kind, "function") == 0) { /* runs and settles itself */
			run_function(w, j);
			release(c, j->id);
			job_free(j);
			continue;
		}
		char err[ERR_MAX] = "";
		int outcome = ck_delivery_is_channel(j->kind) && !ck_delivery_is_mqtt(j->kind)
		                  ? deliver_channel(w, j, err, sizeof(err))
		              : strcmp(j->kind, "webhook") == 0
		                  ? deliver_http(w, j, err, sizeof(err))
		                  : deliver_mqtt(w, j, err, sizeof(err));
		settle(w, j, outcome, err);
		release(c, j->id);
		job_free(j);
	}
	return NULL;
}

static bool in_flight(const struct ck_courier *c, int64_t id)
{
	for (int i = 0; i < c->n_in_flight; i++)
		if (c->in_flight[i] == id)
			return true;
	return false;
}

static int dest_count(const struct ck_courier *c, const char *dest)
{
	int n = 0;
	for (int i = 0; i < c->n_in_flight; i++)
		if (strcmp(c->in_flight_dest[i], dest) == 0)
			n++;
	return n;
}

/* Called with c->lock held, from the due-entry scan. */
static int offer(const struct ck_outbox_entry *e, void *ctx)
{
	struct ck_courier *c = ctx;
	if (c->q_len == QUEUE_MAX || c->n_in_flight == IN_FLIGHT)
		return 1;
	if (in_flight(c, e->id))
		return 0;
	char dest[KEY_MAX];
	ck_courier_destination_key(e->kind, e->destination, dest, sizeof(dest));
	if (dest_count(c, dest) >= c->cfg.per_destination)
		return 0;
	struct job *j = job_from_entry(e);
	if (!j)
		return 1;
	c->in_flight[c->n_in_flight] = e->id;
	memcpy(c->in_flight_dest[c->n_in_flight], dest, KEY_MAX);
	c->n_in_flight++;
	c->queue[(c->q_head + c->q_len) % QUEUE_MAX] = j;
	c->q_len++;
	pthread_cond_signal(&c->work);
	return 0;
}

static void *dispatcher_main(void *arg)
{
	struct ck_courier *c = arg;
	pthread_mutex_lock(&c->lock);
	while (!c->stop) {
		c->woken = false;
		int64_t now = now_ms();
		/* Reading under the lock keeps offer() simple; the query is small. */
		ck_store_outbox_due(c->store, now, DUE_BATCH, offer, c);
		int64_t next = 0;
		int wait_ms = 1000;
		if (ck_store_outbox_next_due(c->store, &next) == 0)
			wait_ms = next <= now ? 50 : (int)(next - now < 60000 ? next - now : 60000);
		if (c->woken)
			continue;
		struct timespec ts;
		deadline_in(&ts, wait_ms);
		while (!c->stop && !c->woken &&
		       pthread_cond_timedwait(&c->wake, &c->lock, &ts) == 0)
			;
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int ck_courier_start(const struct ck_courier_config *cfg, struct ck_courier **out, char *err,
                     size_t err_len)
{
	*out = NULL;
	struct ck_courier *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	c->cfg = *cfg;
	const char **fields[] = { &c->cfg.store_path, &c->cfg.mqtt_host, &c->cfg.mqtt_user,
		                  &c->cfg.mqtt_password };
	for (int i = 0; i < 4; i++) {
		c->strings[i] = strdup(*fields[i] ? *fields[i] : "");
		*fields[i] = c->strings[i];
	}
	if (c->cfg.workers <= 0 || c->cfg.workers > MAX_WORKERS)
		c->cfg.workers = 4;
	if (c->cfg.per_destination <= 0)
		c->cfg.per_destination = 2;
	if (c->cfg.http_timeout_ms <= 0)
		c->cfg.http_timeout_ms = 10000;
	if (c->cfg.backoff_base_ms <= 0)
		c->cfg.backoff_base_ms = 1000;
	if (c->cfg.backoff_max_ms <= 0)
		c->cfg.backoff_max_ms = 300000;
	if (c->cfg.function_retry_ms <= 0)
		c->cfg.function_retry_ms = CK_INVOKE_RETRY_BASE_MS;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->wake, NULL);
	pthread_cond_init(&c->work, NULL);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	mosquitto_lib_init();

	int rc = ck_store_open_sqlite(c->cfg.store_path, &c->store, err, err_len);
	for (int i = 0; rc == 0 && i < c->cfg.workers; i++) {
		struct worker *w = &c->workers[i];
		w->c = c;
		w->index = i;
		pthread_mutex_init(&w->mqtt.lock, NULL);
		pthread_cond_init(&w->mqtt.cond, NULL);
		rc = ck_store_open_sqlite(c->cfg.store_path, &w->store, err, err_len);
		if (rc == 0 && pthread_create(&w->thread, NULL, worker_main, w) != 0)
			rc = -EAGAIN;
		if (rc == 0)
			c->n_workers++;
	}
	if (rc == 0 && pthread_create(&c->dispatcher, NULL, dispatcher_main, c) != 0)
		rc = -EAGAIN;
	if (rc != 0) {
		if (!err[0])
			snprintf(err, err_len, "cannot start the courier threads");
		ck_courier_stop(c);
		return rc;
	}
	ck_info("courier", "%d workers, at most %d at a time per destination", c->n_workers,
	        c->cfg.per_destination);
	*out = c;
	return 0;
}

void ck_courier_wake(struct ck_courier *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->woken = true;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
}

void ck_courier_stop(struct ck_courier *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->stop = true;
	pthread_cond_broadcast(&c->wake);
	pthread_cond_broadcast(&c->work);
	pthread_mutex_unlock(&c->lock);
	if (c->dispatcher)
		pthread_join(c->dispatcher, NULL);
	for (int i = 0; i < c->n_workers; i++) {
		struct worker *w = &c->workers[i];
		pthread_join(w->thread, NULL);
		if (w->mqtt.mosq) {
			mosquitto_disconnect(w->mqtt.mosq);
			mosquitto_loop_stop(w->mqtt.mosq, true);
			mosquitto_destroy(w->mqtt.mosq);
		}
		if (w->curl)
			curl_easy_cleanup(w->curl);
		ck_store_close(w->store);
	}
	while (c->q_len > 0) {
		job_free(c->queue[c->q_head]);
		c->q_head = (c->q_head + 1) % QUEUE_MAX;
		c->q_len--;
	}
	ck_store_close(c->store);
	for (int i = 0; i < 4; i++)
		free(c->strings[i]);
	free(c);
}
