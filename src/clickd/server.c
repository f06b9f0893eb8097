/*
 * The clickd server: brings the pieces up in an order that reports every
 * configuration problem before anything is started, then runs one epoll
 * loop over signals, journal growth (inotify), timers and rule changes.
 * The loop thread owns the ingest store connection and the rule set; the
 * HTTP thread has its own store connection and talks to the loop only
 * through an eventfd (rules changed) and an atomic (broker state).
 */
#include "clickd/clickd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "broker/broker.h"
#include "broker/journal_ack.h"
#include "core/log.h"
#include "cost/prices_file.h"
#include "engine/courier.h"
#include "engine/provisioner.h"
#include "engine/escalator.h"
#include "engine/ingest.h"
#include "engine/rules.h"
#include "journal/reader.h"
#include "journal/writer.h"
#include "http/http.h"
#include "registry/ca.h"
#include "registry/snapshot.h"
#include "registry/trust.h"
#include "store/store.h"

#define JOURNAL_DIR    "journal"
#define LEGACY_JOURNAL "journal.db" /* the SQLite journal of earlier versions */
#define STORE_FILE     "clickd.db"
#define SNAPSHOT_FILE  "registry.snapshot"
#define RETRY_MS       1000
#define PROBE_MS       50
#define DRAIN_SLICE    16   /* batches (of CK_INGEST_BATCH rows) per turn of the loop */
#define ACK_MS         100  /* journal.ack at most this often */
#define ACK_FULL_MS    1000 /* ... and with --journal-sync full */

struct server {
	const struct ck_options *opt;
	char path[6][4096]; /* store, journal dir, snapshot, ca dir, plugin stats, store WAL */
	char token[128];
	char endpoint_host[256];
	struct ck_ca *ca;
	struct ck_store *store;           /* loop thread */
	struct ck_journal_reader journal; /* loop thread */
	struct ck_store *http_store;      /* HTTP thread */
	struct ck_rules *rules;
	struct ck_broker *broker;
	struct ck_http *http;
	struct ck_courier *courier;
	struct ck_cost_prices prices;
	char prices_path[4096];
	struct ck_provisioner *provisioner;
	struct ck_escalator *escalator; /* call escalation timers */
	struct ck_api_env env;
	_Atomic int broker_state;
	_Atomic int64_t journal_lost; /* the reader's count, for /metrics */
	_Atomic int broker_pid;       /* for SIGHUP from the HTTP thread */
	char endpoint_hosts[2][256];
	int epfd, sigfd, inofd, timerfd, rulesfd;
	int64_t restart_at, retry_at; /* 0 when not due */
	struct ck_ingest_stats stats;
	struct ck_ingest_config ingest_cfg;
	int64_t acked, acked_at; /* last journal.ack written (-1: none yet), when (monotonic) */
	bool ack_warned;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void rules_changed(void *arg)
{
	struct server *sv = arg;
	uint64_t one = 1;
	ssize_t w = write(sv->rulesfd, &one, sizeof(one));
	(void)w; /* a full counter still wakes the loop */
}

static void outbox_changed(void *arg)
{
	struct server *sv = arg;
	ck_courier_wake(sv->courier);
}

/* On the escalator's thread: deliver the notices, update the streams. */
static void escalations_fired(void *arg)
{
	struct server *sv = arg;
	ck_courier_wake(sv->courier);
	ck_http_notify(sv->http);
}

static const char *broker_state(void *arg)
{
	struct server *sv = arg;
	return ck_broker_state_name((enum ck_broker_state)atomic_load(&sv->broker_state));
}

static int64_t journal_lost(void *arg)
{
	struct server *sv = arg;
	return atomic_load(&sv->journal_lost);
}

static void publish_broker_state(struct server *sv)
{
	atomic_store(&sv->broker_state, (int)ck_broker_state(sv->broker));
	atomic_store(&sv->broker_pid, (int)ck_broker_pid(sv->broker));
}

/* The broker's CA bundle or CRL changed: mosquitto re-reads both on
 * SIGHUP (with a crlfile set it rebuilds the listener's TLS context). */
static void trust_changed(void *arg)
{
	struct server *sv = arg;
	pid_t pid = (pid_t)atomic_load(&sv->broker_pid);

	if (pid > 0 && kill(pid, SIGHUP) == 0)
		ck_info("clickd", "asked the broker to reload its CA bundle and CRL");
}

/*
 * Records clickd's CA among the trusted ones, re-signs the server
 * certificate with the oldest clickd CA still trusted when a rotation left
 * one (devices not yet re-issued know only that one), and writes the
 * broker's trust.pem and crl.pem.
 */
static int setup_trust(struct server *sv, char *err, size_t err_len)
{
	char signer_fp[CK_FINGERPRINT_LEN + 1];
	struct ck_ca *signer = NULL;
	bool changed = false;
	int64_t now = now_ms();
	int rc = ck_trust_register_self(sv->store, sv->ca, now);

	if (rc == 0)
		rc = ck_trust_server_signer(sv->store, signer_fp);
	if (rc == 0 && strcmp(signer_fp, ck_ca_fingerprint(sv->ca)) != 0) {
		const char *hosts[] = { "localhost", "127.0.0.1", sv->endpoint_hosts[0],
			                sv->endpoint_hosts[1] };
		rc = ck_ca_open_archived(sv->path[3], signer_fp, &signer, err, err_len);
		if (rc == 0)
			rc = ck_ca_issue_server_by(signer, sv->ca, hosts, 4, err, err_len);
		ck_ca_free(signer);
		if (rc != 0)
			return rc;
	}
	if (rc == 0)
		rc = ck_trust_sync(sv->store, sv->ca, sv->path[3], now, &changed);
	if (rc != 0)
		snprintf(err, err_len, "cannot write the broker's CA bundle and CRL in %s",
		         sv->path[3]);
	return rc;
}

/* Binds addr:port briefly to learn whether it is free; port 0 picks one. */
static int probe_port(const char *addr, int *port, char *err, size_t err_len, const char *what)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)*port) };
	inet_pton(AF_INET, addr, &sa.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;
		snprintf(err, err_len, "%s address %s:%d %s", what, addr, *port,
		         e == EADDRINUSE ? "is in use" : strerror(e));
		close(fd);
		return -e;
	}
	socklen_t len = sizeof(sa);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	*port = ntohs(sa.sin_port);
	close(fd);
	return 0;
}

