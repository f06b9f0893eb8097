/*
 * Logging for the broker plugin: every record goes through mosquitto's own
 * log (mosquitto_log_printf) with a "clickd_plugin: " prefix, so operators
 * find it next to the broker's lines. Values a client controls (client ids,
 * usernames, topics) are made printable before they are logged. Passwords
 * and secrets are never passed here.
 */
#ifndef CK_PLUGIN_LOGGING_H
#define CK_PLUGIN_LOGGING_H

#include <stddef.h>

/* Longest client-controlled string copied into a log line, in bytes. */
#define CK_PLUGIN_LOG_FIELD_MAX 80

/*
 * Writes one record at level (a MOSQ_LOG_* value). The formatted text is cut
 * at 1 KiB. Never fails; safe to call from any callback.
 */
void ck_plugin_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Copies at most CK_PLUGIN_LOG_FIELD_MAX bytes of in (NULL allowed, shown as
 * "(null)") into out, replacing bytes outside printable ASCII with '?' and
 * marking a cut with "...". Returns out.
 */
const char *ck_plugin_printable(const char *in, char out[CK_PLUGIN_LOG_FIELD_MAX + 4]);

#endif
