/*
 * Plugin log records (see logging.h). Formats into a bounded stack buffer
 * and hands the result to mosquitto as a plain "%s" argument, so nothing a
 * client sends can act as a format string.
 */
#include "logging.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>

#define LOG_LINE_MAX 1024

void ck_plugin_log(int level, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	mosquitto_log_printf(level, "clickd_plugin: %s", line);
}

const char *ck_plugin_printable(const char *in, char out[CK_PLUGIN_LOG_FIELD_MAX + 4])
{
	size_t i = 0;

	if (!in) {
		memcpy(out, "(null)", sizeof("(null)"));
		return out;
	}
	for (; in[i] && i < CK_PLUGIN_LOG_FIELD_MAX; i++) {
		unsigned char c = (unsigned char)in[i];
		out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (in[i]) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}
