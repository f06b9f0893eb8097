/*
 * The 1-Click Lambda event builder (see oneclick.h). Member order follows
 * the real capture of aws-model.md §2.1: deviceInfo, deviceEvent,
 * placementInfo.
 */
#include "engine/oneclick.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int ck_oneclick_time(int64_t ms, char *buf, size_t len)
{
	struct tm tm;
	time_t secs;

	if (ms < 0 || len < 25)
		return -EINVAL;
	secs = (time_t)(ms / 1000);
	if (!gmtime_r(&secs, &tm) || tm.tm_year + 1900 > 9999)
		return -EINVAL;
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	return 0;
}

double ck_oneclick_remaining_life(int battery_mv, int empty_mv, int full_mv)
{
	if (battery_mv < 0 || full_mv <= empty_mv)
		return 100.0;
	double pct = 100.0 * (double)(battery_mv - empty_mv) / (double)(full_mv - empty_mv);
	if (pct < 0)
		pct = 0;
	if (pct > 100)
		pct = 100;
	return round(pct * 100.0) / 100.0;
}

/* Copies the string members of src into dst, replacing same-named ones;
 * empty values are skipped when skip_empty. */
static int overlay(cJSON *dst, const cJSON *src, int skip_empty)
{
	const cJSON *a;

	cJSON_ArrayForEach(a, src)
	{
		if (!cJSON_IsString(a) || !a->string || (skip_empty && !a->valuestring[0]))
			continue;
		cJSON_DeleteItemFromObjectCaseSensitive(dst, a->string);
		if (!cJSON_AddStringToObject(dst, a->string, a->valuestring))
			return -ENOMEM;
	}
	return 0;
}

static int add_placement(cJSON *ev, cJSON *dev_attrs, const struct ck_oneclick_placement *p)
{
	const char *region = p->region && p->region[0] ? p->region : "local";
	cJSON *pi, *attrs, *devs;

	if (!cJSON_AddStringToObject(dev_attrs, "projectRegion", region) ||
	    !cJSON_AddStringToObject(dev_attrs, "projectName", p->project) ||
	    !cJSON_AddStringToObject(dev_attrs, "placementName", p->placement) ||
	    !cJSON_AddStringToObject(dev_attrs, "deviceTemplateName",
	                             p->template_name ? p->template_name : ""))
		return -ENOMEM;
	pi = cJSON_AddObjectToObject(ev, "placementInfo");
	if (!pi || !cJSON_AddStringToObject(pi, "projectName", p->project) ||
	    !cJSON_AddStringToObject(pi, "placementName", p->placement))
		return -ENOMEM;
	attrs = cJSON_AddObjectToObject(pi, "attributes");
	if (!attrs || overlay(attrs, p->default_attributes, 0) || overlay(attrs, p->attributes, 1))
		return -ENOMEM;
	devs = cJSON_AddObjectToObject(pi, "devices");
	if (!devs || overlay(devs, p->devices, 1))
		return -ENOMEM;
	return 0;
}

int ck_oneclick_event(const struct ck_oneclick_press *press, const struct ck_oneclick_placement *p,
                      cJSON **out)
{
	char when[32];
	const char *ct = press->click_type;
	cJSON *ev = NULL, *di, *de, *bc, *dev_attrs;
	int rc = -EINVAL;

	*out = NULL;
	if (!press->device_id || !press->device_id[0] || !ct ||
	    (strcmp(ct, "SINGLE") != 0 && strcmp(ct, "DOUBLE") != 0 && strcmp(ct, "LONG") != 0) ||
	    ck_oneclick_time(press->reported_ms, when, sizeof(when)) != 0)
		return -EINVAL;
	if (p && (!p->project || !p->placement))
		return -EINVAL;
	double life = press->remaining_life;
	if (!(life >= 0))
		life = 0;
	if (life > 100)
		life = 100;
	rc = -ENOMEM;
	ev = cJSON_CreateObject();
	di = ev ? cJSON_AddObjectToObject(ev, "deviceInfo") : NULL;
	if (!di || !cJSON_AddStringToObject(di, "deviceId", press->device_id) ||
	    !cJSON_AddStringToObject(di, "type", "button") ||
	    !cJSON_AddNumberToObject(di, "remainingLife", life))
		goto out;
	dev_attrs = cJSON_AddObjectToObject(di, "attributes");
	de = cJSON_AddObjectToObject(ev, "deviceEvent");
	bc = de ? cJSON_AddObjectToObject(de, "buttonClicked") : NULL;
	if (!dev_attrs || !bc || !cJSON_AddStringToObject(bc, "clickType", ct) ||
	    !cJSON_AddStringToObject(bc, "reportedTime", when))
		goto out;
	if (p && add_placement(ev, dev_attrs, p) != 0)
		goto out;
	*out = ev;
	ev = NULL;
	rc = 0;
out:
	cJSON_Delete(ev);
	return rc;
}
