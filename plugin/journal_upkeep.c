/*
 * Journal upkeep (see journal_upkeep.h). Pruning removes whole segments
 * (ck_journal_writer_prune): at most CK_JOURNAL_PRUNE_MAX unlinks per tick,
 * never a segment holding a sequence clickd has not acknowledged, never
 * the newest.
 */
#include "journal_upkeep.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>

#include "logging.h"
#include "plugin.h"

#define ACK_HEADER   "clickd-journal-ack 1\n"
#define ACK_MAX      256
#define STATS_HEADER "clickd-plugin-stats 1\n"

static int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ck_plugin_journal_parse_ack(const char *text, size_t len, int64_t *seq)
{
	char buf[ACK_MAX + 1];
	size_t hl = strlen(ACK_HEADER);

	if (len > ACK_MAX || len <= hl || memcmp(text, ACK_HEADER, hl) != 0)
		return -EINVAL;
	memcpy(buf, text + hl, len - hl);
	buf[len - hl] = '\0';
	if (strncmp(buf, "acked ", 6) != 0 || buf[6] < '0' || buf[6] > '9')
		return -EINVAL;
	char *end = NULL;
	errno = 0;
	long long v = strtoll(buf + 6, &end, 10);
	if (errno || strcmp(end, "\n") != 0 || v < 0)
		return -EINVAL;
	*seq = v;
	return 0;
}

