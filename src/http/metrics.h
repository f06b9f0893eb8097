/*
 * GET /metrics: clickd's and the broker plugin's counters in the Prometheus
 * text format (version 0.0.4). The plugin's counters come from
 * DATA/plugin.stats, which the plugin rewrites atomically at most once a
 * second ("key value" lines under a "clickd-plugin-stats 1" header); this
 * module turns them into metrics with their help and type lines. The route
 * itself is in api_metrics.c.
 */
#ifndef CK_HTTP_METRICS_H
#define CK_HTTP_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* What clickd itself reports next to the plugin's file. */
struct ck_metrics_input {
	const char *stats; /* plugin.stats contents, or NULL when unreadable */
	size_t stats_len;
	int64_t now_ms;        /* wall clock, for the age of the stats */
	int broker_running;    /* 1 when the supervised broker accepts connections */
	int64_t ingest_cursor; /* last journal sequence clickd committed, -1 if unknown */
	/* Journal sequences clickd's reader skipped over damaged bytes since
	 * clickd started, -1 if unknown. */
	int64_t journal_lost;
};

/*
 * Renders the metrics for in into a new NUL-terminated string in *out
 * (caller frees with free()). Unknown keys and malformed lines in the stats
 * are skipped; a missing or foreign file yields clickd_plugin_stats_up 0
 * and no journal metrics. Pure. Returns 0, or -ENOMEM.
 */
int ck_metrics_render(const struct ck_metrics_input *in, char **out);

#endif
