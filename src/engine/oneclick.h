/*
 * The AWS IoT 1-Click Lambda event (aws-model.md §2.1), built as a pure
 * function of the press and its placement, so that anything handing a
 * press to user code (functions, webhooks) gives it exactly what a 1-Click
 * project's Lambda received:
 *
 *   {"deviceInfo": {"deviceId", "type": "button", "remainingLife",
 *                   "attributes": {"projectRegion", "projectName",
 *                                  "placementName", "deviceTemplateName"}},
 *    "deviceEvent": {"buttonClicked": {"clickType", "reportedTime"}},
 *    "placementInfo": {"projectName", "placementName", "attributes",
 *                      "devices": {<template>: <deviceId>}}}
 *
 * placementInfo.attributes are the project's default attributes overlaid
 * with the placement's own (a placement value wins; an empty one leaves
 * the default). Without a placement, deviceInfo.attributes is {} and
 * placementInfo is left out. No clock, no I/O, no store: the caller looks
 * the placement up (store_oneclick.h).
 */
#ifndef CK_ONECLICK_H
#define CK_ONECLICK_H

#include <stdint.h>

#include <cjson/cJSON.h>

/* What 1-Click knows of a device's placement. Everything borrowed. */
struct ck_oneclick_placement {
	const char *project;             /* projectName */
	const char *placement;           /* placementName */
	const char *template_name;       /* this device's slot (deviceTemplateName) */
	const char *region;              /* projectRegion; "" or NULL: "local" */
	const cJSON *default_attributes; /* project's; object of strings or NULL */
	const cJSON *attributes;         /* placement's; object of strings or NULL */
	const cJSON *devices;            /* template -> deviceId; object or NULL */
};

struct ck_oneclick_press {
	const char *device_id;  /* the thing */
	const char *click_type; /* SINGLE, DOUBLE or LONG */
	int64_t reported_ms;    /* when the device reported it, Unix ms (>= 0) */
	double remaining_life;  /* percent 0..100 (clamped) */
};

/*
 * Builds the event for press at placement p (NULL when the device has
 * none). Returns 0 and a new object in *out (caller deletes), -EINVAL for
 * a missing device id, a click type other than the three, or a negative
 * time, -ENOMEM. Pure; safe on any thread.
 */
int ck_oneclick_event(const struct ck_oneclick_press *press, const struct ck_oneclick_placement *p,
                      cJSON **out);

/* Formats ms as ISO 8601 UTC with milliseconds and a Z
 * ("2018-05-04T23:26:33.747Z") into buf (at least 25 bytes). Returns 0 or
 * -EINVAL for a negative or unrepresentable time. */
int ck_oneclick_time(int64_t ms, char *buf, size_t len);

/* Battery millivolts to remainingLife percent on a linear scale from
 * empty_mv (0 %) to full_mv (100 %), clamped; -1 mV (unknown) gives 100. */
double ck_oneclick_remaining_life(int battery_mv, int empty_mv, int full_mv);

#endif
