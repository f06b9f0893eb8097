/*
 * SQLite storage of 1-Click projects, placements and slot assignments (see
 * store_projects.h). Attributes and device templates are kept as JSON text
 * in their rows; a slot assignment is one placement_device row, whose
 * UNIQUE thing column keeps a thing in at most one slot.
 */
#include "store/store_projects.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_int.h"

/* Prints o compactly ("{}" for NULL) into a new string. */
static char *json_text(const cJSON *o)
{
	if (!o)
		return strdup("{}");
	return cJSON_PrintUnformatted(o);
}

/* Returns 1 when the SQL (one parameter or two) finds a row, 0 when not, -EIO. */
static int exists(struct ck_store *s, const char *sql, const char *a, const char *b)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, sql, &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	int out = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : ck_sq_fail(s, "exists");
	ck_sq_finish(s, st);
	return out;
}

int ck_store_project_put(struct ck_store *s, const char *name, const char *description,
                         const cJSON *default_attributes, const cJSON *device_templates,
                         int64_t now_ms)
{
	char *attrs = json_text(default_attributes), *tpls = json_text(device_templates);
	sqlite3_stmt *st = NULL;
	int rc = -ENOMEM;
	if (!attrs || !tpls)
		goto out;
	rc = -EIO;
	if (ck_sq_prepare(
	        s,
	        "INSERT INTO project(name, description, default_attributes,"
	        " device_templates, created_ms, updated_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?5)",
	        &st) != 0)
		goto out;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, description ? description : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, attrs, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, tpls, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now_ms);
	rc = ck_sq_step_done(s, st, "project put");
	ck_sq_finish(s, st);
out:
	cJSON_free(attrs);
	cJSON_free(tpls);
	return rc;
}

int ck_store_project_update(struct ck_store *s, const char *name, const char *description,
                            const cJSON *default_attributes, int64_t now_ms)
{
	char *attrs = default_attributes ? cJSON_PrintUnformatted(default_attributes) : NULL;
	sqlite3_stmt *st = NULL;
	int rc = -ENOMEM;
	if (default_attributes && !attrs)
		return rc;
	rc = -EIO;
	if (ck_sq_prepare(s,
	                  "UPDATE project SET description = coalesce(?2, description),"
	                  " default_attributes = coalesce(?3, default_attributes), updated_ms = ?4"
	                  " WHERE name = ?1",
	                  &st) != 0)
		goto out;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	ck_sq_bind_text(st, 2, description);
	ck_sq_bind_text(st, 3, attrs);
	sqlite3_bind_int64(st, 4, now_ms);
	rc = ck_sq_step_done(s, st, "project update");
	ck_sq_finish(s, st);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = -ENOENT;
out:
	cJSON_free(attrs);
	return rc;
}

int ck_store_project_delete(struct ck_store *s, const char *name)
{
	int busy = exists(s, "SELECT 1 FROM placement WHERE project = ?1 LIMIT 1", name, NULL);
	if (busy < 0)
		return busy;
	if (busy)
		return -EBUSY;
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, "DELETE FROM project WHERE name = ?1", &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = ck_sq_step_done(s, st, "project delete");
	ck_sq_finish(s, st);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = -ENOENT;
	return rc;
}

#define PROJECT_COLUMNS                                                                            \
	"SELECT name, description, default_attributes, device_templates, created_ms, updated_ms,"  \
	" (SELECT count(*) FROM placement WHERE placement.project = project.name) FROM project"

static cJSON *project_row(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	ck_sq_add_column(o, "projectName", st, 0);
	ck_sq_add_column(o, "description", st, 1);
	cJSON *tpl = cJSON_AddObjectToObject(o, "placementTemplate");
	if (tpl) {
		ck_sq_add_json_column(tpl, "defaultAttributes", st, 2);
		ck_sq_add_json_column(tpl, "deviceTemplates", st, 3);
	}
	ck_sq_add_column(o, "placements", st, 6);
	ck_sq_add_column(o, "createdDate", st, 4);
	ck_sq_add_column(o, "updatedDate", st, 5);
	return o;
}

