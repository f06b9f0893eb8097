/*
 * A press and its placement (see placement.h).
 */
#include "engine/placement.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine/oneclick.h"

/* A non-empty string member, or NULL. */
static const char *attr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

static bool oneclick_type(const char *t)
{
	return t &&
	       (strcmp(t, "SINGLE") == 0 || strcmp(t, "DOUBLE") == 0 || strcmp(t, "LONG") == 0);
}

int ck_placement_press_init(struct ck_store *s, const char *thing, const cJSON *thing_attrs,
                            const char *click_type, int64_t reported_ms, int battery_mv,
                            struct ck_placement_press *pp)
{
	memset(pp, 0, sizeof(*pp));
	int rc = ck_store_oneclick_where(s, thing, &pp->where);
	if (rc == -ENOENT) {
		pp->location = attr(thing_attrs, "location");
		return 0;
	}
	if (rc != 0)
		return rc;
	pp->placed = true;
	/* placementInfo.attributes: the placement's own value wins. */
	pp->location = attr(pp->where.attributes, "location");
	if (!pp->location)
		pp->location = attr(pp->where.default_attributes, "location");
	if (!pp->location)
		pp->location = attr(thing_attrs, "location");
	snprintf(pp->topic, sizeof(pp->topic), "%s%s/%s", CK_PLACEMENT_TOPIC_PREFIX,
	         pp->where.project, pp->where.placement);
	if (!oneclick_type(click_type) || reported_ms < 0)
		return 0;
	struct ck_oneclick_press press = {
		.device_id = thing,
		.click_type = click_type,
		.reported_ms = reported_ms,
		.remaining_life = ck_oneclick_remaining_life(battery_mv, CK_PLACEMENT_EMPTY_MV,
		                                             CK_PLACEMENT_FULL_MV),
	};
	struct ck_oneclick_placement where = {
		.project = pp->where.project,
		.placement = pp->where.placement,
		.template_name = pp->where.slot,
		.default_attributes = pp->where.default_attributes,
		.attributes = pp->where.attributes,
		.devices = pp->where.devices,
	};
	cJSON *ev = NULL;
	rc = ck_oneclick_event(&press, &where, &ev);
	if (rc != 0)
		return rc == -EINVAL ? 0 : rc;
	pp->event = cJSON_PrintUnformatted(ev);
	cJSON_Delete(ev);
	if (!pp->event)
		return -ENOMEM;
	pp->event_len = strlen(pp->event);
	return 0;
}

void ck_placement_press_cleanup(struct ck_placement_press *pp)
{
	ck_oneclick_where_cleanup(&pp->where);
	cJSON_free(pp->event);
	pp->event = NULL;
	pp->location = NULL;
}

bool ck_placement_rule_wants(const char *topic_filter)
{
	return topic_filter && strncmp(topic_filter, CK_PLACEMENT_TOPIC_PREFIX,
	                               strlen(CK_PLACEMENT_TOPIC_PREFIX)) == 0;
}
