/*
 * Channels (the SNS counterpart) in the store: channels with their provider
 * configuration (credentials included: they are needed to deliver, and the
 * store file is 0600 under the data directory; the API never returns
 * them), subscriptions, published messages, the delivery of each message to
 * each subscription (whose state lives in its outbox row), and the spend
 * ledger that enforces monthly caps. Part of the store; see store.h for the
 * conventions (one connection per thread, 0 or -errno).
 */
#ifndef CK_STORE_CHANNELS_H
#define CK_STORE_CHANNELS_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "store/store.h"

#define CK_STORE_MONTH_LEN 8 /* "YYYY-MM" and a NUL */

/* A channel as stored. Strings are owned by the row; free with _cleanup. */
struct ck_channel_row {
	char name[CK_NAME_MAX + 1];
	char *config;                          /* JSON object text, secrets included */
	int64_t cap_micros;                    /* monthly spend cap in millionths of a US dollar */
	char warned_month[CK_STORE_MONTH_LEN]; /* month of the last 80% warning, or "" */
	int64_t created_ms;
};

void ck_store_channel_row_cleanup(struct ck_channel_row *r);

/* Creates a channel; -EEXIST when the name is taken. */
int ck_store_channel_put(struct ck_store *s, const char *name, const char *config,
                         int64_t cap_micros, int64_t now_ms);

/* Reads a channel into r (cleanup after success); -ENOENT when absent. */
int ck_store_channel_get(struct ck_store *s, const char *name, struct ck_channel_row *r);

/* Calls fn for every channel by name; fn's nonzero return stops and is returned. */
int ck_store_channel_each(struct ck_store *s, int (*fn)(const struct ck_channel_row *r, void *ctx),
                          void *ctx);

/* Deletes a channel and its subscriptions; -ENOENT when absent. */
int ck_store_channel_delete(struct ck_store *s, const char *name);

/* Sets the monthly cap; -ENOENT when absent. */
int ck_store_channel_set_cap(struct ck_store *s, const char *name, int64_t cap_micros);

/* Records that the 80% warning for month was sent. */
int ck_store_channel_set_warned(struct ck_store *s, const char *name, const char *month);

/* A subscription as stored; strings borrowed for the duration of a callback. */
struct ck_channel_sub {
	int64_t id;
	const char *channel;
	const char *protocol; /* email, sms, webhook, mqtt, feedback */
	const char *endpoint; /* address, number, URL, topic, thing or "" */
	const char *filter;   /* filter policy JSON text or NULL */
	const char *secret;   /* webhook secret or NULL */
	int64_t created_ms;
};

/* Adds a subscription; its id in *id. -ENOENT when the channel is absent. */
int ck_store_channel_sub_put(struct ck_store *s, const struct ck_channel_sub *sub, int64_t *id);

/* Calls fn for each subscription of channel, oldest first. */
int ck_store_channel_sub_each(struct ck_store *s, const char *channel,
                              int (*fn)(const struct ck_channel_sub *sub, void *ctx), void *ctx);

/* Deletes subscription id of channel; -ENOENT when there is none. */
int ck_store_channel_sub_delete(struct ck_store *s, const char *channel, int64_t id);

/* A published message. origin_key, when not NULL, is unique (a rule's
 * "<seq>/<rule>/<index>"): -EEXIST and *id set to the existing message. */
struct ck_channel_msg {
	const char *channel, *subject, *message, *attributes, *source, *origin_key, *thing;
	int64_t event_seq, created_ms;
};

int ck_store_channel_msg_put(struct ck_store *s, const struct ck_channel_msg *m, int64_t *id);

/* Links message to subscription through the outbox row with outbox_key. */
int ck_store_channel_delivery_put(struct ck_store *s, int64_t message_id, int64_t sub_id,
                                  const char *protocol, const char *endpoint,
                                  const char *outbox_key, int segments);

/*
 * Appends to items the deliveries of channel (of message_id only when it is
 * not 0), newest first, at most limit: {"messageId", "subscriptionId",
 * "protocol", "endpoint", "segments", "state", "attempts", "lastError",
 * "outboxId", "createdMs", "finishedMs"}.
 */
int ck_store_channel_deliveries(struct ck_store *s, const char *channel, int64_t message_id,
                                int limit, cJSON *items);

/* Money spent (reserved or sent) by channel in month, and its segments,
 * leaving out the reservation under except_key (may be NULL). */
int ck_store_channel_spent(struct ck_store *s, const char *channel, const char *month,
                           const char *except_key, int64_t *micros, int64_t *segments);

/* Reserves (or re-reserves) the cost of the delivery under key. */
int ck_store_channel_reserve(struct ck_store *s, const char *key, const char *channel,
                             const char *month, int segments, int64_t cost_micros, int64_t now_ms);

/* Marks the reservation under key as sent, or drops it (sent false). */
int ck_store_channel_reservation_end(struct ck_store *s, const char *key, bool sent);

#endif