int ck_store_project_get_json(struct ck_store *s, const char *name, cJSON **out)
{
	sqlite3_stmt *st = NULL;
	*out = NULL;
	if (ck_sq_prepare(s, PROJECT_COLUMNS " WHERE name = ?1", &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return ck_sq_get_one(s, st, project_row, "project get", out);
}

int ck_store_project_list(struct ck_store *s, cJSON *items)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, PROJECT_COLUMNS " ORDER BY name", &st) != 0)
		return -EIO;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *o = project_row(st);
		if (!o) {
			ck_sq_finish(s, st);
			return -ENOMEM;
		}
		cJSON_AddItemToArray(items, o);
	}
	rc = rc == SQLITE_DONE ? 0 : ck_sq_fail(s, "project list");
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_placement_put(struct ck_store *s, const char *project, const char *name,
                           const cJSON *attributes, int64_t now_ms)
{
	int found = exists(s, "SELECT 1 FROM project WHERE name = ?1", project, NULL);
	if (found <= 0)
		return found < 0 ? found : -ENOENT;
	char *attrs = json_text(attributes);
	if (!attrs)
		return -ENOMEM;
	sqlite3_stmt *st = NULL;
	int rc = -EIO;
	if (ck_sq_prepare(s,
	                  "INSERT INTO placement(project, name, attributes, created_ms, updated_ms)"
	                  " VALUES(?1, ?2, ?3, ?4, ?4)",
	                  &st) == 0) {
		sqlite3_bind_text(st, 1, project, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, attrs, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, now_ms);
		rc = ck_sq_step_done(s, st, "placement put");
		ck_sq_finish(s, st);
	}
	cJSON_free(attrs);
	return rc;
}

