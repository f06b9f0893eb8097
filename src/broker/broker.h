/*
 * The supervised broker: clickd writes mosquitto's configuration, runs
 * mosquitto as its child, restarts it with exponential backoff when it dies,
 * and stops it on shutdown. This module owns the child process and the
 * generated configuration file; it does not own the event loop: the caller
 * reports child exits (from SIGCHLD) and calls back when a restart is due.
 */
#ifndef CK_BROKER_H
#define CK_BROKER_H

#include <stdint.h>
#include <sys/types.h>

struct ck_broker_config {
	const char *data_dir;       /* holds ca/, journal/, registry.snapshot */
	const char *mosquitto_path; /* the broker binary */
	const char *plugin_path;    /* clickd_plugin.so */
	const char *mqtt_addr;      /* device listener address, e.g. "0.0.0.0" */
	int mqtt_port;              /* device listener port (mutual TLS) */
	int local_port;             /* clickd's own listener on 127.0.0.1 */
	const char *run_user;       /* "user" option, or NULL to leave it out */
	/* Journal options for the plugin, written only when journal_sync is
	 * set (else the plugin's defaults: normal, 1 GiB, one day). */
	const char *journal_sync;      /* plugin_opt_sync: "normal" or "full" */
	long long journal_max_bytes;   /* plugin_opt_max_bytes */
	long long journal_retention_s; /* plugin_opt_retention_s */
};

enum ck_broker_state {
	CK_BROKER_STOPPED = 0,
	CK_BROKER_STARTING,   /* spawned, local listener not answering yet */
	CK_BROKER_RUNNING,    /* local listener answers */
	CK_BROKER_RESTARTING, /* died; waiting for the backoff to pass */
};

struct ck_broker;

/*
 * Renders the mosquitto configuration for cfg into buf (NUL-terminated).
 * Pure. Returns the length, or -ENOSPC when cap is too small.
 */
int ck_broker_render_config(const struct ck_broker_config *cfg, char *buf, size_t cap);

/*
 * Writes DATA_DIR/mosquitto.conf atomically. Returns 0 or a negative errno
 * with a one-line reason in err.
 */
int ck_broker_write_config(const struct ck_broker_config *cfg, char *err, size_t err_len);

/* Creates a supervisor for cfg (strings are copied). Returns NULL on ENOMEM. */
struct ck_broker *ck_broker_new(const struct ck_broker_config *cfg);
void ck_broker_free(struct ck_broker *b);

/*
 * Spawns mosquitto -c DATA_DIR/mosquitto.conf. Returns 0, or a negative
 * errno when fork or exec setup fails (logged).
 */
int ck_broker_start(struct ck_broker *b, int64_t now_ms);

/* The running child's pid, or 0. */
pid_t ck_broker_pid(const struct ck_broker *b);

enum ck_broker_state ck_broker_state(const struct ck_broker *b);
const char *ck_broker_state_name(enum ck_broker_state s);

/*
 * Reports that the child exited with wait status. Returns the delay in ms
 * before the caller should call ck_broker_start again (backoff doubling
 * from 200 ms to 30 s; reset after 10 s of healthy running).
 */
int64_t ck_broker_exited(struct ck_broker *b, int status, int64_t now_ms);

/*
 * Probes the local listener; moves STARTING to RUNNING when it answers.
 * Returns true when the broker is running.
 */
int ck_broker_probe(struct ck_broker *b);

/*
 * Stops a broker left running by an earlier clickd of the same data
 * directory (clickd was killed; its broker kept accepting and journaling
 * presses meanwhile). Identified by DATA_DIR/mosquitto.pid and a command
 * line naming DATA_DIR/mosquitto.conf, so no unrelated process is touched.
 * Returns 1 when one was stopped, 0 when there was none.
 */
int ck_broker_stop_stale(const char *data_dir);

/*
 * Stops the child: SIGTERM, waits up to timeout_ms, then SIGKILL. Reaps it.
 */
void ck_broker_stop(struct ck_broker *b, int timeout_ms);

#endif