void ck_plugin_journal_read_ack(struct ck_plugin_journal *j)
{
	struct stat sb;
	char buf[ACK_MAX + 1];

	if (!j->ack_path || stat(j->ack_path, &sb) != 0)
		return;
	int64_t mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
	if (j->ack_id.dev == (uint64_t)sb.st_dev && j->ack_id.ino == (uint64_t)sb.st_ino &&
	    j->ack_id.size == (int64_t)sb.st_size && j->ack_id.mtime_ns == mtime_ns)
		return;
	int fd = open(j->ack_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	int64_t seq = 0;
	if (n < 0 || ck_plugin_journal_parse_ack(buf, (size_t)n, &seq) != 0) {
		if (!j->ack_warned)
			ck_plugin_log(MOSQ_LOG_WARNING,
			              "%s is not a valid acknowledgement file; nothing is pruned "
			              "until clickd rewrites it",
			              j->ack_path);
		j->ack_warned = true;
		return;
	}
	j->ack_warned = false;
	j->ack_id.dev = (uint64_t)sb.st_dev;
	j->ack_id.ino = (uint64_t)sb.st_ino;
	j->ack_id.size = (int64_t)sb.st_size;
	j->ack_id.mtime_ns = mtime_ns;
	if (seq != j->st.acked_seq)
		j->stats_dirty = true;
	j->st.acked_seq = seq;
}

/* Copies the writer's own bookkeeping into the statistics; a closed
 * writer leaves the last figures. */
static void measure(struct ck_plugin_journal *j)
{
	if (j->w.dirfd < 0)
		return;
	j->st.used_bytes = j->w.total_bytes;
	j->st.segments = (int64_t)j->w.n_segs;
	j->st.last_seq = j->w.last_seq;
}

static void prune(struct ck_plugin_journal *j)
{
	if (j->w.dirfd < 0 || j->st.acked_seq <= 0)
		return;
	if (j->st.acked_seq > j->w.last_seq) {
		/* clickd acknowledged records this journal never had: it was
		 * replaced or lost its tail. Pruning by that number could remove
		 * records clickd has not seen. */
		if (!j->prune_warned)
			ck_plugin_log(MOSQ_LOG_WARNING,
			              "%s acknowledges sequence %" PRId64 " but %s ends at %" PRId64
			              "; not pruning until clickd catches up",
			              j->ack_path, j->st.acked_seq, j->path, j->w.last_seq);
		j->prune_warned = true;
		return;
	}
	int64_t removed = 0;
	int64_t cutoff = wall_clock_ms() - j->cfg.retention_s * 1000;
	if (ck_journal_writer_prune(&j->w, j->st.acked_seq, cutoff, &removed) != 0) {
		if (!j->prune_warned)
			ck_plugin_log(MOSQ_LOG_WARNING, "cannot prune %s: %s", j->path, j->w.err);
		j->prune_warned = true;
	} else {
		j->prune_warned = false;
	}
	if (removed > 0) {
		j->st.pruned_rows += (uint64_t)removed;
		j->stats_dirty = true;
	}
}

static void reopen_if_due(struct ck_plugin_journal *j, int64_t now)
{
	bool bad = j->w.dirfd < 0 || j->w.broken;
	if (!bad || now < j->next_reopen_ms)
		return;
	j->next_reopen_ms = now + CK_JOURNAL_REOPEN_MS;
	bool was_closed = j->w.dirfd < 0;
	if (ck_plugin_journal_reopen(j) == 0) {
		if (was_closed)
			ck_plugin_log(MOSQ_LOG_NOTICE,
			              "journal %s opened; device messages are accepted again once "
			              "one is stored",
			              j->path);
		return;
	}
	/* Still failing: the episode's line was logged when it began. */
	j->stats_dirty = true;
}

/* Writes plugin.stats through a temporary file and rename. */
static int write_stats(struct ck_plugin_journal *j)
{
	char text[2048], tmp[4200];
	int64_t now = wall_clock_ms();
	int64_t since =
	    j->failing == CK_JCAUSE_NONE ? 0 : now - (monotonic_ms() - j->failing_since_ms);
	int n = snprintf(
	    text, sizeof(text),
	    STATS_HEADER "written_ms %" PRId64 "\nsync %s\nmax_bytes %" PRId64
	                 "\nretention_s %" PRId64 "\nfailing %s\nfailing_since_ms %" PRId64
	                 "\nappends %" PRIu64 "\nappend_bytes %" PRIu64 "\npruned_rows %" PRIu64
	                 "\nused_bytes %" PRId64 "\nsegments %" PRId64 "\nlast_seq %" PRId64
	                 "\nacked_seq %" PRId64 "\n",
	    now, j->cfg.sync_full ? "full" : "normal", j->cfg.max_bytes, j->cfg.retention_s,
	    ck_plugin_journal_cause_name(j->failing), since, j->st.appends, j->st.append_bytes,
	    j->st.pruned_rows, j->st.used_bytes, j->st.segments, j->st.last_seq, j->st.acked_seq);
	for (int c = CK_JCAUSE_NONE + 1; c < CK_JCAUSE_COUNT && n > 0 && (size_t)n < sizeof(text);
	     c++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "failures_%s %" PRIu64 "\n",
		              ck_plugin_journal_cause_name((enum ck_journal_cause)c),
		              j->st.failures[c]);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -ENOSPC;
	snprintf(tmp, sizeof(tmp), "%s.tmp", j->stats_path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	ssize_t w = write(fd, text, (size_t)n);
	int rc = w == n ? 0 : (w < 0 ? -errno : -ENOSPC);
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, j->stats_path) != 0)
		rc = -errno;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

static void stats_if_due(struct ck_plugin_journal *j, int64_t now)
{
	int64_t age = now - j->stats_written_ms;
	if (j->stats_written_ms &&
	    (age < CK_JOURNAL_STATS_MS || (!j->stats_dirty && age < CK_JOURNAL_STATS_IDLE)))
		return;
	j->stats_written_ms = now;
	measure(j);
	int rc = write_stats(j);
	if (rc != 0) {
		if (!j->stats_warned)
			ck_plugin_log(MOSQ_LOG_WARNING, "cannot write %s: %s", j->stats_path,
			              strerror(-rc));
		j->stats_warned = true;
		return;
	}
	j->stats_warned = false;
	j->stats_dirty = false;
}

int ck_plugin_journal_on_tick(int event, void *event_data, void *userdata)
{
	struct ck_plugin *p = userdata;
	struct ck_plugin_journal *j = &p->journal;

	(void)event;
	(void)event_data;
	int64_t now = monotonic_ms();
	if (now < j->next_upkeep_ms)
		return MOSQ_ERR_SUCCESS;
	j->next_upkeep_ms = now + CK_JOURNAL_UPKEEP_MS;
	reopen_if_due(j, now);
	ck_plugin_journal_read_ack(j);
	prune(j);
	stats_if_due(j, now);
	return MOSQ_ERR_SUCCESS;
}
