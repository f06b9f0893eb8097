/*
 * Topic filter trie (see topic_index.h).
 */
#include "core/topic_index.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/topic.h"

struct node {
	char *level;            /* this node's literal level ("" for the root) */
	struct node **children; /* literal children, sorted by level */
	size_t n_children, cap_children;
	struct node *plus; /* '+' child */
	int *ids;          /* filters ending here */
	size_t n_ids, cap_ids;
	int *hash_ids; /* filters ending in '#' right after this node */
	size_t n_hash, cap_hash;
};

struct ck_topic_index {
	struct node root;
};

struct ck_topic_index *ck_topic_index_new(void)
{
	return calloc(1, sizeof(struct ck_topic_index));
}

static void node_cleanup(struct node *n)
{
	for (size_t i = 0; i < n->n_children; i++) {
		node_cleanup(n->children[i]);
		free(n->children[i]);
	}
	if (n->plus) {
		node_cleanup(n->plus);
		free(n->plus);
	}
	free(n->children);
	free(n->level);
	free(n->ids);
	free(n->hash_ids);
}

void ck_topic_index_free(struct ck_topic_index *idx)
{
	if (!idx)
		return;
	node_cleanup(&idx->root);
	free(idx);
}

static int push_id(int **ids, size_t *n, size_t *cap, int id)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 2;
		int *grown = realloc(*ids, c * sizeof(int));
		if (!grown)
			return -ENOMEM;
		*ids = grown;
		*cap = c;
	}
	(*ids)[(*n)++] = id;
	return 0;
}

/* Compares a level of len bytes with a NUL-terminated node level. */
static int level_cmp(const char *level, size_t len, const char *node_level)
{
	size_t nl = strlen(node_level);
	int c = memcmp(level, node_level, len < nl ? len : nl);
	if (c != 0)
		return c;
	return len < nl ? -1 : len > nl ? 1 : 0;
}

/* Binary search; returns the index of the match or where it would go. */
static size_t find_child(const struct node *n, const char *level, size_t len, bool *found)
{
	size_t lo = 0, hi = n->n_children;
	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = level_cmp(level, len, n->children[mid]->level);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static struct node *literal_child(struct node *n, const char *level, size_t len)
{
	bool found;
	size_t at = find_child(n, level, len, &found);
	if (found)
		return n->children[at];
	if (n->n_children == n->cap_children) {
		size_t c = n->cap_children ? n->cap_children * 2 : 4;
		struct node **grown = realloc(n->children, c * sizeof(*grown));
		if (!grown)
			return NULL;
		n->children = grown;
		n->cap_children = c;
	}
	struct node *child = calloc(1, sizeof(*child));
	char *copy = malloc(len + 1);
	if (!child || !copy) {
		free(child);
		free(copy);
		return NULL;
	}
	memcpy(copy, level, len);
	copy[len] = '\0';
	child->level = copy;
	memmove(&n->children[at + 1], &n->children[at],
	        (n->n_children - at) * sizeof(n->children[0]));
	n->children[at] = child;
	n->n_children++;
	return child;
}

int ck_topic_index_add(struct ck_topic_index *idx, const char *filter, int id)
{
	if (!ck_topic_filter_valid(filter))
		return -EINVAL;
	struct node *n = &idx->root;
	const char *f = filter;
	for (;;) {
		size_t len = strcspn(f, "/");
		if (len == 1 && f[0] == '#')
			return push_id(&n->hash_ids, &n->n_hash, &n->cap_hash, id);
		if (len == 1 && f[0] == '+') {
			if (!n->plus) {
				n->plus = calloc(1, sizeof(*n->plus));
				if (!n->plus)
					return -ENOMEM;
			}
			n = n->plus;
		} else {
			n = literal_child(n, f, len);
			if (!n)
				return -ENOMEM;
		}
		if (f[len] != '/')
			return push_id(&n->ids, &n->n_ids, &n->cap_ids, id);
		f += len + 1;
	}
}

/* Matched ids; the common case (a few matches) needs no allocation. */
struct collect {
	int local[16];
	int *ids;
	size_t n, cap;
	int err;
};

static void collect_ids(struct collect *c, const int *ids, size_t n)
{
	for (size_t i = 0; i < n && !c->err; i++) {
		if (c->n == c->cap) {
			size_t cap = c->cap * 2;
			int *grown = c->ids == c->local ? malloc(cap * sizeof(int))
			                                : realloc(c->ids, cap * sizeof(int));
			if (!grown) {
				c->err = -ENOMEM;
				return;
			}
			if (c->ids == c->local)
				memcpy(grown, c->local, sizeof(c->local));
			c->ids = grown;
			c->cap = cap;
		}
		c->ids[c->n++] = ids[i];
	}
}

/* t is the start of the next topic level, or NULL when the topic is used up. */
static void walk(const struct node *n, const char *t, bool root_of_dollar, struct collect *c)
{
	if (!t) {
		collect_ids(c, n->ids, n->n_ids);
		return;
	}
	if (!root_of_dollar)
		collect_ids(c, n->hash_ids, n->n_hash);
	size_t len = strcspn(t, "/");
	const char *next = t[len] == '/' ? t + len + 1 : NULL;
	bool found;
	size_t at = find_child(n, t, len, &found);
	if (found)
		walk(n->children[at], next, false, c);
	if (n->plus && !root_of_dollar)
		walk(n->plus, next, false, c);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

int ck_topic_index_match(const struct ck_topic_index *idx, const char *topic,
                         int (*fn)(int id, void *ctx), void *ctx)
{
	struct collect c;
	c.ids = c.local;
	c.n = 0;
	c.cap = sizeof(c.local) / sizeof(c.local[0]);
	c.err = 0;
	walk(&idx->root, topic, topic[0] == '$', &c);
	int rc = c.err;
	if (c.n > 1)
		qsort(c.ids, c.n, sizeof(int), cmp_int);
	for (size_t i = 0; i < c.n && rc == 0; i++) {
		if (i > 0 && c.ids[i] == c.ids[i - 1])
			continue;
		rc = fn(c.ids[i], ctx);
	}
	if (c.ids != c.local)
		free(c.ids);
	return rc;
}
