/*
 * MQTT topic names and filters with AWS IoT's matching rules: '+' matches
 * one level, '#' (last level only) matches any remaining levels but, unlike
 * MQTT, 'a/#' does not match 'a'; a filter starting with a wildcard does not
 * match topics starting with '$'. Pure functions over strings.
 */
#ifndef CK_TOPIC_H
#define CK_TOPIC_H

#include <stdbool.h>
#include <stddef.h>

#define CK_TOPIC_MAX_LEN    256 /* AWS IoT limit, bytes */
#define CK_TOPIC_MAX_LEVELS 8   /* AWS IoT limit on slashes + 1 */

/* True when name is a valid topic name for publishing (no wildcards,
 * 1..CK_TOPIC_MAX_LEN bytes, no NUL, at most CK_TOPIC_MAX_LEVELS levels). */
bool ck_topic_name_valid(const char *name);

/* True when filter is a valid subscription/rule filter ('+' alone in its
 * level, '#' alone and last). */
bool ck_topic_filter_valid(const char *filter);

/* True when the valid filter matches the valid topic name. */
bool ck_topic_match(const char *filter, const char *topic);

/*
 * Basic Ingest (AWS IoT): when topic is "$aws/rules/<name>/<rest>" with a
 * non-empty <name> shorter than name_len and a non-empty <rest>, copies
 * <name> into name (NUL-terminated) and returns a pointer to <rest> inside
 * topic, the topic that rule's topic() sees; otherwise returns NULL and
 * leaves name alone. Such a message goes to the named rule alone, whatever
 * its FROM filter. Does not check that <name> is a valid rule name.
 */
const char *ck_topic_basic_ingest(const char *topic, char *name, size_t name_len);

#endif
