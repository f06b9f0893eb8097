/*
 * The topic index must agree with ck_topic_match() on every (filter,
 * topic) pair: checked on hand-picked AWS cases and on random filters and
 * topics over a small alphabet, where collisions and wildcards are common.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ck_test.h"
#include "core/topic.h"
#include "core/topic_index.h"

struct got {
	int ids[512];
	int n;
};

static int record(int id, void *ctx)
{
	struct got *g = ctx;
	if (g->n < 512)
		g->ids[g->n++] = id;
	return 0;
}

static void check_agrees(char filters[][64], int nf, const char *topic)
{
	struct ck_topic_index *idx = ck_topic_index_new();
	for (int i = 0; i < nf; i++)
		CK_CHECK_INT(ck_topic_index_add(idx, filters[i], i), ==, 0);
	struct got g = { .n = 0 };
	CK_CHECK_INT(ck_topic_index_match(idx, topic, record, &g), ==, 0);
	int k = 0;
	for (int i = 0; i < nf; i++) {
		if (!ck_topic_match(filters[i], topic))
			continue;
		if (k >= g.n || g.ids[k] != i)
			fprintf(stderr, "filter %s topic %s: index disagrees\n", filters[i], topic);
		CK_CHECK(k < g.n && g.ids[k] == i);
		k++;
	}
	CK_CHECK_INT(k, ==, g.n);
	ck_topic_index_free(idx);
}

static void test_cases(void)
{
	char filters[][64] = { "iotbutton/+", "iotbutton/#",    "a/#",    "a",     "+/b",
		               "#",           "$aws/rules/x/#", "$aws/+", "a/+/c", "a//c",
		               "+",           "iotbutton/G030", "+/+",    "a/b/#" };
	int nf = (int)(sizeof(filters) / sizeof(filters[0]));
	const char *topics[] = { "iotbutton/G030", "iotbutton",   "a",    "a/b", "a/b/c", "a//c",
		                 "$aws/rules/x/t", "$aws/things", "$SYS", "b",   "x/b",   "a/" };
	for (size_t i = 0; i < sizeof(topics) / sizeof(topics[0]); i++)
		check_agrees(filters, nf, topics[i]);

	struct ck_topic_index *idx = ck_topic_index_new();
	CK_CHECK_INT(ck_topic_index_add(idx, "a/#/b", 1), ==, -EINVAL);
	CK_CHECK_INT(ck_topic_index_add(idx, "a+", 1), ==, -EINVAL);
	/* The same id under two filters is reported once. */
	CK_CHECK_INT(ck_topic_index_add(idx, "a/+", 7), ==, 0);
	CK_CHECK_INT(ck_topic_index_add(idx, "a/#", 7), ==, 0);
	struct got g = { .n = 0 };
	ck_topic_index_match(idx, "a/b", record, &g);
	CK_CHECK_INT(g.n, ==, 1);
	ck_topic_index_free(idx);
}

static void random_level(char *out, size_t cap, bool filter)
{
	static const char *const lv[] = { "a", "b", "", "$x" };
	int r = rand() % (filter ? 7 : 4);
	const char *l = r < 4 ? lv[r] : r == 4 || r == 5 ? "+" : "#";
	snprintf(out, cap, "%s", l);
}

static void test_random(void)
{
	srand(12345);
	for (int round = 0; round < 300; round++) {
		char filters[40][64];
		int nf = 0;
		while (nf < 40) {
			char f[64] = "";
			int levels = 1 + rand() % 4;
			for (int l = 0; l < levels; l++) {
				char lv[8];
				random_level(lv, sizeof(lv), true);
				size_t n = strlen(f);
				snprintf(f + n, sizeof(f) - n, "%s%s", l ? "/" : "", lv);
			}
			if (ck_topic_filter_valid(f))
				snprintf(filters[nf++], 64, "%s", f);
		}
		for (int t = 0; t < 20; t++) {
			char topic[64] = "";
			int levels = 1 + rand() % 4;
			for (int l = 0; l < levels; l++) {
				char lv[8];
				random_level(lv, sizeof(lv), false);
				size_t n = strlen(topic);
				snprintf(topic + n, sizeof(topic) - n, "%s%s", l ? "/" : "", lv);
			}
			if (ck_topic_name_valid(topic))
				check_agrees(filters, nf, topic);
		}
	}
}

int main(void)
{
	test_cases();
	test_random();
	return ck_test_main("topic_index");
}
