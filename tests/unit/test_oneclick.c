/*
 * Unit tests of the 1-Click event builder against aws-model.md §2.1: the
 * AWS SDK fixture and the real capture, member for member and in order;
 * default attributes overlaid by the placement's; no placement; refusals.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_test.h"
#include "engine/oneclick.h"

static void check_json(cJSON *got, const char *want)
{
	char *g = cJSON_PrintUnformatted(got);
	CK_CHECK_STR(g, want);
	cJSON_free(g);
}

static void test_fixture(void)
{
	cJSON *defaults = cJSON_Parse("{\"location\":\"Seattle\"}");
	cJSON *attrs = cJSON_Parse("{\"equipment\":\"printer\"}");
	cJSON *devices = cJSON_Parse("{\"myButton\":\"G030PMXXXXXXXXXX\"}");
	struct ck_oneclick_placement p = {
		.project = "test",
		.placement = "myPlacement",
		.template_name = "myButton",
		.region = "us-west-2",
		.default_attributes = defaults,
		.attributes = attrs,
		.devices = devices,
	};
	/* 2018-05-04T23:26:33.747Z */
	struct ck_oneclick_press press = { "G030PMXXXXXXXXXX", "SINGLE", 1525476393747LL, 5.0 };
	cJSON *ev = NULL;

	CK_CHECK_INT(ck_oneclick_event(&press, &p, &ev), ==, 0);
	check_json(ev, "{\"deviceInfo\":{\"deviceId\":\"G030PMXXXXXXXXXX\",\"type\":\"button\","
	               "\"remainingLife\":5,\"attributes\":{\"projectRegion\":\"us-west-2\","
	               "\"projectName\":\"test\",\"placementName\":\"myPlacement\","
	               "\"deviceTemplateName\":\"myButton\"}},"
	               "\"deviceEvent\":{\"buttonClicked\":{\"clickType\":\"SINGLE\","
	               "\"reportedTime\":\"2018-05-04T23:26:33.747Z\"}},"
	               "\"placementInfo\":{\"projectName\":\"test\",\"placementName\":"
	               "\"myPlacement\",\"attributes\":{\"location\":\"Seattle\",\"equipment\":"
	               "\"printer\"},\"devices\":{\"myButton\":\"G030PMXXXXXXXXXX\"}}}");
	cJSON_Delete(ev);
	cJSON_Delete(defaults);
	cJSON_Delete(attrs);
	cJSON_Delete(devices);
}

static void test_overlay_and_life(void)
{
	cJSON *defaults = cJSON_Parse("{\"room\":\"default\",\"message\":\"hello\"}");
	cJSON *attrs = cJSON_Parse("{\"room\":\"amausa\",\"message\":\"\"}");
	struct ck_oneclick_placement p = { "Test", "Placement", "OrderRequest", NULL, defaults,
		                           attrs,  NULL };
	struct ck_oneclick_press press = { "dock-1", "LONG", 1527318909131LL, 99.55 };
	cJSON *ev = NULL;

	CK_CHECK_INT(ck_oneclick_event(&press, &p, &ev), ==, 0);
	const cJSON *pa =
	    cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "placementInfo"), "attributes");
	CK_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(pa, "room")), "amausa");
	CK_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(pa, "message")), "hello");
	const cJSON *di = cJSON_GetObjectItem(ev, "deviceInfo");
	CK_CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(di, "remainingLife")) == 99.55);
	CK_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(di, "attributes"),
	                                                      "projectRegion")),
	             "local");
	cJSON_Delete(ev);
	cJSON_Delete(defaults);
	cJSON_Delete(attrs);

	CK_CHECK(ck_oneclick_remaining_life(-1, 2000, 3000) == 100.0);
	CK_CHECK(ck_oneclick_remaining_life(2500, 2000, 3000) == 50.0);
	CK_CHECK(ck_oneclick_remaining_life(1500, 2000, 3000) == 0.0);
	CK_CHECK(ck_oneclick_remaining_life(3500, 2000, 3000) == 100.0);
}

static void test_no_placement_and_refusals(void)
{
	struct ck_oneclick_press press = { "dock-1", "DOUBLE", 0, 120 };
	cJSON *ev = NULL;

	CK_CHECK_INT(ck_oneclick_event(&press, NULL, &ev), ==, 0);
	check_json(ev,
	           "{\"deviceInfo\":{\"deviceId\":\"dock-1\",\"type\":\"button\","
	           "\"remainingLife\":100,\"attributes\":{}},\"deviceEvent\":{\"buttonClicked\":"
	           "{\"clickType\":\"DOUBLE\",\"reportedTime\":\"1970-01-01T00:00:00.000Z\"}}}");
	cJSON_Delete(ev);

	struct ck_oneclick_press bad_click = { "dock-1", "TRIPLE", 0, 1 };
	CK_CHECK_INT(ck_oneclick_event(&bad_click, NULL, &ev), ==, -EINVAL);
	CK_CHECK(ev == NULL);
	struct ck_oneclick_press bad_time = { "dock-1", "SINGLE", -5, 1 };
	CK_CHECK_INT(ck_oneclick_event(&bad_time, NULL, &ev), ==, -EINVAL);
	struct ck_oneclick_press no_id = { "", "SINGLE", 0, 1 };
	CK_CHECK_INT(ck_oneclick_event(&no_id, NULL, &ev), ==, -EINVAL);
	struct ck_oneclick_placement half = { .project = "p" };
	CK_CHECK_INT(ck_oneclick_event(&press, &half, &ev), ==, -EINVAL);
	char buf[32];
	CK_CHECK_INT(ck_oneclick_time(1525476393747LL, buf, sizeof(buf)), ==, 0);
	CK_CHECK_STR(buf, "2018-05-04T23:26:33.747Z");
	CK_CHECK_INT(ck_oneclick_time(1, buf, 10), ==, -EINVAL);
}

int main(void)
{
	test_fixture();
	test_overlay_and_life();
	test_no_placement_and_refusals();
	return ck_test_main("test_oneclick");
}
