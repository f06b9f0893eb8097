/*
 * The AWS IoT Button payload codec (see payload.h). Decoding is the first
 * code that reads a device's bytes, so it checks the size before anything
 * is allocated, copies the bytes into a bounded stack buffer, lets cJSON
 * parse them (cJSON limits nesting to 1000 levels) and then checks every
 * known field strictly: one reason per rejection, worded for an operator.
 * Encoding writes into the caller's buffer only, with no allocation and no
 * OS call, so firmware can use it as is. This module does not know topics,
 * things or clocks: the caller decides what a press means.
 */
#include "device/payload.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define ECHO_MAX 32 /* bytes of a bad value quoted back in a reason */

static const char *const click_names[] = {
	[CK_CLICK_SINGLE] = "SINGLE", [CK_CLICK_DOUBLE] = "DOUBLE", [CK_CLICK_LONG] = "LONG",
	[CK_CLICK_TRIPLE] = "TRIPLE", [CK_CLICK_HOLD] = "HOLD",     [CK_CLICK_RELEASE] = "RELEASE",
};

const char *ck_click_name(enum ck_click c)
{
	if (c <= CK_CLICK_NONE || c > CK_CLICK_LAST)
		return NULL;
	return click_names[c];
}

enum ck_click ck_click_parse(const char *name)
{
	if (!name)
		return CK_CLICK_NONE;
	for (int c = CK_CLICK_SINGLE; c <= CK_CLICK_LAST; c++) {
		if (strcmp(name, click_names[c]) == 0)
			return (enum ck_click)c;
	}
	return CK_CLICK_NONE;
}

static void press_reset(struct ck_press *p)
{
	memset(p, 0, sizeof(*p));
	p->click = CK_CLICK_NONE;
	p->battery_mv = -1;
	p->seq = -1;
	p->pressed_ms = -1;
}