static int find_plugin(const struct ck_options *opt, char *out, size_t len, char *err,
                       size_t err_len)
{
	if (opt->plugin) {
		snprintf(out, len, "%s", opt->plugin);
	} else {
		char exe[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		exe[n > 0 ? n : 0] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		snprintf(out, len, "%s/clickd_plugin.so", exe);
		if (access(out, R_OK) != 0)
			snprintf(out, len, "%s/../lib/clickd/clickd_plugin.so", exe);
	}
	if (access(out, R_OK) != 0) {
		snprintf(err, err_len, "cannot find the broker plugin %s (use --plugin PATH)", out);
		return -ENOENT;
	}
	char *real = realpath(out, NULL);
	if (real) {
		snprintf(out, len, "%s", real);
		free(real);
	}
	return 0;
}

static int setup_certificates(struct server *sv, char *err, size_t err_len)
{
	const struct ck_options *opt = sv->opt;
	int rc = ck_ca_open(sv->path[3], &sv->ca, err, err_len);
	if (rc != 0)
		return rc;
	if (opt->public_host)
		snprintf(sv->endpoint_host, sizeof(sv->endpoint_host), "%s", opt->public_host);
	else
		snprintf(sv->endpoint_host, sizeof(sv->endpoint_host), "%s",
		         strcmp(opt->mqtt_addr, "0.0.0.0") == 0 ? "127.0.0.1" : opt->mqtt_addr);
	char hostname[256] = "";
	gethostname(hostname, sizeof(hostname) - 1);
	const char *hosts[] = { "localhost", "127.0.0.1", sv->endpoint_host,
		                hostname[0] ? hostname : "localhost" };
	snprintf(sv->endpoint_hosts[0], sizeof(sv->endpoint_hosts[0]), "%s", hosts[2]);
	snprintf(sv->endpoint_hosts[1], sizeof(sv->endpoint_hosts[1]), "%s", hosts[3]);
	return ck_ca_issue_server(sv->ca, hosts, 4, err, err_len);
}

/* The import of an older version's SQLite journal (import_legacy). */
struct import {
	struct ck_journal_writer w;
	int64_t skip; /* rows an interrupted earlier import already copied */
	int64_t copied;
};

static int import_row(const struct ck_journal_row *row, void *ctx)
{
	struct import *im = ctx;

	if (im->skip > 0) {
		im->skip--;
		return 0;
	}
	int rc = ck_journal_writer_append(&im->w, row, now_ms(), NULL);
	if (rc == -EINVAL) {
		ck_warn("clickd", "old journal row %lld cannot be a journal record; skipped",
		        (long long)row->seq);
		return 0;
	}
	im->copied += rc == 0;
	return rc;
}

/*
 * Carries the rows an earlier version's DATA/journal.db holds beyond the
 * store's cursor into the journal directory, then renames the old file to
 * journal.db.imported (kept for the operator). Runs before the broker
 * starts, so nothing else writes either journal. A crash half-way leaves
 * journal.db in place with some rows already copied, numbered from the
 * cursor on; the next start skips that many, so nothing is copied twice.
 */
static int import_legacy(struct server *sv, char *err, size_t err_len)
{
	char legacy[4200], dest[4200];
	struct ck_journal_writer_config wc = { .max_bytes = INT64_MAX / 2 };
	struct import im = { .copied = 0 };
	int64_t cursor = 0;

	snprintf(legacy, sizeof(legacy), "%s/%s", sv->opt->data_dir, LEGACY_JOURNAL);
	if (access(legacy, F_OK) != 0)
		return 0;
	int rc = ck_store_cursor_get(sv->store, CK_INGEST_CURSOR, &cursor);
	if (rc != 0) {
		snprintf(err, err_len, "cannot read the ingest cursor to import %s", legacy);
		return rc;
	}
	ck_journal_writer_init(&im.w);
	rc = ck_journal_writer_open(&im.w, sv->path[1], &wc, cursor, NULL);
	if (rc == 0) {
		im.skip = im.w.last_seq - cursor;
		rc = ck_store_legacy_journal_read(legacy, cursor, import_row, &im);
		if (rc >= 0)
			rc = ck_journal_writer_sync(&im.w);
	}
	if (rc < 0) {
		snprintf(err, err_len, "cannot import %s into %s: %s", legacy, sv->path[1],
		         im.w.err[0] ? im.w.err : "the old journal cannot be read");
		ck_journal_writer_close(&im.w);
		return rc;
	}
	ck_info("clickd", "imported %lld unprocessed rows of %s into %s", (long long)im.copied,
	        legacy, sv->path[1]);
	ck_journal_writer_close(&im.w);
	snprintf(dest, sizeof(dest), "%s.imported", legacy);
	if (rename(legacy, dest) != 0) {
		snprintf(err, err_len, "imported %s but cannot rename it: %s", legacy,
		         strerror(errno));
		return -errno;
	}
	return 0;
}

/* Opens the journal directory for reading, refusing a damaged one, after
 * carrying over an older version's journal. */
static int setup_journal(struct server *sv, char *err, size_t err_len)
{
	char why[400];
	int rc = ck_journal_reader_open(&sv->journal, sv->path[1]);

	if (rc != 0) {
		snprintf(err, err_len, "cannot open the journal %s: %s", sv->path[1],
		         strerror(-rc));
		return rc;
	}
	if ((rc = ck_journal_reader_check(&sv->journal, why, sizeof(why))) != 0) {
		snprintf(err, err_len,
		         "the journal is damaged: %s (see \"Journal\" in docs/operators-guide.md)",
		         why);
		return rc;
	}
	return import_legacy(sv, err, err_len);
}

static int setup(struct server *sv, char *err, size_t err_len)
{
	const struct ck_options *opt = sv->opt;
	const char *dir = opt->data_dir;
	char secret[128] = "";
	int rc;

	snprintf(sv->path[0], sizeof(sv->path[0]), "%s/%s", dir, STORE_FILE);
	snprintf(sv->path[1], sizeof(sv->path[1]), "%s/%s", dir, JOURNAL_DIR);
	snprintf(sv->path[2], sizeof(sv->path[2]), "%s/%s", dir, SNAPSHOT_FILE);
	snprintf(sv->path[3], sizeof(sv->path[3]), "%s/ca", dir);
	snprintf(sv->path[4], sizeof(sv->path[4]), "%s/plugin.stats", dir);
	snprintf(sv->path[5], sizeof(sv->path[5]), "%s/%s-wal", dir, STORE_FILE);

	if (access(opt->mosquitto, X_OK) != 0) {
		snprintf(err, err_len,
		         "cannot run the broker %s: %s (install mosquitto or use "
		         "--mosquitto PATH)",
		         opt->mosquitto, strerror(errno));
		return -ENOENT;
	}
	char plugin[PATH_MAX];
	if ((rc = find_plugin(opt, plugin, sizeof(plugin), err, err_len)) != 0)
		return rc;
	if ((rc = ck_datadir_prepare(dir, err, err_len)) != 0)
		return rc;
	if ((rc = ck_datadir_secret(dir, "admin.token", sv->token, sizeof(sv->token), err,
	                            err_len)) != 0 ||
	    (rc = ck_datadir_secret(dir, "broker.secret", secret, sizeof(secret), err, err_len)) !=
	        0)
		return rc;
	if ((rc = setup_certificates(sv, err, err_len)) != 0)
		return rc;
	if ((rc = ck_store_open_sqlite(sv->path[0], &sv->store, err, err_len)) != 0 ||
	    (rc = ck_store_open_sqlite(sv->path[0], &sv->http_store, err, err_len)) != 0)
		return rc;
	if ((rc = setup_journal(sv, err, err_len)) != 0)
		return rc;
	if ((rc = setup_trust(sv, err, err_len)) != 0)
		return rc;
	if ((rc = ck_snapshot_write(sv->store, sv->path[2])) != 0) {
		snprintf(err, err_len, "cannot write %s", sv->path[2]);
		return rc;
	}
	if ((rc = ck_rules_load(sv->store, &sv->rules)) != 0) {
		snprintf(err, err_len, "cannot load rules from the store");
		return rc;
	}

	char abs_dir[PATH_MAX];
	if (!realpath(dir, abs_dir))
		snprintf(abs_dir, sizeof(abs_dir), "%s", dir);
	ck_broker_stop_stale(abs_dir);

	int mqtt_port = opt->mqtt_port, local_port = 0;
	if ((rc = probe_port(opt->mqtt_addr, &mqtt_port, err, err_len, "MQTT")) != 0 ||
	    (rc = probe_port("127.0.0.1", &local_port, err, err_len, "local MQTT")) != 0)
		return rc;
	char perr[256];
	bool have_prices = ck_cost_prices_load(opt->prices, &sv->prices, sv->prices_path,
	                                       sizeof(sv->prices_path), perr, sizeof(perr)) == 0;
	if (!have_prices && opt->prices) {
		snprintf(err, err_len, "--prices: %s", perr);
		return -EINVAL;
	}
	if (!have_prices)
		ck_warn("clickd", "%s; the usage API shows no AWS equivalent", perr);
	sv->env = (struct ck_api_env){
		.prices = have_prices ? &sv->prices : NULL,
		.prices_path = sv->prices_path,
		.store = sv->http_store,
		.ca = sv->ca,
		.token = sv->token,
		.snapshot_path = sv->path[2],
		.ca_dir = sv->path[3],
		.trust_changed = trust_changed,
		.stats_path = sv->path[4],
		.endpoint_host = sv->endpoint_host,
		.endpoint_port = mqtt_port,
		.rules_changed = rules_changed,
		.outbox_changed = outbox_changed,
		.broker_state = broker_state,
		.journal_lost = journal_lost,
		.arg = sv,
		.web_dir = opt->web_dir,
		.cookie_secure = opt->cookie_secure,
	};
	if ((rc = ck_http_start(opt->http_addr, opt->http_port, &sv->env, &sv->http, err,
	                        err_len)) != 0)
		return rc;

	struct ck_broker_config bc = {
		.data_dir = dir,
		.mosquitto_path = opt->mosquitto,
		.plugin_path = plugin,
		.mqtt_addr = opt->mqtt_addr,
		.mqtt_port = mqtt_port,
		.local_port = local_port,
		.run_user = geteuid() == 0 ? "root" : NULL,
		.journal_sync = opt->journal_sync,
		.journal_max_bytes = opt->journal_max_bytes,
		.journal_retention_s = opt->journal_retention_s,
	};
	bc.data_dir = abs_dir;
	if ((rc = ck_broker_write_config(&bc, err, err_len)) != 0)
		return rc;
	sv->broker = ck_broker_new(&bc);
	if (!sv->broker) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	struct ck_courier_config cc = {
		.store_path = sv->path[0],
		.mqtt_host = "127.0.0.1",
		.mqtt_port = local_port,
		.mqtt_user = "clickd",
		.mqtt_password = secret,
		.function_retry_ms = opt->function_retry_ms,
	};
	rc = ck_courier_start(&cc, &sv->courier, err, err_len);
	if (rc == 0) {
		struct ck_provisioner_config pc = {
			.store_path = sv->path[0],
			.ca_dir = sv->path[3],
			.snapshot_path = sv->path[2],
			.mqtt_host = "127.0.0.1",
			.mqtt_port = local_port,
			.mqtt_user = "clickd",
			.mqtt_password = secret,
		};
		rc = ck_provisioner_start(&pc, &sv->provisioner, err, err_len);
	}
	explicit_bzero(secret, sizeof(secret)); /* the courier keeps its own copy */
	if (rc != 0)
		return rc;
	struct ck_escalator_config ec = {
		.store_path = sv->path[0],
		.fired = escalations_fired,
		.arg = sv,
	};
	return ck_escalator_start(&ec, &sv->escalator, err, err_len);
}

/*
 * Blocks the signals the loop reads from its signalfd. Must run before any
 * thread starts: a thread created with them unblocked would take SIGTERM's
 * default action and kill clickd without stopping the broker.
 */
static void block_signals(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, mask, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int setup_loop(struct server *sv, char *err, size_t err_len)
{
	sigset_t mask;
	block_signals(&mask);

	sv->epfd = epoll_create1(EPOLL_CLOEXEC);
	sv->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	sv->inofd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	sv->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	sv->rulesfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (sv->epfd < 0 || sv->sigfd < 0 || sv->inofd < 0 || sv->timerfd < 0 || sv->rulesfd < 0) {
		snprintf(err, err_len, "cannot set up the event loop: %s", strerror(errno));
		return -EIO;
	}
	/* The plugin's appends modify the newest segment; a new segment is a
	 * create. The event comes after the write, so a drain it wakes sees
	 * the record. */
	if (inotify_add_watch(sv->inofd, sv->path[1], IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0) {
		snprintf(err, err_len, "cannot watch %s: %s", sv->path[1], strerror(errno));
		return -errno;
	}
	int fds[] = { sv->sigfd, sv->inofd, sv->timerfd, sv->rulesfd };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fds[i] };
		if (epoll_ctl(sv->epfd, EPOLL_CTL_ADD, fds[i], &ev) != 0) {
			snprintf(err, err_len, "cannot set up the event loop: %s", strerror(errno));
			return -errno;
		}
	}
	return 0;
}

/* Arms the timer for the earliest due item: restart, retry, or probing. */
static void arm_timer(struct server *sv)
{
	int64_t now = mono_ms(), due = 0;
	int64_t cand[3] = { sv->restart_at, sv->retry_at,
		            ck_broker_state(sv->broker) == CK_BROKER_STARTING ? now + PROBE_MS
		                                                              : 0 };
	for (int i = 0; i < 3; i++)
		if (cand[i] && (!due || cand[i] < due))
			due = cand[i];
	struct itimerspec its = { 0 };
	if (due) {
		int64_t in = due > now ? due - now : 1;
		its.it_value.tv_sec = in / 1000;
		its.it_value.tv_nsec = (in % 1000) * 1000000L;
	}
	timerfd_settime(sv->timerfd, 0, &its, NULL);
}

/*
 * Tells the plugin how far the journal is processed (journal.ack), after
 * the cursor committed: at most every ACK_MS (a write costs about 150 us on
 * ext4), with --journal-sync full every ACK_FULL_MS since each write also
 * syncs the store's WAL; a later one is left to the retry timer. A stale
 * acknowledgement only delays pruning.
 */
static void acknowledge(struct server *sv)
{
	int64_t cursor = 0, now = mono_ms();
	bool full = strcmp(sv->opt->journal_sync, "full") == 0;
	if (ck_store_cursor_get(sv->store, CK_INGEST_CURSOR, &cursor) != 0 || cursor == sv->acked)
		return;
	int64_t every = full ? ACK_FULL_MS : ACK_MS;
	if (now - sv->acked_at < every) {
		/* The retry timer drains (nothing) and acknowledges then. */
		if (!sv->retry_at || sv->retry_at > sv->acked_at + every)
			sv->retry_at = sv->acked_at + every;
		return;
	}
	int rc = ck_journal_ack_write(sv->opt->data_dir, cursor, full ? sv->path[5] : NULL);
	if (rc != 0) {
		if (!sv->ack_warned)
			ck_warn("ingest",
			        "cannot write %s/journal.ack: %s; the journal is not pruned",
			        sv->opt->data_dir, strerror(-rc));
		sv->ack_warned = true; /* retried after the next batch */
		return;
	}
	sv->ack_warned = false;
	sv->acked = cursor;
	sv->acked_at = now;
}

/*
 * Processes what the journal holds, DRAIN_SLICE batches at a time: a large
 * backlog (clickd was down) is drained in slices with the loop's other work
 * (signals, the broker, rule changes) in between, by asking the timer to
 * come back at once.
 */
static void drain_journal(struct server *sv)
{
	int64_t enqueued = sv->stats.enqueued, processed = sv->stats.processed;
	for (int slice = 0;; slice++) {
		if (slice == DRAIN_SLICE) {
			sv->retry_at = mono_ms();
			break;
		}
		int n = ck_ingest_batch(sv->store, &sv->journal, sv->rules, &sv->ingest_cfg,
		                        CK_INGEST_BATCH, now_ms(), &sv->stats);
		if (n < 0) {
			sv->retry_at = mono_ms() + RETRY_MS;
			return;
		}
		if (n == 0) {
			acknowledge(sv);
			break;
		}
		ck_debug("ingest", "processed %d journal rows", n);
	}
	atomic_store(&sv->journal_lost, sv->journal.lost);
	if (sv->stats.enqueued != enqueued)
		ck_courier_wake(sv->courier);
	if (sv->stats.processed != processed)
		ck_http_notify(sv->http); /* live updates: calls may have changed */
}

static void reload_rules(struct server *sv)
{
	struct ck_rules *fresh = NULL;
	if (ck_rules_load(sv->store, &fresh) != 0) {
		ck_error("rules", "cannot reload rules; keeping the previous set");
		return;
	}
	ck_rules_free(sv->rules);
	sv->rules = fresh;
	ck_info("rules", "%zu enabled rules loaded", ck_rules_count(fresh));
}

static void reap_children(struct server *sv)
{
	int status;
	pid_t pid;
	/* Only the broker: exec functions reap their own children (functions/fexec.h). */
	pid_t broker = ck_broker_pid(sv->broker);
	while (broker > 0 && (pid = waitpid(broker, &status, WNOHANG)) > 0) {
		if (pid == broker) {
			int64_t delay = ck_broker_exited(sv->broker, status, mono_ms());
			sv->restart_at = mono_ms() + delay;
		}
	}
	publish_broker_state(sv);
}

static void on_timer(struct server *sv)
{
	uint64_t ticks;
	ssize_t r = read(sv->timerfd, &ticks, sizeof(ticks));
	(void)r;
	int64_t now = mono_ms();
	if (sv->restart_at && now >= sv->restart_at) {
		sv->restart_at = 0;
		if (ck_broker_start(sv->broker, now) != 0)
			sv->restart_at = now + RETRY_MS;
	}
	bool drain = false;
	if (sv->retry_at && now >= sv->retry_at) {
		sv->retry_at = 0;
		drain = true;
	}
	if (drain)
		drain_journal(sv);
	ck_broker_probe(sv->broker);
	publish_broker_state(sv);
}

static bool on_inotify(struct server *sv)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool journal = false;
	while (read(sv->inofd, buf, sizeof(buf)) > 0)
		journal = true; /* only the journal directory is watched */
	return journal;
}

