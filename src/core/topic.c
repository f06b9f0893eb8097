/*
 * Topic names and filters (see topic.h): validation against AWS IoT's
 * limits and matching with AWS IoT's rules, which differ from MQTT in one
 * place ('a/#' does not match 'a'). Pure string functions: no allocation,
 * no state. Splitting on '/' keeps empty levels, so 'a//b' has three.
 */
#include "core/topic.h"

#include "core/utf8.h"

#include <stdint.h>
#include <string.h>

/*
 * Common checks for names and filters: 1..CK_TOPIC_MAX_LEN bytes of
 * well-formed UTF-8 and at most CK_TOPIC_MAX_LEVELS levels. Returns the
 * length, or 0 when a check fails.
 */
static size_t topic_common_valid(const char *s)
{
	if (!s)
		return 0;
	size_t n = strnlen(s, CK_TOPIC_MAX_LEN + 1);
	if (n == 0 || n > CK_TOPIC_MAX_LEN)
		return 0;
	const unsigned char *u = (const unsigned char *)s;
	int levels = 1;
	for (size_t i = 0; i < n;) {
		size_t k = ck_utf8_decode(u + i, n - i, NULL);
		if (k == 0)
			return 0;
		if (u[i] == '/' && ++levels > CK_TOPIC_MAX_LEVELS)
			return 0;
		i += k;
	}
	return n;
}

/* True when name is a valid topic name (see topic.h). */
bool ck_topic_name_valid(const char *name)
{
	size_t n = topic_common_valid(name);
	if (n == 0)
		return false;
	return memchr(name, '+', n) == NULL && memchr(name, '#', n) == NULL;
}

/* True when filter is a valid topic filter (see topic.h). */
bool ck_topic_filter_valid(const char *filter)
{
	size_t n = topic_common_valid(filter);
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = filter[i];
		if (c != '+' && c != '#')
			continue;
		bool starts = i == 0 || filter[i - 1] == '/';
		bool ends = i + 1 == n || filter[i + 1] == '/';
		if (!starts || !ends)
			return false;
		if (c == '#' && i + 1 != n)
			return false;
	}
	return true;
}

/*
 * True when filter matches topic. Both are assumed valid; NULL matches
 * nothing. '#' needs at least one more topic level (AWS, not MQTT), and a
 * filter whose first level is a wildcard never matches a '$' topic.
 */
bool ck_topic_match(const char *filter, const char *topic)
{
	if (!filter || !topic)
		return false;
	if ((filter[0] == '+' || filter[0] == '#') && topic[0] == '$')
		return false;
	const char *f = filter;
	const char *t = topic; /* NULL once the topic has no more levels */
	for (;;) {
		size_t flen = strcspn(f, "/");
		if (flen == 1 && f[0] == '#')
			return t != NULL;
		if (!t)
			return false;
		size_t tlen = strcspn(t, "/");
		bool plus = flen == 1 && f[0] == '+';
		if (!plus && (flen != tlen || memcmp(f, t, flen) != 0))
			return false;
		bool fmore = f[flen] == '/';
		bool tmore = t[tlen] == '/';
		if (!fmore)
			return !tmore;
		f += flen + 1;
		t = tmore ? t + tlen + 1 : NULL;
	}
}

const char *ck_topic_basic_ingest(const char *topic, char *name, size_t name_len)
{
	static const char prefix[] = "$aws/rules/";
	if (strncmp(topic, prefix, sizeof(prefix) - 1) != 0)
		return NULL;
	const char *p = topic + sizeof(prefix) - 1;
	size_t len = strcspn(p, "/");
	if (len == 0 || len >= name_len || p[len] != '/' || p[len + 1] == '\0')
		return NULL;
	memcpy(name, p, len);
	name[len] = '\0';
	return p + len + 1;
}
