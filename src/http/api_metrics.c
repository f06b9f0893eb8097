/*
 * GET /metrics (see metrics.h): the route, which reads DATA/plugin.stats
 * and the ingest cursor, and the renderer, which is pure. The response is
 * returned to the HTTP glue as a raw cJSON node, which it sends as
 * text/plain instead of JSON.
 */
#include "http/metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/ingest.h"
#include "http/api_int.h"

#define STATS_HEADER "clickd-plugin-stats 1\n"
#define STATS_MAX    8192
#define MAX_KEYS     64
#define FIELD_MAX    48

struct kv {
	char key[FIELD_MAX];
	char value[FIELD_MAX];
};

/* The plugin's numeric keys, in output order. */
static const struct {
	const char *key, *name, *type, *help;
} plain[] = {
	{ "appends", "clickd_journal_appends_total", "counter",
	  "Device messages the broker plugin wrote to the journal." },
	{ "append_bytes", "clickd_journal_append_bytes_total", "counter",
	  "Payload bytes of the journaled device messages." },
	{ "pruned_rows", "clickd_journal_pruned_rows_total", "counter",
	  "Journal sequences removed with their segments after clickd acknowledged them." },
	{ "used_bytes", "clickd_journal_used_bytes", "gauge",
	  "Bytes of all journal segments; appends are refused when this reaches max_bytes." },
	{ "segments", "clickd_journal_segments", "gauge", "Journal segment files." },
	{ "max_bytes", "clickd_journal_max_bytes", "gauge", "Configured journal size limit." },
	{ "retention_s", "clickd_journal_retention_seconds", "gauge",
	  "How long acknowledged journal records are kept." },
	{ "last_seq", "clickd_journal_last_seq", "gauge",
	  "Highest journal sequence the plugin assigned." },
	{ "acked_seq", "clickd_journal_acked_seq", "gauge",
	  "Journal sequence the plugin last read from journal.ack." },
};

static bool parse_int(const char *s, int64_t *out)
{
	char *end = NULL;
	if (!*s)
		return false;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

static bool label_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
			return false;
	return true;
}

/* Splits the stats into at most MAX_KEYS pairs; -1 for a foreign file. */
static int parse_stats(const char *text, size_t len, struct kv *kv)
{
	size_t hl = strlen(STATS_HEADER);
	if (!text || len < hl || memcmp(text, STATS_HEADER, hl) != 0)
		return -1;
	int n = 0;
	const char *p = text + hl, *end = text + len;
	while (p < end && n < MAX_KEYS) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *sp = memchr(p, ' ', (size_t)(le - p));
		if (sp && sp - p < FIELD_MAX && le - sp - 1 < FIELD_MAX && sp > p) {
			memcpy(kv[n].key, p, (size_t)(sp - p));
			kv[n].key[sp - p] = '\0';
			memcpy(kv[n].value, sp + 1, (size_t)(le - sp - 1));
			kv[n].value[le - sp - 1] = '\0';
			n++;
		}
		p = le + 1;
	}
	return n;
}

