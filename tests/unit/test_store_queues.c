/*
 * Unit tests of queues and tables in the SQLite store (store_queues.c,
 * store_tables.c) with an injected clock: visibility expiry and
 * redelivery with a new receipt handle, the old handle refused, a zero
 * timeout never handing out one message twice in a call, the dead-letter
 * move after maxReceiveCount, retention, delays, the listener told only
 * after a commit, a send rolled back with its caller's transaction; table
 * keys by type, conditional writes, and queries by prefix and range.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ck_test.h"
#include "store/store_queues.h"
#include "store/store_tables.h"

struct got {
	int n;
	char receipt[4][CK_QUEUE_RECEIPT_LEN + 1];
	char body[4][64];
	int count[4];
};

static int collect(const struct ck_queue_message *m, void *ctx)
{
	struct got *g = ctx;
	if (g->n < 4) {
		snprintf(g->receipt[g->n], sizeof(g->receipt[0]), "%s", m->receipt);
		snprintf(g->body[g->n], sizeof(g->body[0]), "%s", m->body);
		g->count[g->n] = m->receive_count;
	}
	g->n++;
	return 0;
}

static int heard;
static void listener(void *ctx)
{
	(void)ctx;
	heard++;
}

static void test_queues(struct ck_store *s)
{
	struct ck_queue_attrs a;
	char why[256];
	int64_t next = 0, t = 1000000;
	struct got g;

	ck_queue_attrs_default(&a);
	snprintf(a.name, sizeof(a.name), "dlq");
	CK_CHECK_INT(ck_store_queue_create(s, &a, why, sizeof(why)), ==, 0);
	snprintf(a.name, sizeof(a.name), "jobs");
	snprintf(a.dead_letter_queue, sizeof(a.dead_letter_queue), "missing");
	a.max_receive_count = 2;
	CK_CHECK_INT(ck_store_queue_create(s, &a, why, sizeof(why)), ==, -EINVAL);
	snprintf(a.dead_letter_queue, sizeof(a.dead_letter_queue), "dlq");
	a.visibility_timeout_s = 10;
	a.retention_s = 60;
	CK_CHECK_INT(ck_store_queue_create(s, &a, why, sizeof(why)), ==, 0);
	CK_CHECK_INT(ck_store_queue_create(s, &a, why, sizeof(why)), ==, -EEXIST);
	CK_CHECK_INT(ck_store_queue_delete(s, "dlq", why, sizeof(why)), ==, -EBUSY);

	/* Bodies: UTF-8 text only, within the size limit. */
	CK_CHECK_INT(ck_store_queue_send(s, "jobs", "\xff", 1, -1, t, NULL), ==, -EINVAL);
	CK_CHECK_INT(ck_store_queue_send(s, "jobs", "", 0, -1, t, NULL), ==, -EINVAL);
	CK_CHECK_INT(ck_store_queue_send(s, "nope", "x", 1, -1, t, NULL), ==, -ENOENT);

	/* The listener hears of a send after its commit, not before. */
	ck_store_queue_listen(listener, NULL);
	heard = 0;
	CK_CHECK_INT(ck_store_begin(s), ==, 0);
	CK_CHECK_INT(ck_store_queue_send(s, "jobs", "a", 1, -1, t, NULL), ==, 0);
	CK_CHECK_INT(heard, ==, 0);
	CK_CHECK_INT(ck_store_commit(s), ==, 0);
	CK_CHECK_INT(heard, ==, 1);
	/* A send in a transaction that rolls back leaves nothing. */
	CK_CHECK_INT(ck_store_begin(s), ==, 0);
	CK_CHECK_INT(ck_store_queue_send(s, "jobs", "rolled back", 11, -1, t, NULL), ==, 0);
	CK_CHECK_INT(ck_store_rollback(s), ==, 0);
	ck_store_queue_listen(NULL, NULL);

	memset(&g, 0, sizeof(g));
	CK_CHECK_INT(ck_store_queue_receive(s, "jobs", 10, -1, t, collect, &g, &next), ==, 1);
	CK_CHECK_STR(g.body[0], "a");
	CK_CHECK_INT(g.count[0], ==, 1);
	char first[CK_QUEUE_RECEIPT_LEN + 1];
	memcpy(first, g.receipt[0], sizeof(first));
	/* In flight: nothing visible; the next visible time is the timeout's end. */
	memset(&g, 0, sizeof(g));
	CK_CHECK_INT(ck_store_queue_receive(s, "jobs", 1, -1, t + 9999, collect, &g, &next), ==, 0);
	CK_CHECK_INT(next, ==, t + 10000);
	/* Expired: redelivered with a new handle; the old one is refused. */
	CK_CHECK_INT(ck_store_queue_receive(s, "jobs", 1, -1, t + 10000, collect, &g, &next), ==,
	             1);
	CK_CHECK_INT(g.count[0], ==, 2);
	CK_CHECK(strcmp(first, g.receipt[0]) != 0);
	CK_CHECK_INT(ck_store_queue_delete_message(s, "jobs", first), ==, -ESTALE);
	CK_CHECK_INT(ck_store_queue_change_visibility(s, "jobs", first, 0, t + 10001), ==, -ESTALE);
	/* Over 12 h from the receive is refused; 0 releases it at once. */
	CK_CHECK_INT(ck_store_queue_change_visibility(s, "jobs", g.receipt[0], 43200, t + 10001),
	             ==, -EINVAL);
	CK_CHECK_INT(ck_store_queue_change_visibility(s, "jobs", g.receipt[0], 0, t + 10001), ==,
	             0);
	CK_CHECK_INT(ck_store_queue_change_visibility(s, "jobs", g.receipt[0], 5, t + 10002), ==,
	             -ETIME);
	/* Received twice (maxReceiveCount 2): the third attempt moves it. */
	memset(&g, 0, sizeof(g));
	CK_CHECK_INT(ck_store_queue_receive(s, "jobs", 1, -1, t + 10002, collect, &g, &next), ==,
	             0);
	CK_CHECK_INT(ck_store_queue_receive(s, "dlq", 1, -1, t + 10002, collect, &g, &next), ==, 1);
	CK_CHECK_STR(g.body[0], "a");
	CK_CHECK_INT(g.count[0], ==, 1);
	CK_CHECK_INT(ck_store_queue_delete_message(s, "dlq", g.receipt[0]), ==, 0);
	CK_CHECK_INT(ck_store_queue_delete_message(s, "dlq", g.receipt[0]), ==, -ESTALE);

	/* A zero visibility timeout never returns one message twice in a call. */
	CK_CHECK_INT(ck_store_queue_send(s, "jobs", "b", 1, -1, t, NULL), ==, 0);
	memset(&g, 0, sizeof(g));
	CK_CHECK_INT(ck_store_queue_receive(s, "jobs", 10, 0, t + 20000, collect, &g, &next), ==,
	             1);
	/* Retention counts from the send: 60 s later it is gone. */
	memset(&g, 0, sizeof(g));
	CK_CHECK_INT(ck_store_queue_receive(s, "jobs", 10, -1, t + 60000, collect, &g, &next), ==,
	             0);
	CK_CHECK_INT(next, ==, 0);
	/* Delay: invisible until due. */
	CK_CHECK_INT(ck_store_queue_send(s, "jobs", "c", 1, 5, t, NULL), ==, 0);
	CK_CHECK_INT(ck_store_queue_receive(s, "jobs", 1, -1, t + 4999, collect, &g, &next), ==, 0);
	CK_CHECK_INT(next, ==, t + 5000);
	int64_t purged = 0;
	CK_CHECK_INT(ck_store_queue_purge(s, "jobs", &purged), ==, 0);
	CK_CHECK_INT(purged, ==, 1);
	CK_CHECK_INT(ck_store_queue_delete(s, "jobs", why, sizeof(why)), ==, 0);
	CK_CHECK_INT(ck_store_queue_delete(s, "dlq", why, sizeof(why)), ==, 0);
}

