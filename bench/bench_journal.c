/*
 * Journal costs on the broker thread: one append with the segment-file
 * journal (src/journal/, what the plugin uses) at sync normal and full, a
 * prune call (removing up to CK_JOURNAL_PRUNE_MAX acknowledged segments),
 * and clickd's reading; next to the same append as an SQLite commit with
 * the settings the plugin used before (WAL, one row per transaction, the
 * baseline), its prune chunk, and clickd's journal.ack write (plain, and
 * durable as with --journal-sync full). Prints the median, 99th
 * percentile and maximum of each, in microseconds.
 *
 * usage: bench_journal [DIR]   (default /var/tmp; use the data directory's
 *                               file system for figures that mean something)
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "broker/journal_ack.h"
#include "journal/reader.h"
#include "journal/writer.h"

#define CHUNK 500 /* CK_JOURNAL_PRUNE_CHUNK */

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static void report(const char *what, int64_t *t, int n, double per_second_unit)
{
	int64_t total = 0;
	for (int i = 0; i < n; i++)
		total += t[i];
	qsort(t, (size_t)n, sizeof(t[0]), cmp64);
	printf("%-34s n=%-6d p50 %7lld us  p99 %7lld us  max %7lld us", what, n,
	       (long long)t[n / 2], (long long)t[(n * 99) / 100], (long long)t[n - 1]);
	if (per_second_unit > 0)
		printf("  %.0f/s", per_second_unit * n * 1e6 / (double)(total ? total : 1));
	printf("\n");
}

static void must(int rc, sqlite3 *db, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		fprintf(stderr, "bench_journal: %s: %s\n", what, sqlite3_errmsg(db));
		exit(1);
	}
}

static const char payload[] = "{\"serialNumber\":\"dock-17\",\"batteryVoltage\":\"1700mV\","
                              "\"clickType\":\"SINGLE\",\"seq\":123,\"pressedAt\":1}";

static int count_row(const struct ck_journal_row *row, void *ctx)
{
	(void)row;
	(*(int64_t *)ctx)++;
	return 0;
}