static const char *lookup(const struct kv *kv, int n, const char *key)
{
	for (int i = 0; i < n; i++)
		if (strcmp(kv[i].key, key) == 0)
			return kv[i].value;
	return NULL;
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

int ck_metrics_render(const struct ck_metrics_input *in, char **out)
{
	struct kv kv[MAX_KEYS];
	char *buf = NULL;
	size_t size = 0;
	int64_t v;

	*out = NULL;
	FILE *f = open_memstream(&buf, &size);
	if (!f)
		return -ENOMEM;
	head(f, "clickd_broker_running", "gauge",
	     "1 when the supervised mosquitto accepts connections.");
	fprintf(f, "clickd_broker_running %d\n", in->broker_running ? 1 : 0);
	if (in->ingest_cursor >= 0) {
		head(f, "clickd_ingest_cursor", "gauge",
		     "Last journal sequence whose effects clickd committed.");
		fprintf(f, "clickd_ingest_cursor %" PRId64 "\n", in->ingest_cursor);
	}
	if (in->journal_lost >= 0) {
		head(f, "clickd_journal_lost_sequences_total", "counter",
		     "Journal sequences clickd could not read (damaged bytes) and skipped, since "
		     "it started.");
		fprintf(f, "clickd_journal_lost_sequences_total %" PRId64 "\n", in->journal_lost);
	}
	int n = parse_stats(in->stats, in->stats_len, kv);
	head(f, "clickd_plugin_stats_up", "gauge",
	     "1 when DATA/plugin.stats, written by the broker plugin, was readable.");
	fprintf(f, "clickd_plugin_stats_up %d\n", n >= 0 ? 1 : 0);
	if (n < 0)
		goto done;
	const char *s = lookup(kv, n, "written_ms");
	if (s && parse_int(s, &v)) {
		head(f, "clickd_plugin_stats_age_seconds", "gauge",
		     "Age of plugin.stats; the plugin rewrites it at least every 10 s while the "
		     "broker runs.");
		fprintf(f, "clickd_plugin_stats_age_seconds %.3f\n",
		        (double)(in->now_ms - v) / 1000.0);
	}
	s = lookup(kv, n, "failing");
	if (s) {
		head(f, "clickd_journal_healthy", "gauge",
		     "1 when the journal stores device messages; 0 while they are refused.");
		fprintf(f, "clickd_journal_healthy %d\n", strcmp(s, "none") == 0 ? 1 : 0);
		if (strcmp(s, "none") != 0 && label_ok(s)) {
			head(f, "clickd_journal_failing", "gauge",
			     "1, labelled with why the journal refuses device messages now.");
			fprintf(f, "clickd_journal_failing{cause=\"%s\"} 1\n", s);
		}
	}
	bool first = true;
	for (int i = 0; i < n; i++) {
		const char *cause = kv[i].key + strlen("failures_");
		if (strncmp(kv[i].key, "failures_", strlen("failures_")) != 0 || !label_ok(cause) ||
		    !parse_int(kv[i].value, &v))
			continue;
		if (first)
			head(f, "clickd_journal_append_failures_total", "counter",
			     "Device messages not stored, by cause (journal_full is the refusals "
			     "because max_bytes was reached).");
		first = false;
		fprintf(f, "clickd_journal_append_failures_total{cause=\"%s\"} %" PRId64 "\n",
		        cause, v);
	}
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		s = lookup(kv, n, plain[i].key);
		if (!s || !parse_int(s, &v))
			continue;
		head(f, plain[i].name, plain[i].type, plain[i].help);
		fprintf(f, "%s %" PRId64 "\n", plain[i].name, v);
	}
	s = lookup(kv, n, "sync");
	if (s) {
		head(f, "clickd_journal_sync_full", "gauge",
		     "1 when every journal commit is fsync'ed (--journal-sync full).");
		fprintf(f, "clickd_journal_sync_full %d\n", strcmp(s, "full") == 0 ? 1 : 0);
	}
done:
	if (fclose(f) != 0 || !buf) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	return 0;
}

/* Reads at most STATS_MAX bytes of path into buf; returns the length or -1. */
static ssize_t read_stats(const char *path, char *buf, size_t cap)
{
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0)
		return -1;
	size_t len = 0;
	while (len < cap) {
		ssize_t r = read(fd, buf + len, cap - len);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	return (ssize_t)len;
}

static int metrics_get(const struct ck_api_env *env, const struct ck_api_request *req,
                       const char *const *param, cJSON **out)
{
	(void)req;
	(void)param;
	char stats[STATS_MAX];
	ssize_t len = read_stats(env->stats_path, stats, sizeof(stats));
	int64_t cursor = -1;
	if (ck_store_cursor_get(env->store, CK_INGEST_CURSOR, &cursor) != 0)
		cursor = -1;
	struct ck_metrics_input in = {
		.stats = len >= 0 ? stats : NULL,
		.stats_len = len >= 0 ? (size_t)len : 0,
		.now_ms = ck_api_now_ms(),
		.broker_running =
		    env->broker_state && strcmp(env->broker_state(env->arg), "running") == 0,
		.ingest_cursor = cursor,
		.journal_lost = env->journal_lost ? env->journal_lost(env->arg) : -1,
	};
	char *text = NULL;
	if (ck_metrics_render(&in, &text) != 0)
		return ck_api_fail(out, 500, "internal", "out of memory");
	*out = cJSON_CreateRaw(text);
	free(text);
	if (!*out)
		return ck_api_fail(out, 500, "internal", "out of memory");
	return 200;
}

const struct ck_api_route ck_api_routes_metrics[] = {
	{ "GET", "/metrics", metrics_get },
	{ NULL, NULL, NULL },
};
