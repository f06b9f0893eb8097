/*
 * API handlers for the 1-Click model (docs/api.md "Projects and
 * placements"): projects with their placement template (default
 * attributes and named device slots), placements with their own
 * attributes, and things assigned to a placement's slots. Names follow the
 * AWS 1-Click Projects API (1 to 128 of [A-Za-z0-9_-]), attributes its
 * limits (50 pairs, names of 1 to 128 bytes, values of at most 800). Each
 * handler validates the whole request before it writes anything.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/name.h"
#include "http/api_int.h"
#include "store/store_projects.h"

#define MAX_ATTRIBUTES  50
#define MAX_ATTR_VALUE  800
#define MAX_DESCRIPTION 500
#define MAX_SLOTS       10

/* AWS 1-Click names: projectName, placementName, templateName. */
static bool oneclick_name_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > 128)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* Attributes: an object of at most 50 strings; empty values allowed only
 * when allow_empty (an update, where they remove). */
static int check_attributes(const cJSON *attrs, bool allow_empty, cJSON **out)
{
	if (!attrs)
		return 0;
	if (!cJSON_IsObject(attrs))
		return ck_api_fail(out, 400, "bad_request",
		                   "attributes must be an object of strings");
	int n = 0;
	const cJSON *a;
	cJSON_ArrayForEach(a, attrs)
	{
		if (++n > MAX_ATTRIBUTES)
			return ck_api_fail(out, 400, "bad_request", "at most 50 attributes");
		size_t klen = a->string ? strlen(a->string) : 0;
		if (!cJSON_IsString(a) || klen < 1 || klen > 128 ||
		    strlen(a->valuestring) > MAX_ATTR_VALUE || (!allow_empty && !a->valuestring[0]))
			return ck_api_fail(out, 400, "bad_request",
			                   "attribute names must be 1 to 128 bytes and values "
			                   "strings of 1 to 800 bytes");
	}
	return 0;
}

/* deviceTemplates: {slot: {"deviceType": "button"}}, 1 to MAX_SLOTS slots.
 * Builds the stored form into *tpls. */
static int check_templates(const cJSON *in, cJSON **tpls, cJSON **out)
{
	*tpls = NULL;
	if (!cJSON_IsObject(in) || cJSON_GetArraySize(in) < 1 || cJSON_GetArraySize(in) > MAX_SLOTS)
		return ck_api_fail(out, 400, "bad_request",
		                   "placementTemplate.deviceTemplates must name 1 to 10 device "
		                   "slots");
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return ck_api_fail(out, 500, "internal", "out of memory");
	const cJSON *t;
	cJSON_ArrayForEach(t, in)
	{
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(t, "deviceType");
		if (!oneclick_name_valid(t->string) || !cJSON_IsObject(t) ||
		    (type && (!cJSON_IsString(type) || strcmp(type->valuestring, "button") != 0))) {
			cJSON_Delete(o);
			return ck_api_fail(
			    out, 400, "bad_request",
			    "a device slot needs a name of 1 to 128 of A-Z a-z 0-9 _ - "
			    "and an object value whose deviceType is \"button\"");
		}
		cJSON *slot = cJSON_AddObjectToObject(o, t->string);
		if (!slot || !cJSON_AddStringToObject(slot, "deviceType", "button")) {
			cJSON_Delete(o);
			return ck_api_fail(out, 500, "internal", "out of memory");
		}
	}
	*tpls = o;
	return 0;
}

static int check_description(const cJSON *d, cJSON **out)
{
	if (d && (!cJSON_IsString(d) || strlen(d->valuestring) > MAX_DESCRIPTION))
		return ck_api_fail(out, 400, "bad_request",
		                   "description must be a string of at most 500 bytes");
	return 0;
}

static int not_found(cJSON **out, int rc, const char *what)
{
	if (rc == -ENOENT)
		return ck_api_fail(out, 404, "not_found", what);
	return ck_api_store_fail(out, rc);
}

