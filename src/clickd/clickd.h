/*
 * Wiring of the clickd server: options, data directory, and the main loop.
 * Private to the clickd program.
 */
#ifndef CK_CLICKD_H
#define CK_CLICKD_H

#include <stddef.h>
#include <stdint.h>

struct ck_options {
	const char *data_dir;
	char http_addr[64];
	int http_port;
	char mqtt_addr[64];
	int mqtt_port;
	const char *public_host;
	const char *mosquitto;
	const char *plugin;
	int64_t dedup_window_ms;
	const char *account_id;
	const char *prices;        /* price file for the usage API; NULL: the default one */
	int64_t function_retry_ms; /* first retry of a failed function; 0: default */
	/* Journal (plugin options, docs/operators-guide.md). */
	const char *journal_sync;      /* "normal" or "full" */
	long long journal_max_bytes;   /* bytes */
	long long journal_retention_s; /* acknowledged rows are kept this long */
	const char *web_dir;           /* the web app's files (--web-dir) */
	int cookie_secure;             /* session cookies marked Secure (--cookie-secure) */
};

/* Creates dir (0700) if missing and checks it is writable. */
int ck_datadir_prepare(const char *dir, char *err, size_t err_len);

/*
 * Reads the secret in dir/name into out, creating it (64 random hex
 * characters, file mode 0600) when the file does not exist.
 */
int ck_datadir_secret(const char *dir, const char *name, char *out, size_t out_len, char *err,
                      size_t err_len);

/* Runs the server until SIGTERM or SIGINT. Returns the exit status. */
int ck_server_run(const struct ck_options *opt);

#endif
