/*
 * An index from topic filters to integer ids, so that a topic is matched
 * against thousands of filters without scanning them all: a trie on filter
 * levels in which each node has its literal children sorted for binary
 * search plus one '+' and one '#' branch. Matching follows ck_topic_match()
 * exactly ('a/#' does not match 'a'; a leading wildcard does not match a
 * '$' topic). Pure: no I/O, no globals. Not thread-safe while being built;
 * matching an index that is no longer modified is safe from any thread.
 */
#ifndef CK_TOPIC_INDEX_H
#define CK_TOPIC_INDEX_H

#include <stddef.h>

struct ck_topic_index;

struct ck_topic_index *ck_topic_index_new(void);
void ck_topic_index_free(struct ck_topic_index *idx);

/*
 * Adds (filter, id). filter must be valid (ck_topic_filter_valid). The same
 * id may be added under several filters. Returns 0, -EINVAL for an invalid
 * filter, -ENOMEM.
 */
int ck_topic_index_add(struct ck_topic_index *idx, const char *filter, int id);

/*
 * Calls fn once for each distinct id whose filter matches topic, in
 * ascending id order. fn returning non-zero stops the walk and that value is
 * returned; otherwise returns 0, or -ENOMEM when the match set cannot be
 * collected.
 */
int ck_topic_index_match(const struct ck_topic_index *idx, const char *topic,
                         int (*fn)(int id, void *ctx), void *ctx);

#endif