static int loop(struct server *sv)
{
	for (;;) {
		arm_timer(sv);
		struct epoll_event evs[8];
		int n = epoll_wait(sv->epfd, evs, 8, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ck_error("clickd", "event loop failed: %s", strerror(errno));
			return 1;
		}
		bool journal = false;
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == sv->sigfd) {
				struct signalfd_siginfo si;
				while (read(sv->sigfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGCHLD) {
						reap_children(sv);
						continue;
					}
					ck_info("clickd", "signal %d received; shutting down",
					        (int)si.ssi_signo);
					return 0;
				}
			} else if (fd == sv->inofd) {
				journal |= on_inotify(sv);
			} else if (fd == sv->timerfd) {
				on_timer(sv);
			} else if (fd == sv->rulesfd) {
				uint64_t v;
				ssize_t r = read(sv->rulesfd, &v, sizeof(v));
				(void)r;
				reload_rules(sv);
				journal = true;
			}
		}
		if (journal)
			drain_journal(sv);
	}
}

static void teardown(struct server *sv)
{
	ck_escalator_stop(sv->escalator);
	ck_http_stop(sv->http);
	ck_provisioner_stop(sv->provisioner);
	ck_courier_stop(sv->courier);
	if (sv->broker) {
		ck_broker_stop(sv->broker, 5000);
		ck_broker_free(sv->broker);
	}
	ck_rules_free(sv->rules);
	ck_store_close(sv->store);
	ck_store_close(sv->http_store);
	ck_journal_reader_close(&sv->journal);
	ck_ca_free(sv->ca);
	int fds[] = { sv->epfd, sv->sigfd, sv->inofd, sv->timerfd, sv->rulesfd };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] > 0)
			close(fds[i]);
}

