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

#endif
