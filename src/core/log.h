/*
 * Logging for every clickd process: one line per record on stderr, with a
 * UTC timestamp, a level and the component. Secrets never reach a log: call
 * sites log names and fingerprints, never keys, tokens or passwords.
 */
#ifndef CK_LOG_H
#define CK_LOG_H

enum ck_log_level { CK_LOG_DEBUG = 0, CK_LOG_INFO, CK_LOG_WARN, CK_LOG_ERROR };

/* Sets the lowest level written; the default is CK_LOG_INFO. Thread-safe. */
void ck_log_set_level(enum ck_log_level level);

/* Parses "debug", "info", "warn" or "error"; returns 0 or -EINVAL. */
int ck_log_parse_level(const char *name, enum ck_log_level *out);

/* Writes one record. component names the module ("ingest", "broker"). */
void ck_log(enum ck_log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define ck_debug(c, ...) ck_log(CK_LOG_DEBUG, c, __VA_ARGS__)
#define ck_info(c, ...)  ck_log(CK_LOG_INFO, c, __VA_ARGS__)
#define ck_warn(c, ...)  ck_log(CK_LOG_WARN, c, __VA_ARGS__)
#define ck_error(c, ...) ck_log(CK_LOG_ERROR, c, __VA_ARGS__)

#endif
