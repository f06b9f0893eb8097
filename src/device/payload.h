/*
 * The AWS IoT Button payload, both ways:
 *   {"serialNumber":"G030JF059405K485","batteryVoltage":"1615mV","clickType":"SINGLE"}
 * plus the optional fields clickbtn adds for deduplication: "seq" (integer,
 * monotonic per device) and "pressedAt" (integer, Unix milliseconds).
 * Decoding accepts "1615mV" and "2000 mV"; it is the only code that reads a
 * device's bytes before the rules engine, so it is bounded and fuzzed.
 */
#ifndef CK_PAYLOAD_H
#define CK_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#define CK_PAYLOAD_MAX    4096  /* largest button payload accepted, bytes */
#define CK_SERIAL_MAX     128   /* longest serialNumber kept */
#define CK_PAYLOAD_MV_MAX 99999 /* largest batteryVoltage, millivolts (5 digits) */
/* Largest seq and pressedAt: 2^53 - 1, the largest integer every JSON
 * reader (a double) holds exactly. */
#define CK_PAYLOAD_INT_MAX 9007199254740991LL
/* A buffer of this size always holds ck_payload_encode()'s output. */
#define CK_PAYLOAD_ENCODED_MAX 512

/* SINGLE, DOUBLE and LONG are what AWS IoT buttons send; TRIPLE, HOLD and
 * RELEASE are the optional gestures clickbtn can be configured to send. */
enum ck_click {
	CK_CLICK_NONE = 0,
	CK_CLICK_SINGLE,
	CK_CLICK_DOUBLE,
	CK_CLICK_LONG,
	CK_CLICK_TRIPLE,
	CK_CLICK_HOLD,
	CK_CLICK_RELEASE,
	CK_CLICK_LAST = CK_CLICK_RELEASE,
};

struct ck_press {
	enum ck_click click;
	char serial[CK_SERIAL_MAX + 1]; /* "" when absent */
	int battery_mv;                 /* -1 when absent */
	int64_t seq;                    /* -1 when absent */
	int64_t pressed_ms;             /* -1 when absent */
};

/* "SINGLE", "DOUBLE", "LONG", "TRIPLE", "HOLD", "RELEASE"; NULL for CK_CLICK_NONE. */
const char *ck_click_name(enum ck_click c);

/* Parses a click type name, case-sensitive as AWS sends it. Returns
 * CK_CLICK_NONE when unknown. */
enum ck_click ck_click_parse(const char *name);

/*
 * Decodes a button payload. Returns 0 and fills *out, or a negative errno
 * and writes a one-line reason into why (e.g. "payload is not JSON",
 * "clickType missing", "payload too large (5000 bytes, limit 4096)"):
 * -E2BIG over CK_PAYLOAD_MAX, -EINVAL for everything else. Never reads past
 * buf[len-1]; buf need not be NUL-terminated. *out is reset to "all
 * absent" first, also on failure. why may be NULL. Unknown keys are
 * ignored; a known key given twice is an error. Keeps no state; cJSON
 * allocates during the call and everything is freed before it returns.
 */
int ck_payload_decode(const uint8_t *buf, size_t len, struct ck_press *out, char *why,
                      size_t why_len);

/*
 * Encodes p as JSON into buf (NUL-terminated). Fields that are absent (-1,
 * "") are omitted; batteryVoltage is written as "<n>mV". Returns the length
 * written, or -ENOSPC when cap is too small, -EINVAL when p->click is NONE
 * or a field is out of the range decoding accepts (battery 0..99999 mV,
 * seq and pressedAt 0..CK_PAYLOAD_INT_MAX, serial valid UTF-8 without
 * control characters). Whatever it encodes decodes back to the same press.
 * Allocates nothing, calls no OS function: fit for firmware.
 */
int ck_payload_encode(const struct ck_press *p, char *buf, size_t cap);

#endif
