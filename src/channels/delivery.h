/*
 * Delivery of one channel outbox row to its subscriber, called by the
 * courier's workers: email over SMTP (libcurl; STARTTLS or implicit TLS,
 * authentication), SMS through a Twilio-compatible gateway (form POST with
 * HTTP basic authentication) and signed webhooks. MQTT and device feedback
 * rows are published by the courier itself (it owns the broker links).
 * Credentials are read from the store at each attempt and never logged.
 * SMS deliveries are held to the channel's monthly spend cap: the cost is
 * reserved in a store transaction before the gateway is called, so
 * concurrent workers can never overshoot, and released if the attempt
 * fails.
 */
#ifndef CK_DELIVERY_H
#define CK_DELIVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "store/store.h"

#define CK_DELIVERY_KIND_PREFIX "notify-"

/* One attempt, as the courier knows it. All borrowed. */
struct ck_delivery {
	const char *key;         /* the outbox row's idempotency key */
	const char *kind;        /* "notify-email", "notify-sms", "notify-webhook" */
	const char *destination; /* address, number or URL */
	const uint8_t *payload;  /* the notification envelope (JSON) */
	size_t payload_len;
	int attempt;     /* 1 for the first */
	long timeout_ms; /* per request */
	int64_t now_ms;  /* wall clock */
};

/* True for the kinds of channel deliveries ("notify-..."). */
bool ck_delivery_is_channel(const char *kind);

/* True for the channel kinds the courier publishes over MQTT itself. */
bool ck_delivery_is_mqtt(const char *kind);

/*
 * Makes one attempt with curl (an easy handle the caller owns and reuses;
 * it is reset) and s (the calling thread's store connection, outside any
 * transaction). Returns 0 when delivered, 1 for a transient failure (try
 * again later), -1 for a permanent one (a cap reached, a deleted channel or
 * subscription, a refused address); err says why in one line.
 */
int ck_delivery_run(struct ck_store *s, CURL *curl, const struct ck_delivery *d, char *err,
                    size_t err_len);

#endif
