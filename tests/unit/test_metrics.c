/*
 * The /metrics renderer: the plugin's statistics file becomes Prometheus
 * text with help and type lines; malformed lines and foreign files are
 * skipped rather than passed through.
 */
#include <stdlib.h>
#include <string.h>

#include "ck_test.h"
#include "http/metrics.h"

static const char stats[] = "clickd-plugin-stats 1\n"
                            "written_ms 1000000\n"
                            "sync full\n"
                            "max_bytes 131072\n"
                            "failing journal_full\n"
                            "appends 42\n"
                            "used_bytes not-a-number\n"
                            "failures_journal_full 7\n"
                            "failures_Bad\"label 9\n"
                            "no-space-line\n"
                            "last_seq 42\n";

static void test_render(void)
{
	struct ck_metrics_input in = {
		.stats = stats,
		.stats_len = sizeof(stats) - 1,
		.now_ms = 1002500,
		.broker_running = 1,
		.ingest_cursor = 40,
		.journal_lost = 3,
	};
	char *out = NULL;
	CK_CHECK_INT(ck_metrics_render(&in, &out), ==, 0);
	const char *must[] = {
		"# TYPE clickd_broker_running gauge\nclickd_broker_running 1\n",
		"clickd_ingest_cursor 40\n",
		("# TYPE clickd_journal_lost_sequences_total counter\n"
		 "clickd_journal_lost_sequences_total 3\n"),
		"clickd_plugin_stats_up 1\n",
		"clickd_plugin_stats_age_seconds 2.500\n",
		"clickd_journal_healthy 0\n",
		"clickd_journal_failing{cause=\"journal_full\"} 1\n",
		("# TYPE clickd_journal_append_failures_total counter\n"
		 "clickd_journal_append_failures_total{cause=\"journal_full\"} 7\n"),
		"# TYPE clickd_journal_appends_total counter\nclickd_journal_appends_total 42\n",
		"clickd_journal_max_bytes 131072\n",
		"clickd_journal_last_seq 42\n",
		"clickd_journal_sync_full 1\n",
	};
	for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++) {
		CK_CHECK(out && strstr(out, must[i]) != NULL);
		if (out && !strstr(out, must[i]))
			fprintf(stderr, "missing: %s", must[i]);
	}
	CK_CHECK(out && strstr(out, "used_bytes") == NULL);
	CK_CHECK(out && strstr(out, "Bad") == NULL);
	CK_CHECK(out && strstr(out, "no-space") == NULL);
	free(out);
}

static void test_missing(void)
{
	static const char foreign[] = "something else 1\nappends 3\n";
	struct ck_metrics_input in = { .now_ms = 1, .ingest_cursor = -1, .journal_lost = -1 };
	char *out = NULL;
	CK_CHECK_INT(ck_metrics_render(&in, &out), ==, 0);
	CK_CHECK(out && strstr(out, "clickd_plugin_stats_up 0\n") != NULL);
	CK_CHECK(out && strstr(out, "clickd_broker_running 0\n") != NULL);
	CK_CHECK(out && strstr(out, "clickd_ingest_cursor") == NULL);
	CK_CHECK(out && strstr(out, "lost_sequences") == NULL);
	free(out);
	in.stats = foreign;
	in.stats_len = sizeof(foreign) - 1;
	CK_CHECK_INT(ck_metrics_render(&in, &out), ==, 0);
	CK_CHECK(out && strstr(out, "clickd_plugin_stats_up 0\n") != NULL);
	CK_CHECK(out && strstr(out, "appends") == NULL);
	free(out);
}

int main(void)
{
	test_render();
	test_missing();
	return ck_test_main("metrics");
}
