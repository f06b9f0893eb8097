/*
 * The clickbtn.conf parser (see btnconf.h): a line scanner over a bounded
 * buffer that fills a fixed-size struct, so nothing is allocated and every
 * value has a ceiling. It is strict on purpose: an unknown or repeated key
 * is an error rather than silently ignored, because a typo in a device's
 * configuration would otherwise surface only as a failed connection. It
 * does not open files or check that the files named exist.
 */
#include "device/btnconf.h"

#include "core/name.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum { K_ENDPOINT, K_PORT, K_THING, K_CERT, K_KEY, K_CA, K_COUNT };
static const char *const keys[K_COUNT] = { "endpoint", "port", "thing", "cert", "key", "ca" };

/* One line being parsed: the text is buf[start..end) of the whole file. */
struct line {
	const char *buf;
	size_t start;
	size_t end;
	int no;
};

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

static size_t col(const struct line *l, size_t at)
{
	return at - l->start + 1;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int is_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == ':' || c == '_';
}

static void set_defaults(struct ck_btnconf *out)
{
	memset(out, 0, sizeof(*out));
	out->port = CK_BTNCONF_PORT_DEFAULT;
	memcpy(out->cert, "cert.pem", sizeof("cert.pem"));
	memcpy(out->key, "key.pem", sizeof("key.pem"));
	memcpy(out->ca, "ca.pem", sizeof("ca.pem"));
}

