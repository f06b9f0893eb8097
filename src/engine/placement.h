/*
 * A press and its 1-Click placement, for ingest: finds the thing's slot
 * (store_projects.h), works out where the press happened (the placement's
 * "location" attribute, with the project's default, else the thing's own)
 * and builds the 1-Click event of aws-model.md §2.1 (engine/oneclick.h)
 * that rules read on the topic iot1click/<project>/<placement>
 * (docs/api.md "Projects and placements"). It reads the store only; it
 * writes nothing and runs no rule.
 */
#ifndef CK_PLACEMENT_H
#define CK_PLACEMENT_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "store/store_projects.h"

/* Topic prefix of 1-Click events; rules whose FROM filter starts with it
 * receive them. */
#define CK_PLACEMENT_TOPIC_PREFIX "iot1click/"
/* remainingLife scale: battery millivolts read as 0 % and 100 %. */
#define CK_PLACEMENT_EMPTY_MV 2000
#define CK_PLACEMENT_FULL_MV  3000

struct ck_placement_press {
	bool placed;                    /* the thing holds a slot */
	struct ck_oneclick_where where; /* valid when placed */
	const char *location;           /* borrowed from where or the thing's attributes; NULL */
	char *event;                    /* compact 1-Click event JSON, or NULL (not a press) */
	size_t event_len;
	char topic[sizeof(CK_PLACEMENT_TOPIC_PREFIX) + 2 * 129];
};

/*
 * Fills *pp for a press of thing (whose attributes thing_attrs may be NULL)
 * of click_type (NULL when the message is not a press), reported at
 * reported_ms with battery_mv (-1 unknown). A thing without a placement
 * gets placed false, its own location and no event. The event is built
 * only for SINGLE, DOUBLE and LONG, the click types 1-Click knows.
 * Returns 0, -ENOMEM or -EIO; *pp must be cleaned up in every case.
 */
int ck_placement_press_init(struct ck_store *s, const char *thing, const cJSON *thing_attrs,
                            const char *click_type, int64_t reported_ms, int battery_mv,
                            struct ck_placement_press *pp);

/* Releases what ck_placement_press_init filled; safe on a zeroed struct. */
void ck_placement_press_cleanup(struct ck_placement_press *pp);

/* True when a rule's FROM filter asks for 1-Click events. */
bool ck_placement_rule_wants(const char *topic_filter);

#endif