static int project_create(const struct ck_api_env *env, const struct ck_api_request *req,
                          const char *const *param, cJSON **out)
{
	(void)param;
	cJSON *body, *tpls = NULL;
	int status = ck_api_parse_body(req, &body, out);
	if (status)
		return status;
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(body, "projectName");
	const cJSON *desc = cJSON_GetObjectItemCaseSensitive(body, "description");
	const cJSON *pt = cJSON_GetObjectItemCaseSensitive(body, "placementTemplate");
	const cJSON *defaults = cJSON_GetObjectItemCaseSensitive(pt, "defaultAttributes");
	if (!cJSON_IsString(name) || !oneclick_name_valid(name->valuestring)) {
		status = ck_api_fail(out, 400, "invalid_name",
		                     "projectName must be 1 to 128 of A-Z a-z 0-9 _ -");
		goto out;
	}
	if (!cJSON_IsObject(pt)) {
		status = ck_api_fail(out, 400, "bad_request",
		                     "placementTemplate with deviceTemplates is required");
		goto out;
	}
	status = check_description(desc, out);
	if (!status)
		status = check_attributes(defaults, false, out);
	if (!status)
		status = check_templates(cJSON_GetObjectItemCaseSensitive(pt, "deviceTemplates"),
		                         &tpls, out);
	if (status)
		goto out;
	int rc = ck_store_project_put(env->store, name->valuestring,
	                              cJSON_IsString(desc) ? desc->valuestring : "", defaults, tpls,
	                              ck_api_now_ms());
	if (rc == 0)
		rc = ck_store_project_get_json(env->store, name->valuestring, out);
	if (rc != 0) {
		status = rc == -EEXIST
		             ? ck_api_fail(out, 409, "conflict", "a project with that name exists")
		             : ck_api_store_fail(out, rc);
		goto out;
	}
	ck_info("api", "project %s created", name->valuestring);
	status = 201;
out:
	cJSON_Delete(tpls);
	cJSON_Delete(body);
	return status;
}

static int project_list(const struct ck_api_env *env, const struct ck_api_request *req,
                        const char *const *param, cJSON **out)
{
	(void)req;
	(void)param;
	cJSON *o = cJSON_CreateObject();
	cJSON *items = o ? cJSON_AddArrayToObject(o, "items") : NULL;
	if (!items || !cJSON_AddNullToObject(o, "next")) {
		cJSON_Delete(o);
		return ck_api_fail(out, 500, "internal", "out of memory");
	}
	int rc = ck_store_project_list(env->store, items);
	if (rc != 0) {
		cJSON_Delete(o);
		return ck_api_store_fail(out, rc);
	}
	*out = o;
	return 200;
}

static int project_get(const struct ck_api_env *env, const struct ck_api_request *req,
                       const char *const *param, cJSON **out)
{
	(void)req;
	int rc = ck_store_project_get_json(env->store, param[0], out);
	return rc == 0 ? 200 : not_found(out, rc, "no such project");
}

static int project_update(const struct ck_api_env *env, const struct ck_api_request *req,
                          const char *const *param, cJSON **out)
{
	cJSON *body;
	int status = ck_api_parse_body(req, &body, out);
	if (status)
		return status;
	const cJSON *desc = cJSON_GetObjectItemCaseSensitive(body, "description");
	const cJSON *pt = cJSON_GetObjectItemCaseSensitive(body, "placementTemplate");
	const cJSON *defaults = cJSON_GetObjectItemCaseSensitive(pt, "defaultAttributes");
	if (cJSON_GetObjectItemCaseSensitive(pt, "deviceTemplates")) {
		status = ck_api_fail(out, 400, "bad_request",
		                     "device slots cannot change after a project is created");
		goto out;
	}
	status = check_description(desc, out);
	if (!status)
		status = check_attributes(defaults, false, out);
	if (status)
		goto out;
	int rc = ck_store_project_update(env->store, param[0],
	                                 cJSON_IsString(desc) ? desc->valuestring : NULL, defaults,
	                                 ck_api_now_ms());
	if (rc == 0)
		rc = ck_store_project_get_json(env->store, param[0], out);
	status = rc == 0 ? 200 : not_found(out, rc, "no such project");
	if (rc == 0)
		ck_info("api", "project %s updated", param[0]);
out:
	cJSON_Delete(body);
	return status;
}