/* Checks the value v[0..n) of key k (at column c) and stores it. */
static int store(struct ck_btnconf *out, int k, const char *v, size_t n, const struct line *l,
                 size_t c, char *why, size_t why_len)
{
	char *dst; /* each case has checked that n fits in dst */

	switch (k) {
	case K_ENDPOINT:
		if (n > CK_BTNCONF_HOST_MAX)
			return fail(why, why_len,
			            "line %d, column %zu: endpoint too long (%zu bytes, limit %d)",
			            l->no, c, n, CK_BTNCONF_HOST_MAX);
		for (size_t i = 0; i < n; i++) {
			if (!is_host_char(v[i]))
				return fail(
				    why, why_len,
				    "line %d, column %zu: endpoint must be a host name or IP "
				    "address",
				    l->no, c + i);
		}
		dst = out->endpoint;
		break;
	case K_PORT: {
		long port = 0;
		for (size_t i = 0; i < n; i++) {
			if (v[i] < '0' || v[i] > '9' || i >= 5)
				return fail(why, why_len,
				            "line %d, column %zu: port must be a number from 1 to "
				            "65535",
				            l->no, c);
			port = port * 10 + (v[i] - '0');
		}
		if (port < 1 || port > 65535)
			return fail(why, why_len,
			            "line %d, column %zu: port must be a number from 1 to 65535",
			            l->no, c);
		out->port = (int)port;
		return 0;
	}
	case K_THING:
		for (size_t i = 0; i < n; i++) {
			if (i >= CK_BTNCONF_THING_MAX || !ck_name_char(v[i]))
				return fail(why, why_len,
				            "line %d, column %zu: thing must match "
				            "[a-zA-Z0-9:_-]{1,128}",
				            l->no, c + i);
		}
		dst = out->thing;
		break;
	default:
		if (n > CK_BTNCONF_PATH_MAX)
			return fail(why, why_len,
			            "line %d, column %zu: %s path too long (%zu bytes, limit %d)",
			            l->no, c, keys[k], n, CK_BTNCONF_PATH_MAX);
		for (size_t i = 0; i < n; i++) {
			if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
				return fail(why, why_len,
				            "line %d, column %zu: control character in %s path",
				            l->no, c + i, keys[k]);
		}
		dst = k == K_CERT ? out->cert : k == K_KEY ? out->key : out->ca;
		break;
	}
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

static int parse_line(const struct line *l, struct ck_btnconf *out, bool seen[K_COUNT], char *why,
                      size_t why_len)
{
	const char *b = l->buf;
	size_t p = l->start;

	while (p < l->end && is_blank(b[p]))
		p++;
	if (p == l->end || b[p] == '#')
		return 0;

	size_t key_at = p;
	while (p < l->end && !is_blank(b[p]) && b[p] != '=')
		p++;
	size_t key_len = p - key_at;
	while (p < l->end && is_blank(b[p]))
		p++;
	if (p == l->end || b[p] != '=' || key_len == 0)
		return fail(why, why_len, "line %d, column %zu: expected \"key = value\"", l->no,
		            col(l, p == l->end || key_len == 0 ? key_at : p));
	p++;

	int k = 0;
	for (; k < K_COUNT; k++) {
		if (strlen(keys[k]) == key_len && memcmp(keys[k], b + key_at, key_len) == 0)
			break;
	}
	if (k == K_COUNT) {
		int shown = key_len > 40 ? 40 : (int)key_len;
		for (size_t i = 0; i < (size_t)shown; i++) {
			if ((unsigned char)b[key_at + i] < 0x20 || b[key_at + i] == '"')
				shown = (int)i;
		}
		return fail(why, why_len,
		            "line %d, column %zu: unknown key \"%.*s%s\" (expected endpoint, port, "
		            "thing, cert, key or ca)",
		            l->no, col(l, key_at), shown, b + key_at,
		            (size_t)shown < key_len ? "..." : "");
	}
	if (seen[k])
		return fail(why, why_len, "line %d, column %zu: %s given twice", l->no,
		            col(l, key_at), keys[k]);
	seen[k] = true;

	while (p < l->end && is_blank(b[p]))
		p++;
	size_t v_end = l->end;
	while (v_end > p && is_blank(b[v_end - 1]))
		v_end--;
	if (v_end == p)
		return fail(why, why_len, "line %d, column %zu: empty value for %s", l->no,
		            col(l, p), keys[k]);
	return store(out, k, b + p, v_end - p, l, col(l, p), why, why_len);
}

int ck_btnconf_parse(const char *buf, size_t len, struct ck_btnconf *out, char *why, size_t why_len)
{
	bool seen[K_COUNT] = { false };
	struct line l = { .buf = buf, .start = 0, .end = 0, .no = 0 };
	size_t pos = 0;

	set_defaults(out);
	if (why && why_len > 0)
		why[0] = '\0';
	if (len > CK_BTNCONF_MAX) {
		fail(why, why_len, "too large (%zu bytes, limit %d)", len, CK_BTNCONF_MAX);
		return -E2BIG;
	}
	if (len > 0 && !buf)
		return fail(why, why_len, "no buffer");

	while (pos < len) {
		l.no++;
		l.start = pos;
		const char *nl = memchr(buf + pos, '\n', len - pos);
		l.end = nl ? (size_t)(nl - buf) : len;
		pos = nl ? l.end + 1 : len;
		const char *nul = memchr(buf + l.start, '\0', l.end - l.start);
		if (nul)
			return fail(why, why_len, "line %d, column %zu: NUL byte", l.no,
			            col(&l, (size_t)(nul - buf)));
		if (l.end > l.start && buf[l.end - 1] == '\r')
			l.end--;
		int rc = parse_line(&l, out, seen, why, why_len);
		if (rc != 0)
			return rc;
	}
	if (!seen[K_ENDPOINT])
		return fail(why, why_len, "endpoint missing (add \"endpoint = HOST\")");
	if (!seen[K_THING])
		return fail(why, why_len, "thing missing (add \"thing = NAME\")");
	return 0;
}

int ck_btnconf_path(const char *dir, const char *file, char *out, size_t cap)
{
	int n;

	if (cap > 0)
		out[0] = '\0';
	if (!file || !file[0])
		return -EINVAL;
	if (file[0] == '/' || !dir || !dir[0])
		n = snprintf(out, cap, "%s", file);
	else if (dir[strlen(dir) - 1] == '/')
		n = snprintf(out, cap, "%s%s", dir, file);
	else
		n = snprintf(out, cap, "%s/%s", dir, file);
	if (n < 0 || (size_t)n >= cap) {
		if (cap > 0)
			out[0] = '\0';
		return -ENAMETOOLONG;
	}
	return 0;
}