static void test_tables(struct ck_store *s)
{
	struct ck_table_def d = { .name = "presses",
		                  .partition_key = "thing",
		                  .partition_type = 'S',
		                  .sort_key = "at",
		                  .sort_type = 'S' };
	char why[256];
	int64_t version = 0;
	CK_CHECK_INT(ck_store_table_create(s, &d, why, sizeof(why)), ==, 0);
	const char *keys[] = { "2024-01-02", "2024-01-01", "2024-02-01", "2025-01-01" };
	for (int i = 0; i < 4; i++) {
		char text[128];
		snprintf(text, sizeof(text), "{\"thing\":\"dock-1\",\"at\":\"%s\",\"i\":%d}",
		         keys[i], i);
		cJSON *item = cJSON_Parse(text);
		CK_CHECK_INT(
		    ck_store_table_put(s, "presses", item, NULL, 1, &version, why, sizeof(why)), ==,
		    0);
		cJSON_Delete(item);
	}
	cJSON *bad = cJSON_Parse("{\"thing\":\"dock-1\",\"at\":7}");
	CK_CHECK_INT(ck_store_table_put(s, "presses", bad, NULL, 1, NULL, why, sizeof(why)), ==,
	             -EINVAL);
	cJSON_Delete(bad);
	cJSON *again = cJSON_Parse("{\"thing\":\"dock-1\",\"at\":\"2024-01-01\",\"i\":9}");
	struct ck_table_cond cond = { .kind = CK_TABLE_COND_NOT_EXISTS };
	CK_CHECK_INT(ck_store_table_put(s, "presses", again, &cond, 2, NULL, why, sizeof(why)), ==,
	             -ECANCELED);
	cond = (struct ck_table_cond){ .kind = CK_TABLE_COND_VERSION, .version = 1 };
	CK_CHECK_INT(ck_store_table_put(s, "presses", again, &cond, 2, &version, why, sizeof(why)),
	             ==, 0);
	CK_CHECK_INT(version, ==, 2);
	cJSON_Delete(again);

	cJSON *pk = cJSON_CreateString("dock-1"), *items = cJSON_CreateArray(), *next = NULL;
	struct ck_table_query q = { .pk = pk, .prefix = "2024-01", .limit = 10 };
	CK_CHECK_INT(ck_store_table_query(s, "presses", &q, items, &next, why, sizeof(why)), ==, 0);
	CK_CHECK_INT(cJSON_GetArraySize(items), ==, 2);
	CK_CHECK(next == NULL);
	cJSON_Delete(items);
	items = cJSON_CreateArray();
	q = (struct ck_table_query){ .pk = pk, .desc = true, .limit = 3 };
	CK_CHECK_INT(ck_store_table_query(s, "presses", &q, items, &next, why, sizeof(why)), ==, 0);
	CK_CHECK_INT(cJSON_GetArraySize(items), ==, 3);
	CK_CHECK(cJSON_IsString(next) && strcmp(next->valuestring, "2024-01-02") == 0);
	cJSON_Delete(items);
	items = cJSON_CreateArray();
	q.after = next;
	CK_CHECK_INT(ck_store_table_query(s, "presses", &q, items, &next, why, sizeof(why)), ==, 0);
	CK_CHECK_INT(cJSON_GetArraySize(items), ==, 1);
	cJSON_Delete((cJSON *)q.after);
	cJSON_Delete(next);
	cJSON_Delete(items);

	cJSON *sk = cJSON_CreateString("2025-01-01"), *item = NULL;
	CK_CHECK_INT(
	    ck_store_table_get_item(s, "presses", pk, sk, &item, &version, why, sizeof(why)), ==,
	    0);
	CK_CHECK_INT(version, ==, 1);
	cJSON_Delete(item);
	bool deleted = false;
	CK_CHECK_INT(
	    ck_store_table_delete_item(s, "presses", pk, sk, NULL, &deleted, why, sizeof(why)), ==,
	    0);
	CK_CHECK(deleted);
	CK_CHECK_INT(ck_store_table_get_item(s, "presses", pk, sk, &item, NULL, why, sizeof(why)),
	             ==, -ENODATA);
	cJSON_Delete(sk);
	cJSON_Delete(pk);

	/* Number keys sort as numbers. */
	struct ck_table_def n = { .name = "counts",
		                  .partition_key = "k",
		                  .partition_type = 'N',
		                  .sort_key = "s",
		                  .sort_type = 'N' };
	CK_CHECK_INT(ck_store_table_create(s, &n, why, sizeof(why)), ==, 0);
	for (int i = 0; i < 12; i++) {
		cJSON *it = cJSON_CreateObject();
		cJSON_AddNumberToObject(it, "k", 1);
		cJSON_AddNumberToObject(it, "s", i);
		CK_CHECK_INT(ck_store_table_put(s, "counts", it, NULL, 1, NULL, why, sizeof(why)),
		             ==, 0);
		cJSON_Delete(it);
	}
	cJSON *one = cJSON_CreateNumber(1), *from = cJSON_CreateNumber(9);
	items = cJSON_CreateArray();
	q = (struct ck_table_query){ .pk = one, .from = from, .limit = 10 };
	CK_CHECK_INT(ck_store_table_query(s, "counts", &q, items, &next, why, sizeof(why)), ==, 0);
	CK_CHECK_INT(cJSON_GetArraySize(items), ==, 3);
	q = (struct ck_table_query){ .pk = one, .prefix = "1", .limit = 10 };
	CK_CHECK_INT(ck_store_table_query(s, "counts", &q, items, &next, why, sizeof(why)), ==,
	             -EINVAL);
	cJSON_Delete(items);
	cJSON_Delete(one);
	cJSON_Delete(from);
	CK_CHECK_INT(ck_store_table_delete(s, "counts"), ==, 0);
	CK_CHECK_INT(ck_store_table_delete(s, "counts"), ==, -ENOENT);
}

int main(void)
{
	char dir[] = "/tmp/ck-test-queues-XXXXXX", path[256], err[256];
	struct ck_store *s = NULL;
	if (!mkdtemp(dir))
		return 1;
	/* A file, not :memory:, so the store runs in WAL mode as in clickd. */
	snprintf(path, sizeof(path), "%s/clickd.db", dir);
	CK_CHECK_INT(ck_store_open_sqlite(path, &s, err, sizeof(err)), ==, 0);
	if (s) {
		test_queues(s);
		test_tables(s);
		ck_store_close(s);
	}
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/clickd.db%s", dir, suffixes[i]);
		unlink(path);
	}
	rmdir(dir);
	return ck_test_main("test_store_queues");
}