__attribute__((format(printf, 3, 4))) static int fail(char *why, size_t why_len, const char *fmt,
                                                      ...)
{
	if (why && why_len > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Copies s into out (ECHO_MAX + 4 bytes) for quoting in a one-line reason:
 * printable ASCII is kept, every other byte becomes '?', and a long value
 * is cut with "...". */
static const char *echo(const char *s, char out[ECHO_MAX + 4])
{
	size_t i = 0;
	for (; s[i] && i < ECHO_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		out[i] = (c >= 0x20 && c < 0x7f && c != '"') ? (char)c : '?';
	}
	if (s[i]) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

/* True when s[0..n) is well-formed UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF) with no control character. */
static bool text_ok(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		unsigned char c = u[i];
		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return false;
			i++;
			continue;
		}
		size_t extra;
		unsigned int cp;
		unsigned int min;
		if (c >= 0xc2 && c <= 0xdf) {
			extra = 1;
			cp = c & 0x1fu;
			min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			extra = 2;
			cp = c & 0x0fu;
			min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			extra = 3;
			cp = c & 0x07u;
			min = 0x10000;
		} else {
			return false;
		}
		if (n - i <= extra)
			return false;
		for (size_t k = 1; k <= extra; k++) {
			if ((u[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (u[i + k] & 0x3fu);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		if (cp >= 0x80 && cp < 0xa0) /* C1 controls */
			return false;
		i += extra + 1;
	}
	return true;
}

/* Parses "<digits>mV" or "<digits> mV" (1 to 5 digits). */
static int parse_mv(const char *s, int *mv)
{
	int v = 0;
	int digits = 0;
	while (*s >= '0' && *s <= '9') {
		if (++digits > 5)
			return -EINVAL;
		v = v * 10 + (*s - '0');
		s++;
	}
	if (digits == 0)
		return -EINVAL;
	if (*s == ' ')
		s++;
	if (strcmp(s, "mV") != 0)
		return -EINVAL;
	*mv = v;
	return 0;
}

/* Reads a JSON number that must be an integer in 0..CK_PAYLOAD_INT_MAX. */
static int parse_count(const cJSON *item, int64_t *out)
{
	if (!cJSON_IsNumber(item))
		return -EINVAL;
	double d = item->valuedouble;
	/* The range check comes first: converting an out-of-range double to an
	 * integer is undefined. */
	if (!isfinite(d) || d < 0 || d > (double)CK_PAYLOAD_INT_MAX)
		return -EINVAL;
	int64_t v = (int64_t)d;
	if ((double)v != d)
		return -EINVAL;
	*out = v;
	return 0;
}

static int decode_click(const cJSON *item, struct ck_press *out, char *why, size_t why_len)
{
	char e[ECHO_MAX + 4];
	if (!item)
		return fail(why, why_len, "clickType missing");
	if (!cJSON_IsString(item))
		return fail(why, why_len, "clickType must be a string");
	out->click = ck_click_parse(item->valuestring);
	if (out->click == CK_CLICK_NONE)
		return fail(why, why_len,
		            "unknown clickType \"%s\" (expected SINGLE, DOUBLE or LONG)",
		            echo(item->valuestring, e));
	return 0;
}

static int decode_serial(const cJSON *item, struct ck_press *out, char *why, size_t why_len)
{
	if (!item || cJSON_IsNull(item))
		return 0;
	if (!cJSON_IsString(item))
		return fail(why, why_len, "serialNumber must be a string");
	size_t n = strlen(item->valuestring);
	if (n > CK_SERIAL_MAX)
		return fail(why, why_len, "serialNumber too long (%zu bytes, limit %d)", n,
		            CK_SERIAL_MAX);
	if (!text_ok(item->valuestring, n))
		return fail(why, why_len,
		            "serialNumber must be UTF-8 text without control characters");
	memcpy(out->serial, item->valuestring, n + 1);
	return 0;
}

static int decode_battery(const cJSON *item, struct ck_press *out, char *why, size_t why_len)
{
	char e[ECHO_MAX + 4];
	if (!item || cJSON_IsNull(item))
		return 0;
	if (!cJSON_IsString(item))
		return fail(why, why_len, "batteryVoltage must be a string like \"1615mV\"");
	if (parse_mv(item->valuestring, &out->battery_mv) != 0)
		return fail(why, why_len, "bad batteryVoltage \"%s\" (expected e.g. \"1615mV\")",
		            echo(item->valuestring, e));
	return 0;
}

static int decode_count(const cJSON *item, const char *key, int64_t *out, char *why, size_t why_len)
{
	if (!item || cJSON_IsNull(item))
		return 0;
	if (parse_count(item, out) != 0)
		return fail(why, why_len, "%s must be a non-negative integer (at most 2^53-1)",
		            key);
	return 0;
}

/* Finds the known keys in one pass, so a key given twice is caught instead
 * of silently taking the first (cJSON's lookup) or the last. */
enum { K_CLICK, K_SERIAL, K_BATTERY, K_SEQ, K_PRESSED, K_COUNT };
static const char *const keys[K_COUNT] = { "clickType", "serialNumber", "batteryVoltage", "seq",
	                                   "pressedAt" };

static int collect(const cJSON *root, const cJSON *found[K_COUNT], char *why, size_t why_len)
{
	for (int k = 0; k < K_COUNT; k++)
		found[k] = NULL;
	for (const cJSON *it = root->child; it; it = it->next) {
		for (int k = 0; k < K_COUNT; k++) {
			if (!it->string || strcmp(it->string, keys[k]) != 0)
				continue;
			if (found[k])
				return fail(why, why_len, "duplicate key \"%s\"", keys[k]);
			found[k] = it;
		}
	}
	return 0;
}

static int decode_object(const cJSON *root, struct ck_press *out, char *why, size_t why_len)
{
	const cJSON *f[K_COUNT];
	int rc = collect(root, f, why, why_len);
	if (rc == 0)
		rc = decode_click(f[K_CLICK], out, why, why_len);
	if (rc == 0)
		rc = decode_serial(f[K_SERIAL], out, why, why_len);
	if (rc == 0)
		rc = decode_battery(f[K_BATTERY], out, why, why_len);
	if (rc == 0)
		rc = decode_count(f[K_SEQ], "seq", &out->seq, why, why_len);
	if (rc == 0)
		rc = decode_count(f[K_PRESSED], "pressedAt", &out->pressed_ms, why, why_len);
	return rc;
}

int ck_payload_decode(const uint8_t *buf, size_t len, struct ck_press *out, char *why,
                      size_t why_len)
{
	char text[CK_PAYLOAD_MAX + 1];
	const char *end = NULL;

	press_reset(out);
	if (why && why_len > 0)
		why[0] = '\0';
	if (len > CK_PAYLOAD_MAX) {
		fail(why, why_len, "payload too large (%zu bytes, limit %d)", len, CK_PAYLOAD_MAX);
		return -E2BIG;
	}
	if (len == 0 || !buf)
		return fail(why, why_len, "payload is empty");
	if (memchr(buf, '\0', len))
		return fail(why, why_len, "payload is not JSON (NUL byte at offset %td)",
		            (const uint8_t *)memchr(buf, '\0', len) - buf);

	/* A private NUL-terminated copy lets cJSON reject trailing garbage. */
	memcpy(text, buf, len);
	text[len] = '\0';
	cJSON *root = cJSON_ParseWithLengthOpts(text, len + 1, &end, 1);
	if (!root)
		return fail(why, why_len, "payload is not JSON (error at offset %td)",
		            end ? end - text : (ptrdiff_t)0);

	int rc;
	if (!cJSON_IsObject(root))
		rc = fail(why, why_len, "payload is not a JSON object");
	else
		rc = decode_object(root, out, why, why_len);
	cJSON_Delete(root);
	if (rc != 0) {
		press_reset(out);
		return rc;
	}
	return 0;
}

/* A bounded writer over the caller's buffer; one byte is kept for the NUL. */
struct writer {
	char *buf;
	size_t cap;
	size_t len;
	bool full;
};

static void put(struct writer *w, const char *s, size_t n)
{
	if (w->full || n >= w->cap - w->len) {
		w->full = true;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void put_str(struct writer *w, const char *s)
{
	put(w, s, strlen(s));
}

static void put_uint(struct writer *w, uint64_t v)
{
	char digits[24];
	size_t n = sizeof(digits);
	do {
		digits[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(w, digits + n, sizeof(digits) - n);
}

/* The serial holds no control characters (checked), so only '"' and '\\'
 * need escaping; bytes >= 0x80 are valid UTF-8 and pass through. */
static void put_escaped(struct writer *w, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			put(w, "\\", 1);
		put(w, s, 1);
	}
}

static bool count_ok(int64_t v)
{
	return v == -1 || (v >= 0 && v <= CK_PAYLOAD_INT_MAX);
}

static bool press_ok(const struct ck_press *p)
{
	if (!ck_click_name(p->click))
		return false;
	size_t n = strnlen(p->serial, sizeof(p->serial));
	if (n > CK_SERIAL_MAX || !text_ok(p->serial, n))
		return false;
	if (p->battery_mv != -1 && (p->battery_mv < 0 || p->battery_mv > CK_PAYLOAD_MV_MAX))
		return false;
	return count_ok(p->seq) && count_ok(p->pressed_ms);
}

int ck_payload_encode(const struct ck_press *p, char *buf, size_t cap)
{
	struct writer w = { .buf = buf, .cap = cap, .len = 0, .full = false };

	if (!p || !press_ok(p))
		return -EINVAL;
	if (!buf || cap == 0)
		return -ENOSPC;

	put(&w, "{", 1);
	if (p->serial[0]) {
		put_str(&w, "\"serialNumber\":\"");
		put_escaped(&w, p->serial);
		put_str(&w, "\",");
	}
	if (p->battery_mv >= 0) {
		put_str(&w, "\"batteryVoltage\":\"");
		put_uint(&w, (uint64_t)p->battery_mv);
		put_str(&w, "mV\",");
	}
	put_str(&w, "\"clickType\":\"");
	put_str(&w, ck_click_name(p->click));
	put_str(&w, "\"");
	if (p->seq >= 0) {
		put_str(&w, ",\"seq\":");
		put_uint(&w, (uint64_t)p->seq);
	}
	if (p->pressed_ms >= 0) {
		put_str(&w, ",\"pressedAt\":");
		put_uint(&w, (uint64_t)p->pressed_ms);
	}
	put(&w, "}", 1);
	if (w.full) {
		buf[0] = '\0';
		return -ENOSPC;
	}
	buf[w.len] = '\0';
	return (int)w.len;
}
