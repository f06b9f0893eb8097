/*
 * The courier delivers outbox entries: HTTP POSTs for webhook actions and
 * MQTT publishes (through clickd's own broker account) for republish
 * actions. At least once: an entry is marked done only after the receiver
 * acknowledged it (2xx, PUBACK), and every attempt carries the entry's
 * idempotency key so receivers can drop repeats. Transient failures are
 * retried with exponential backoff and full jitter until the entry's
 * maximum age; permanent ones (HTTP 4xx but 408/425/429) and expired ones
 * go to the dead-letter list and, once all of a message's actions for a
 * rule are final, to the rule's error action (engine/outbox.h).
 *
 * Threads: one dispatcher and a fixed pool of workers, each with its own
 * store connection; at most per_destination deliveries to one destination
 * (scheme://host:port, or the broker) at a time.
 */
#ifndef CK_COURIER_H
#define CK_COURIER_H

#include <stddef.h>
#include <stdint.h>

struct ck_courier_config {
	const char *store_path; /* clickd.db */
	const char *mqtt_host;  /* clickd's local listener */
	int mqtt_port;
	const char *mqtt_user;
	const char *mqtt_password;
	int workers;               /* default 4 */
	int per_destination;       /* default 2 */
	int http_timeout_ms;       /* default 10000 */
	int64_t backoff_base_ms;   /* first retry after about this long; default 1000 */
	int64_t backoff_max_ms;    /* cap of the backoff; default 300000 */
	int64_t function_retry_ms; /* a failed function is retried after this, then twice it;
	                              default 60000 (engine/invoke.h) */
};

struct ck_courier;

/*
 * Starts the dispatcher and the workers. Strings in cfg are copied.
 * Returns 0, or a negative errno with a one-line reason in err.
 */
int ck_courier_start(const struct ck_courier_config *cfg, struct ck_courier **out, char *err,
                     size_t err_len);

/* Tells the courier new entries may be due (after an ingest commit). Thread-safe. */
void ck_courier_wake(struct ck_courier *c);

/* Stops the threads (deliveries in progress finish or time out) and frees c. */
void ck_courier_stop(struct ck_courier *c);

/*
 * The delay before retry number attempt (1-based) with full jitter: a
 * uniform value in [d/2, d] where d = min(base * 2^(attempt-1), max).
 * random is a uniform value in [0, 1). Pure.
 */
int64_t ck_courier_backoff(int attempt, int64_t base_ms, int64_t max_ms, double random);

/*
 * Classifies an HTTP status: 0 delivered (2xx), 1 transient (retry: 408,
 * 425, 429, 5xx, no answer), -1 permanent (other 4xx, 3xx since redirects
 * are not followed). Pure.
 */
int ck_courier_http_class(long status);

/* The concurrency key of a destination: "scheme://host:port" of a URL, or
 * "mqtt" for a topic. Writes into buf. Pure. */
void ck_courier_destination_key(const char *kind, const char *destination, char *buf, size_t len);

#endif
