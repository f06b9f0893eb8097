/*
 * Channels, the SNS counterpart: a channel holds provider settings (an SMTP
 * server for email, an SMS gateway) and a monthly spend cap; subscriptions
 * say who receives what (email, sms, webhook, mqtt, feedback) with an
 * optional filter policy on message attributes. Publishing a message writes
 * the message, one delivery per matching subscription and one outbox row
 * per delivery in the caller's transaction; the courier delivers the rows
 * at least once (delivery.h). This module validates configuration, fans
 * messages out and reports spend; it sends nothing itself.
 */
#ifndef CK_CHANNELS_H
#define CK_CHANNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "store/store.h"
#include "store/store_channels.h"

#define CK_CHANNELS_MESSAGE_MAX        16384           /* bytes of a message */
#define CK_CHANNELS_SUBJECT_MAX        100             /* characters of a subject, as SNS */
#define CK_CHANNELS_SMS_SEGMENTS_MAX   10              /* longer SMS are refused */
#define CK_CHANNELS_CAP_DEFAULT_MICROS 1000000         /* 1.00 USD a month, SNS's default quota */
#define CK_CHANNELS_CAP_MAX_MICROS     1000000000000LL /* 1,000,000 USD */
#define CK_CHANNELS_SMS_PRICE_MICROS   6450            /* 0.00645 USD a segment, SNS's US price */
#define CK_CHANNELS_ADMIN              "admin"         /* receives spend warnings */
#define CK_CHANNELS_MAX_AGE_MS         (3600 * 1000)   /* deliveries expire after an hour */

/* Where a published message comes from. Every field may be zero/NULL. */
struct ck_channels_origin {
	/* The outbox key of the action that publishes ("<seq>/<rule>/<index>"):
	 * deliveries are keyed "<key>/s<subscription>" and the message is
	 * published once per key. NULL: keys are "ch/<message id>/s<sub>". */
	const char *key;
	const char *rule;  /* rule whose error action hears of dead deliveries */
	int action_index;  /* position in the rule; -1 for its error action */
	int64_t event_seq; /* the triggering event, 0 when none */
	const char *thing; /* the button the message is about (feedback target) */
	const char *topic; /* the triggering message, for error messages */
	const char *client_id;
	const uint8_t *original;
	size_t original_len;
	const char *source; /* shown with the message: "api", "rule:NAME", "function:NAME" */
	int64_t max_age_ms; /* 0: CK_CHANNELS_MAX_AGE_MS */
};

struct ck_channels_result {
	int64_t message_id;
	int deliveries; /* outbox rows written (pending or dead) */
	int filtered;   /* subscriptions whose filter policy did not match */
	char error[256];
};

/*
 * Publishes message (UTF-8, 1 to CK_CHANNELS_MESSAGE_MAX bytes) with an
 * optional subject (NULL) and attributes (NULL, or as ck_filter_attributes
 * takes them) to channel, at now_ms. Must run inside a store transaction.
 * Returns 0 with res filled (a repeat of an origin key publishes nothing
 * again and returns the first message's id); -ENOENT when there is no such
 * channel and -EINVAL for a bad message, both with res->error; other
 * negative errno: a store failure (abort the transaction). Thread: any, with
 * its own store connection.
 */
int ck_channels_notify(struct ck_store *s, const char *channel, const char *subject,
                       const char *message, const cJSON *attributes,
                       const struct ck_channels_origin *o, int64_t now_ms,
                       struct ck_channels_result *res);

/*
 * Checks a channel definition {"email": {...}, "sms": {...},
 * "monthlyCapUsd": n} and returns in *config (caller deletes) the object to
 * store and in *cap_micros the cap. Returns 0, -EINVAL with why, or -ENOMEM.
 */
int ck_channels_config_check(const cJSON *def, cJSON **config, int64_t *cap_micros, char *why,
                             size_t why_len);

/*
 * Checks a subscription: protocol, endpoint (may be NULL) and filter policy
 * (NULL or a JSON object). Returns 0 or -EINVAL with why.
 */
int ck_channels_sub_check(const char *protocol, const char *endpoint, const cJSON *filter,
                          char *why, size_t why_len);

/*
 * The API's view of channel r at now_ms: name, createdAt, the providers
 * with every credential left out, and "spend" (ck_channels_spend). NULL
 * when out of memory or on a store failure.
 */
cJSON *ck_channels_view(struct ck_store *s, const struct ck_channel_row *r, int64_t now_ms);

/*
 * The month-to-date spend of channel r: {"month", "spentUsd", "capUsd",
 * "segments", "percent", "state": "ok"|"warning"|"stopped"} ("warning" from
 * 80% of the cap, "stopped" when nothing more can be sent). NULL on failure.
 */
cJSON *ck_channels_spend(struct ck_store *s, const struct ck_channel_row *r, int64_t now_ms);

/* The SMS price per segment of channel r, in millionths of a US dollar. */
int64_t ck_channels_price_micros(const struct ck_channel_row *r);

/* Writes the UTC calendar month of now_ms as "YYYY-MM". */
void ck_channels_month(int64_t now_ms, char out[CK_STORE_MONTH_LEN]);

/* Parses a US dollar amount (a JSON number, 0 to 1,000,000) into micros;
 * -EINVAL when out of range. */
int ck_channels_usd(const cJSON *v, int64_t *micros);

#endif
