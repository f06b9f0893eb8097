/*
 * SMS segment counting (see segments.h): decode UTF-8, classify each code
 * point, then pack into segments the way concatenated SMS are built.
 */
#include "channels/segments.h"

#include <errno.h>
#include <stdint.h>

#define GSM_SINGLE  160
#define GSM_MULTI   153
#define UCS2_SINGLE 70
#define UCS2_MULTI  67

/* GSM 03.38 basic characters above ASCII. */
static const uint32_t gsm_basic_high[] = {
	0xA1, 0xA3, 0xA4, 0xA5,  0xA7,  0xBF,  0xC4,  0xC5,  0xC6,  0xC7,  0xC9,  0xD1,  0xD6,
	0xD8, 0xDC, 0xDF, 0xE0,  0xE4,  0xE5,  0xE6,  0xE8,  0xE9,  0xEC,  0xF1,  0xF2,  0xF6,
	0xF8, 0xF9, 0xFC, 0x393, 0x394, 0x398, 0x39B, 0x39E, 0x3A0, 0x3A3, 0x3A6, 0x3A8, 0x3A9,
};

/* Septets a code point needs in GSM-7: 1, 2 (extension table) or 0 (none). */
static int gsm_septets(uint32_t c)
{
	switch (c) {
	case '^':
	case '{':
	case '}':
	case '\\':
	case '[':
	case ']':
	case '~':
	case '|':
	case 0x0C:
	case 0x20AC:
		return 2;
	case '\n':
	case '\r':
		return 1;
	case '`':
		return 0;
	default:
		break;
	}
	if (c >= 0x20 && c <= 0x7E)
		return 1;
	for (size_t i = 0; i < sizeof(gsm_basic_high) / sizeof(gsm_basic_high[0]); i++)
		if (gsm_basic_high[i] == c)
			return 1;
	return 0;
}

/* Decodes one UTF-8 sequence at p (n bytes left); returns its length or -1. */
static int utf8_next(const unsigned char *p, size_t n, uint32_t *cp)
{
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	int len;
	uint32_t c, min;
	if ((p[0] & 0xE0) == 0xC0) {
		len = 2;
		c = p[0] & 0x1F;
		min = 0x80;
	} else if ((p[0] & 0xF0) == 0xE0) {
		len = 3;
		c = p[0] & 0x0F;
		min = 0x800;
	} else if ((p[0] & 0xF8) == 0xF0) {
		len = 4;
		c = p[0] & 0x07;
		min = 0x10000;
	} else {
		return -1;
	}
	if ((size_t)len > n)
		return -1;
	for (int i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return -1;
		c = (c << 6) | (p[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return -1;
	*cp = c;
	return len;
}

/* Packs items of size 1 or 2 into segments of cap units, never splitting one. */
struct packer {
	int cap, used, segments;
};

static void pack(struct packer *pk, int size)
{
	if (pk->used + size > pk->cap) {
		pk->segments++;
		pk->used = 0;
	}
	pk->used += size;
}

int ck_segments_count(const char *text, size_t len, struct ck_segments *out)
{
	const unsigned char *p = (const unsigned char *)text;
	int septets = 0, units = 0;
	bool ucs2 = false;
	for (size_t i = 0; i < len;) {
		uint32_t c;
		int n = utf8_next(p + i, len - i, &c);
		if (n < 0)
			return -EINVAL;
		i += (size_t)n;
		int s = gsm_septets(c);
		if (s == 0)
			ucs2 = true;
		septets += s;
		units += c >= 0x10000 ? 2 : 1;
	}
	out->ucs2 = ucs2;
	out->units = ucs2 ? units : septets;
	if (out->units <= (ucs2 ? UCS2_SINGLE : GSM_SINGLE)) {
		out->segments = 1;
		return 0;
	}
	struct packer pk = { .cap = ucs2 ? UCS2_MULTI : GSM_MULTI, .used = 0, .segments = 1 };
	for (size_t i = 0; i < len;) {
		uint32_t c;
		int n = utf8_next(p + i, len - i, &c);
		i += (size_t)n;
		pack(&pk, ucs2 ? (c >= 0x10000 ? 2 : 1) : gsm_septets(c));
	}
	out->segments = pk.segments;
	return 0;
}