/* Reads a JSON text column of one row found by two keys into a new object. */
static int get_object(struct ck_store *s, const char *sql, const char *a, const char *b,
                      cJSON **out)
{
	sqlite3_stmt *st = NULL;
	*out = NULL;
	if (ck_sq_prepare(s, sql, &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		cJSON *o = cJSON_Parse((const char *)sqlite3_column_text(st, 0));
		if (!cJSON_IsObject(o)) {
			cJSON_Delete(o);
			o = cJSON_CreateObject();
		}
		*out = o;
		rc = o ? 0 : -ENOMEM;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : ck_sq_fail(s, "placement read");
	}
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_placement_update(struct ck_store *s, const char *project, const char *name,
                              const cJSON *attributes, int64_t now_ms)
{
	cJSON *cur = NULL;
	int rc = get_object(s, "SELECT attributes FROM placement WHERE project = ?1 AND name = ?2",
	                    project, name, &cur);
	if (rc != 0)
		return rc;
	const cJSON *a;
	cJSON_ArrayForEach(a, attributes)
	{
		if (!cJSON_IsString(a))
			continue;
		cJSON_DeleteItemFromObjectCaseSensitive(cur, a->string);
		if (a->valuestring[0] && !cJSON_AddStringToObject(cur, a->string, a->valuestring)) {
			cJSON_Delete(cur);
			return -ENOMEM;
		}
	}
	char *text = cJSON_PrintUnformatted(cur);
	cJSON_Delete(cur);
	if (!text)
		return -ENOMEM;
	sqlite3_stmt *st = NULL;
	rc = -EIO;
	if (ck_sq_prepare(s,
	                  "UPDATE placement SET attributes = ?3, updated_ms = ?4"
	                  " WHERE project = ?1 AND name = ?2",
	                  &st) == 0) {
		sqlite3_bind_text(st, 1, project, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, now_ms);
		rc = ck_sq_step_done(s, st, "placement update");
		ck_sq_finish(s, st);
	}
	cJSON_free(text);
	return rc;
}

int ck_store_placement_delete(struct ck_store *s, const char *project, const char *name)
{
	int busy = exists(s,
	                  "SELECT 1 FROM placement_device WHERE project = ?1 AND placement = ?2"
	                  " LIMIT 1",
	                  project, name);
	if (busy < 0)
		return busy;
	if (busy)
		return -EBUSY;
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, "DELETE FROM placement WHERE project = ?1 AND name = ?2", &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, project, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	int rc = ck_sq_step_done(s, st, "placement delete");
	ck_sq_finish(s, st);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = -ENOENT;
	return rc;
}

/* The slot -> thing map of a placement, as a new object in *out. */
static int placement_devices(struct ck_store *s, const char *project, const char *name, cJSON **out)
{
	sqlite3_stmt *st = NULL;
	cJSON *devs = cJSON_CreateObject();
	*out = NULL;
	if (!devs)
		return -ENOMEM;
	if (ck_sq_prepare(s,
	                  "SELECT template, thing FROM placement_device"
	                  " WHERE project = ?1 AND placement = ?2 ORDER BY template",
	                  &st) != 0) {
		cJSON_Delete(devs);
		return -EIO;
	}
	sqlite3_bind_text(st, 1, project, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cJSON_AddStringToObject(devs, (const char *)sqlite3_column_text(st, 0),
		                        (const char *)sqlite3_column_text(st, 1));
	rc = rc == SQLITE_DONE ? 0 : ck_sq_fail(s, "placement devices");
	ck_sq_finish(s, st);
	if (rc != 0) {
		cJSON_Delete(devs);
		return rc;
	}
	*out = devs;
	return 0;
}

#define PLACEMENT_COLUMNS "SELECT project, name, attributes, created_ms, updated_ms FROM placement"

static cJSON *placement_row(struct ck_store *s, sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject(), *devs = NULL;
	if (!o)
		return NULL;
	ck_sq_add_column(o, "projectName", st, 0);
	ck_sq_add_column(o, "placementName", st, 1);
	ck_sq_add_json_column(o, "attributes", st, 2);
	if (placement_devices(s, (const char *)sqlite3_column_text(st, 0),
	                      (const char *)sqlite3_column_text(st, 1), &devs) != 0) {
		cJSON_Delete(o);
		return NULL;
	}
	cJSON_AddItemToObject(o, "devices", devs);
	ck_sq_add_column(o, "createdDate", st, 3);
	ck_sq_add_column(o, "updatedDate", st, 4);
	return o;
}

int ck_store_placement_get_json(struct ck_store *s, const char *project, const char *name,
                                cJSON **out)
{
	sqlite3_stmt *st = NULL;
	*out = NULL;
	if (ck_sq_prepare(s, PLACEMENT_COLUMNS " WHERE project = ?1 AND name = ?2", &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, project, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = placement_row(s, st);
		rc = *out ? 0 : -ENOMEM;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : ck_sq_fail(s, "placement get");
	}
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_placement_list(struct ck_store *s, const char *project, cJSON *items)
{
	int found = exists(s, "SELECT 1 FROM project WHERE name = ?1", project, NULL);
	if (found <= 0)
		return found < 0 ? found : -ENOENT;
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s, PLACEMENT_COLUMNS " WHERE project = ?1 ORDER BY name", &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, project, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *o = placement_row(s, st);
		if (!o) {
			ck_sq_finish(s, st);
			return -ENOMEM;
		}
		cJSON_AddItemToArray(items, o);
	}
	rc = rc == SQLITE_DONE ? 0 : ck_sq_fail(s, "placement list");
	ck_sq_finish(s, st);
	return rc;
}

int ck_store_placement_assign(struct ck_store *s, const char *project, const char *placement,
                              const char *slot, const char *thing, int64_t now_ms)
{
	cJSON *tpls = NULL;
	int rc = exists(s, "SELECT 1 FROM placement WHERE project = ?1 AND name = ?2", project,
	                placement);
	if (rc <= 0)
		return rc < 0 ? rc : -ENOENT;
	rc = exists(s, "SELECT 1 FROM thing WHERE name = ?1", thing, NULL);
	if (rc <= 0)
		return rc < 0 ? rc : -ENOENT;
	rc = get_object(s, "SELECT device_templates FROM project WHERE name = ?1 AND ?2 = ?2",
	                project, project, &tpls);
	if (rc != 0)
		return rc;
	bool known = cJSON_GetObjectItemCaseSensitive(tpls, slot) != NULL;
	cJSON_Delete(tpls);
	if (!known)
		return -EINVAL;
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "SELECT project = ?1 AND placement = ?2 AND template = ?3"
	                  " FROM placement_device WHERE thing = ?4",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, project, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, placement, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, slot, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, thing, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	int held = rc == SQLITE_ROW ? (sqlite3_column_int(st, 0) ? 1 : 2) : 0;
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ck_sq_fail(s, "placement slot");
	ck_sq_finish(s, st);
	if (rc != 0)
		return rc;
	if (held) /* already in this slot (done) or in another one (busy) */
		return held == 1 ? 0 : -EBUSY;
	if (ck_sq_prepare(s,
	                  "INSERT INTO placement_device(project, placement, template, thing,"
	                  " created_ms) VALUES(?1, ?2, ?3, ?4, ?5)",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, project, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, placement, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, slot, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, thing, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now_ms);
	rc = ck_sq_step_done(s, st, "placement assign");
	ck_sq_finish(s, st);
	return rc == -EEXIST ? -EBUSY : rc;
}

int ck_store_placement_unassign(struct ck_store *s, const char *project, const char *placement,
                                const char *slot)
{
	sqlite3_stmt *st = NULL;
	if (ck_sq_prepare(s,
	                  "DELETE FROM placement_device WHERE project = ?1 AND placement = ?2"
	                  " AND template = ?3",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, project, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, placement, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, slot, -1, SQLITE_STATIC);
	int rc = ck_sq_step_done(s, st, "placement unassign");
	ck_sq_finish(s, st);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = -ENOENT;
	return rc;
}

/* Parses a JSON text column into a new object ({} when unparsable). */
static cJSON *column_object(sqlite3_stmt *st, int i)
{
	cJSON *o = cJSON_Parse((const char *)sqlite3_column_text(st, i));
	if (cJSON_IsObject(o))
		return o;
	cJSON_Delete(o);
	return cJSON_CreateObject();
}

int ck_store_oneclick_where(struct ck_store *s, const char *thing, struct ck_oneclick_where *w)
{
	sqlite3_stmt *st = NULL;
	memset(w, 0, sizeof(*w));
	if (ck_sq_prepare(s,
	                  "SELECT d.project, d.placement, d.template, p.default_attributes,"
	                  " l.attributes FROM placement_device d"
	                  " JOIN project p ON p.name = d.project"
	                  " JOIN placement l ON l.project = d.project AND l.name = d.placement"
	                  " WHERE d.thing = ?1",
	                  &st) != 0)
		return -EIO;
	sqlite3_bind_text(st, 1, thing, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		ck_sq_copy_name(w->project, sqlite3_column_text(st, 0));
		ck_sq_copy_name(w->placement, sqlite3_column_text(st, 1));
		ck_sq_copy_name(w->slot, sqlite3_column_text(st, 2));
		w->default_attributes = column_object(st, 3);
		w->attributes = column_object(st, 4);
		rc = w->default_attributes && w->attributes ? 0 : -ENOMEM;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : ck_sq_fail(s, "oneclick where");
	}
	ck_sq_finish(s, st);
	if (rc == 0)
		rc = placement_devices(s, w->project, w->placement, &w->devices);
	if (rc != 0)
		ck_oneclick_where_cleanup(w);
	return rc;
}

void ck_oneclick_where_cleanup(struct ck_oneclick_where *w)
{
	cJSON_Delete(w->default_attributes);
	cJSON_Delete(w->attributes);
	cJSON_Delete(w->devices);
	w->default_attributes = w->attributes = w->devices = NULL;
}