static int project_delete(const struct ck_api_env *env, const struct ck_api_request *req,
                          const char *const *param, cJSON **out)
{
	(void)req;
	int rc = ck_store_project_delete(env->store, param[0]);
	if (rc == -EBUSY)
		return ck_api_fail(out, 409, "conflict",
		                   "the project still has placements; delete them first");
	if (rc != 0)
		return not_found(out, rc, "no such project");
	ck_info("api", "project %s deleted", param[0]);
	*out = cJSON_CreateObject();
	return 200;
}

static int placement_create(const struct ck_api_env *env, const struct ck_api_request *req,
                            const char *const *param, cJSON **out)
{
	cJSON *body;
	int status = ck_api_parse_body(req, &body, out);
	if (status)
		return status;
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(body, "placementName");
	const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(body, "attributes");
	if (!cJSON_IsString(name) || !oneclick_name_valid(name->valuestring)) {
		status = ck_api_fail(out, 400, "invalid_name",
		                     "placementName must be 1 to 128 of A-Z a-z 0-9 _ -");
		goto out;
	}
	status = check_attributes(attrs, false, out);
	if (status)
		goto out;
	int rc =
	    ck_store_placement_put(env->store, param[0], name->valuestring, attrs, ck_api_now_ms());
	if (rc == 0)
		rc = ck_store_placement_get_json(env->store, param[0], name->valuestring, out);
	if (rc != 0) {
		status = rc == -EEXIST ? ck_api_fail(out, 409, "conflict",
		                                     "a placement with that name exists")
		                       : not_found(out, rc, "no such project");
		goto out;
	}
	ck_info("api", "placement %s/%s created", param[0], name->valuestring);
	status = 201;
out:
	cJSON_Delete(body);
	return status;
}

static int placement_list(const struct ck_api_env *env, const struct ck_api_request *req,
                          const char *const *param, cJSON **out)
{
	(void)req;
	cJSON *o = cJSON_CreateObject();
	cJSON *items = o ? cJSON_AddArrayToObject(o, "items") : NULL;
	if (!items || !cJSON_AddNullToObject(o, "next")) {
		cJSON_Delete(o);
		return ck_api_fail(out, 500, "internal", "out of memory");
	}
	int rc = ck_store_placement_list(env->store, param[0], items);
	if (rc != 0) {
		cJSON_Delete(o);
		return not_found(out, rc, "no such project");
	}
	*out = o;
	return 200;
}

static int placement_get(const struct ck_api_env *env, const struct ck_api_request *req,
                         const char *const *param, cJSON **out)
{
	(void)req;
	int rc = ck_store_placement_get_json(env->store, param[0], param[1], out);
	return rc == 0 ? 200 : not_found(out, rc, "no such placement");
}

static int placement_update(const struct ck_api_env *env, const struct ck_api_request *req,
                            const char *const *param, cJSON **out)
{
	cJSON *body;
	int status = ck_api_parse_body(req, &body, out);
	if (status)
		return status;
	const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(body, "attributes");
	if (!attrs) {
		status = ck_api_fail(out, 400, "bad_request", "attributes is required");
		goto out;
	}
	status = check_attributes(attrs, true, out);
	if (status)
		goto out;
	int rc = ck_store_placement_update(env->store, param[0], param[1], attrs, ck_api_now_ms());
	if (rc == 0)
		rc = ck_store_placement_get_json(env->store, param[0], param[1], out);
	status = rc == 0 ? 200 : not_found(out, rc, "no such placement");
	if (rc == 0)
		ck_info("api", "placement %s/%s updated", param[0], param[1]);
out:
	cJSON_Delete(body);
	return status;
}