/* The segment-file journal: append, read back, prune. */
static void run_segments(const char *dir, bool sync_full, int rows)
{
	char path[4096], cmd[4200], label[64];
	struct ck_journal_writer w;
	struct ck_journal_writer_config wc = { .sync_full = sync_full, .max_bytes = 1LL << 30 };
	struct ck_journal_row row = {
		.client_id = "dock-17",
		.thing = "dock-17",
		.topic = "iotbutton/dock-17",
		.qos = 1,
		.payload = (const uint8_t *)payload,
		.payload_len = sizeof(payload) - 1,
		.payload_size = sizeof(payload) - 1,
	};
	snprintf(path, sizeof(path), "%s/bench-journal-seg", dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		exit(1);
	ck_journal_writer_init(&w);
	if (ck_journal_writer_open(&w, path, &wc, 0, NULL) != 0) {
		fprintf(stderr, "bench_journal: %s\n", w.err);
		exit(1);
	}
	int64_t *t = calloc((size_t)rows, sizeof(int64_t));
	for (int i = 0; i < rows; i++) {
		int64_t t0 = now_us();
		row.received_ms = 1000 + i;
		if (ck_journal_writer_append(&w, &row, 1, NULL) != 0) {
			fprintf(stderr, "bench_journal: %s\n", w.err);
			exit(1);
		}
		t[i] = now_us() - t0;
	}
	snprintf(label, sizeof(label), "segments: append, sync %s", sync_full ? "full" : "normal");
	report(label, t, rows, 1);

	struct ck_journal_reader r;
	int64_t seen = 0, t0 = now_us();
	if (ck_journal_reader_open(&r, path) != 0)
		exit(1);
	for (int64_t cursor = 0;;) {
		int64_t before = seen;
		if (ck_journal_reader_read(&r, cursor, 256, count_row, &seen) <= 0)
			break;
		cursor += seen - before;
	}
	int64_t took = now_us() - t0;
	ck_journal_reader_close(&r);
	printf("%-34s n=%-6lld %.0f records/s\n", "segments: clickd reads", (long long)seen,
	       (double)seen * 1e6 / (double)(took ? took : 1));

	/* Rows to fill several segments, then prune them all as acknowledged. */
	int calls = 0;
	for (;;) {
		int64_t removed = 0;
		t0 = now_us();
		ck_journal_writer_prune(&w, INT64_MAX, INT64_MAX, &removed);
		t[calls] = now_us() - t0;
		if (!removed)
			break;
		calls++;
	}
	if (calls)
		report("segments: prune call (<= 2 segments)", t, calls, 0);
	free(t);
	ck_journal_writer_close(&w);
	if (system(cmd) != 0)
		exit(1);
}

/* The baseline: the SQLite journal the plugin used before. */
static void run(const char *dir, const char *sync, int rows)
{
	char path[4096], sql[128];
	snprintf(path, sizeof(path), "%s/bench-journal-%s.db", dir, sync);
	unlink(path);
	snprintf(sql, sizeof(sql), "%s-wal", path);
	unlink(sql);
	sqlite3 *db = NULL;
	must(sqlite3_open(path, &db), db, "open");
	snprintf(sql, sizeof(sql), "PRAGMA synchronous=%s", sync);
	must(sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL), db, "wal");
	must(sqlite3_exec(db, sql, NULL, NULL, NULL), db, "synchronous");
	must(sqlite3_exec(db,
	                  "PRAGMA journal_size_limit=8388608; PRAGMA max_page_count=262144;"
	                  "CREATE TABLE journal(seq INTEGER PRIMARY KEY,"
	                  "received_ms INTEGER NOT NULL, client_id TEXT NOT NULL,"
	                  "thing TEXT NOT NULL, topic TEXT NOT NULL, qos INTEGER NOT NULL,"
	                  "retain INTEGER NOT NULL, payload BLOB, payload_size INTEGER NOT NULL)",
	                  NULL, NULL, NULL),
	     db, "schema");
	sqlite3_stmt *ins = NULL;
	must(
	    sqlite3_prepare_v2(db,
	                       "INSERT INTO journal(seq, received_ms, client_id, thing, topic, qos,"
	                       " retain, payload, payload_size) VALUES(?4, ?1,'dock-17','dock-17',"
	                       "'iotbutton/dock-17',1,0,?2,?3)",
	                       -1, &ins, NULL),
	    db, "prepare insert");
	int64_t *t = calloc((size_t)rows, sizeof(int64_t));
	for (int i = 0; i < rows; i++) {
		int64_t t0 = now_us();
		sqlite3_bind_int64(ins, 1, 1000 + i);
		sqlite3_bind_blob(ins, 2, payload, sizeof(payload) - 1, SQLITE_STATIC);
		sqlite3_bind_int(ins, 3, (int)sizeof(payload) - 1);
		sqlite3_bind_int64(ins, 4, i + 1);
		must(sqlite3_step(ins), db, "insert");
		sqlite3_reset(ins);
		t[i] = now_us() - t0;
	}
	sqlite3_finalize(ins);
	char label[64];
	snprintf(label, sizeof(label), "sqlite (before): append, %s", sync);
	report(label, t, rows, 1);

	/* Prune everything in chunks, as the tick does (busy timeout 0). */
	sqlite3_busy_timeout(db, 0);
	int chunks = 0;
	for (;;) {
		int64_t t0 = now_us(), bound = 0;
		sqlite3_stmt *st = NULL;
		must(sqlite3_prepare_v2(db,
		                        "SELECT seq, received_ms FROM journal WHERE seq <= ?1 "
		                        "ORDER BY seq LIMIT ?2",
		                        -1, &st, NULL),
		     db, "bound");
		sqlite3_bind_int64(st, 1, rows);
		sqlite3_bind_int(st, 2, CHUNK);
		while (sqlite3_step(st) == SQLITE_ROW)
			bound = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		if (!bound)
			break;
		must(sqlite3_prepare_v2(db, "DELETE FROM journal WHERE seq <= ?1", -1, &st, NULL),
		     db, "delete");
		sqlite3_bind_int64(st, 1, bound);
		must(sqlite3_step(st), db, "delete");
		sqlite3_finalize(st);
		t[chunks++] = now_us() - t0;
	}
	snprintf(label, sizeof(label), "sqlite (before): prune %d, %s", CHUNK, sync);
	report(label, t, chunks, CHUNK);
	free(t);
	sqlite3_close(db);
	unlink(path);
	snprintf(path, sizeof(path), "%s/bench-journal-%s.db-wal", dir, sync);
	unlink(path);
}

static void acks(const char *dir)
{
	char wal[4096];
	snprintf(wal, sizeof(wal), "%s/bench-store.db-wal", dir);
	int fd = open(wal, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		static char page[4096];
		for (int i = 0; i < 256; i++)
			if (write(fd, page, sizeof(page)) < 0)
				break;
		close(fd);
	}
	int64_t t[1000];
	for (int i = 0; i < 1000; i++) {
		int64_t t0 = now_us();
		if (ck_journal_ack_write(dir, i, NULL) != 0)
			fprintf(stderr, "bench_journal: ack write failed\n");
		t[i] = now_us() - t0;
	}
	report("journal.ack write (normal)", t, 1000, 1);
	for (int i = 0; i < 100; i++) {
		int64_t t0 = now_us();
		if (ck_journal_ack_write(dir, i, wal) != 0)
			fprintf(stderr, "bench_journal: durable ack write failed\n");
		t[i] = now_us() - t0;
	}
	report("journal.ack write (full, durable)", t, 100, 1);
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", dir, CK_JOURNAL_ACK_FILE);
	unlink(path);
	unlink(wal);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/var/tmp";
	printf("journal costs in %s (SQLite %s)\n", dir, sqlite3_libversion());
	run_segments(dir, false, 200000);
	run(dir, "NORMAL", 20000);
	run_segments(dir, true, 2000);
	run(dir, "FULL", 2000);
	acks(dir);
	return 0;
}
