/*
 * Webhook signatures for channel subscriptions: HMAC-SHA256 over
 * "<timestamp>.<body>" with the subscription's secret, sent as
 * "X-Clickd-Signature: v1=<hex>" next to "X-Clickd-Timestamp: <timestamp>"
 * (Unix seconds), so a receiver can check both the sender and the age of a
 * request. Also makes new secrets. No I/O besides the kernel's random
 * numbers.
 */
#ifndef CK_SIGNATURE_H
#define CK_SIGNATURE_H

#include <stddef.h>
#include <stdint.h>

#define CK_SIGNATURE_HEX    65 /* 64 hex digits and a NUL */
#define CK_SIGNATURE_SECRET 65 /* a generated secret: 32 random bytes as hex */

/*
 * Writes the lowercase hex HMAC-SHA256 of "<timestamp>.<body>" under secret
 * into hex. Returns 0, or -ENOMEM.
 */
int ck_signature_hmac(const char *secret, int64_t timestamp, const uint8_t *body, size_t len,
                      char hex[CK_SIGNATURE_HEX]);

/* Writes a new random secret (64 hex digits). Returns 0 or -EIO. */
int ck_signature_secret(char out[CK_SIGNATURE_SECRET]);

#endif