static int placement_delete(const struct ck_api_env *env, const struct ck_api_request *req,
                            const char *const *param, cJSON **out)
{
	(void)req;
	int rc = ck_store_placement_delete(env->store, param[0], param[1]);
	if (rc == -EBUSY)
		return ck_api_fail(out, 409, "conflict",
		                   "the placement still holds devices; unassign them first");
	if (rc != 0)
		return not_found(out, rc, "no such placement");
	ck_info("api", "placement %s/%s deleted", param[0], param[1]);
	*out = cJSON_CreateObject();
	return 200;
}

static int placement_devices(const struct ck_api_env *env, const struct ck_api_request *req,
                             const char *const *param, cJSON **out)
{
	(void)req;
	cJSON *p = NULL;
	int rc = ck_store_placement_get_json(env->store, param[0], param[1], &p);
	if (rc != 0)
		return not_found(out, rc, "no such placement");
	cJSON *o = cJSON_CreateObject();
	cJSON *devs = cJSON_DetachItemFromObjectCaseSensitive(p, "devices");
	cJSON_Delete(p);
	if (!o || !devs) {
		cJSON_Delete(o);
		cJSON_Delete(devs);
		return ck_api_fail(out, 500, "internal", "out of memory");
	}
	cJSON_AddItemToObject(o, "devices", devs);
	*out = o;
	return 200;
}

static int device_assign(const struct ck_api_env *env, const struct ck_api_request *req,
                         const char *const *param, cJSON **out)
{
	cJSON *body;
	int status = ck_api_parse_body(req, &body, out);
	if (status)
		return status;
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(body, "deviceId");
	if (!cJSON_IsString(id) || !ck_name_valid(id->valuestring)) {
		status = ck_api_fail(out, 400, "bad_request", "deviceId must be a thing name");
		goto out;
	}
	int rc = ck_store_placement_assign(env->store, param[0], param[1], param[2],
	                                   id->valuestring, ck_api_now_ms());
	if (rc == -EINVAL)
		status = ck_api_fail(out, 400, "bad_request",
		                     "the project's placement template has no such device slot");
	else if (rc == -EBUSY)
		status = ck_api_fail(out, 409, "conflict",
		                     "the slot holds another thing, or the thing holds another "
		                     "slot; unassign it first");
	else if (rc == -ENOENT)
		status = ck_api_fail(out, 404, "not_found", "no such placement or thing");
	else if (rc != 0)
		status = ck_api_store_fail(out, rc);
	if (status)
		goto out;
	rc = ck_store_placement_get_json(env->store, param[0], param[1], out);
	status = rc == 0 ? 200 : not_found(out, rc, "no such placement");
	ck_info("api", "thing %s assigned to %s/%s slot %s", id->valuestring, param[0], param[1],
	        param[2]);
out:
	cJSON_Delete(body);
	return status;
}

static int device_unassign(const struct ck_api_env *env, const struct ck_api_request *req,
                           const char *const *param, cJSON **out)
{
	(void)req;
	int rc = ck_store_placement_unassign(env->store, param[0], param[1], param[2]);
	if (rc != 0)
		return not_found(out, rc, "that slot holds no device");
	ck_info("api", "%s/%s slot %s emptied", param[0], param[1], param[2]);
	rc = ck_store_placement_get_json(env->store, param[0], param[1], out);
	return rc == 0 ? 200 : not_found(out, rc, "no such placement");
}

const struct ck_api_route ck_api_routes_projects[] = {
	{ "GET", "/projects", project_list },
	{ "POST", "/projects", project_create },
	{ "GET", "/projects/{}", project_get },
	{ "PATCH", "/projects/{}", project_update },
	{ "DELETE", "/projects/{}", project_delete },
	{ "GET", "/projects/{}/placements", placement_list },
	{ "POST", "/projects/{}/placements", placement_create },
	{ "GET", "/projects/{}/placements/{}", placement_get },
	{ "PATCH", "/projects/{}/placements/{}", placement_update },
	{ "DELETE", "/projects/{}/placements/{}", placement_delete },
	{ "GET", "/projects/{}/placements/{}/devices", placement_devices },
	{ "PUT", "/projects/{}/placements/{}/devices/{}", device_assign },
	{ "DELETE", "/projects/{}/placements/{}/devices/{}", device_unassign },
	{ NULL, NULL, NULL },
};