int ck_server_run(const struct ck_options *opt)
{
	/* acked -1: the first drain writes journal.ack even for cursor 0, so a
	 * file left by an earlier store never outlives it. */
	struct server sv = { .opt = opt, .acked = -1, .journal = { .fd = -1, .dirfd = -1 } };
	sv.ingest_cfg.dedup_window_ms = opt->dedup_window_ms;
	sv.ingest_cfg.account_id = opt->account_id;
	char err[512] = "";
	int status = 1;
	sigset_t mask;

	block_signals(&mask);
	if (setup(&sv, err, sizeof(err)) != 0 || setup_loop(&sv, err, sizeof(err)) != 0) {
		fprintf(stderr, "clickd: %s\n", err);
		goto out;
	}
	/* journal.ack before the broker opens the journal: when the journal
	 * ends below the cursor (a tail lost in a power cut, a replaced
	 * directory), the plugin numbers new presses after what is acknowledged,
	 * and they must not land at or below the cursor, where ingest skips. */
	acknowledge(&sv);
	/* The broker comes up first, so that new presses are accepted while the
	 * loop drains whatever was journaled while clickd was down. */
	if (ck_broker_start(sv.broker, mono_ms()) != 0) {
		fprintf(stderr, "clickd: cannot start the broker %s\n", opt->mosquitto);
		goto out;
	}
	publish_broker_state(&sv);
	sv.retry_at = mono_ms();
	ck_info("clickd", "ready: data in %s, API on http://%s:%d/api/v1, devices on %s:%d",
	        opt->data_dir, opt->http_addr, opt->http_port, sv.endpoint_host,
	        sv.env.endpoint_port);
	status = loop(&sv);
out:
	teardown(&sv);
	return status;
}
