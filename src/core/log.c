/*
 * Line-oriented logger. Each record is formatted into one buffer and written
 * with a single write(2), so records from several threads never interleave.
 */
#include "core/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static _Atomic int min_level = CK_LOG_INFO;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void ck_log_set_level(enum ck_log_level level)
{
	atomic_store(&min_level, (int)level);
}

int ck_log_parse_level(const char *name, enum ck_log_level *out)
{
	for (int i = 0; i < 4; i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum ck_log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

void ck_log(enum ck_log_level level, const char *component, const char *fmt, ...)
{
	if ((int)level < atomic_load(&min_level))
		return;

	char line[2048];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof(line),
	                 "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s: ", tm.tm_year + 1900,
	                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	                 ts.tv_nsec / 1000000, level_names[level], component);
	if (n < 0)
		return;
	size_t used = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;

	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + used, sizeof(line) - used, fmt, ap);
	va_end(ap);
	if (m > 0)
		used += (size_t)m < sizeof(line) - used ? (size_t)m : sizeof(line) - used - 1;
	if (used >= sizeof(line) - 1)
		used = sizeof(line) - 2;
	line[used++] = '\n';

	/* A failed log write has nowhere better to go; ignore it. */
	ssize_t w = write(STDERR_FILENO, line, used);
	(void)w;
}
