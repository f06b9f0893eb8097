/*
 * The 1-Click model in the store (aws-model.md §2.3): projects with their
 * placement template (default attributes and named device slots, the
 * "device templates"), placements with their own attributes, and things
 * assigned to a placement's slot. A thing sits in at most one slot. The
 * JSON documents are those of docs/api.md ("Projects and placements").
 * Every function returns 0 or a negative errno: -ENOENT (no such project,
 * placement, slot or thing), -EEXIST (name taken), -EBUSY (a project with
 * placements, a placement with devices, a thing or slot already taken),
 * -EINVAL (a slot the project's template does not name), -ENOMEM, -EIO
 * (backend failure, logged). Input is validated by the caller (the API);
 * this module checks only what needs the store.
 */
#ifndef CK_STORE_PROJECTS_H
#define CK_STORE_PROJECTS_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "store/store.h"

/* Creates project name. default_attributes is an object of strings;
 * device_templates an object of template name -> {"deviceType":"button",
 * ...}; both borrowed. -EEXIST when the name is taken. */
int ck_store_project_put(struct ck_store *s, const char *name, const char *description,
                         const cJSON *default_attributes, const cJSON *device_templates,
                         int64_t now_ms);

/* Replaces what is not NULL of description and default attributes (the
 * device templates cannot change after creation, as in AWS). -ENOENT. */
int ck_store_project_update(struct ck_store *s, const char *name, const char *description,
                            const cJSON *default_attributes, int64_t now_ms);

/* Deletes a project; -EBUSY while it has placements, -ENOENT. */
int ck_store_project_delete(struct ck_store *s, const char *name);

/* The project as a new object in *out (caller deletes):
 * {"projectName","description","placementTemplate":{"defaultAttributes",
 * "deviceTemplates"},"placements":N,"createdDate","updatedDate"}. */
int ck_store_project_get_json(struct ck_store *s, const char *name, cJSON **out);

/* Appends every project (as ck_store_project_get_json shows it) to items, by name. */
int ck_store_project_list(struct ck_store *s, cJSON *items);

/* Creates a placement of project with attributes (object of strings,
 * borrowed; NULL for none). -ENOENT for an unknown project, -EEXIST. */
int ck_store_placement_put(struct ck_store *s, const char *project, const char *name,
                           const cJSON *attributes, int64_t now_ms);

/* Merges attributes into the placement's: a string value sets, an empty
 * one removes (AWS UpdatePlacement). -ENOENT. */
int ck_store_placement_update(struct ck_store *s, const char *project, const char *name,
                              const cJSON *attributes, int64_t now_ms);

/* Deletes a placement; -EBUSY while a slot holds a thing, -ENOENT. */
int ck_store_placement_delete(struct ck_store *s, const char *project, const char *name);

/* The placement as a new object: {"projectName","placementName",
 * "attributes","devices":{slot: thing},"createdDate","updatedDate"}. */
int ck_store_placement_get_json(struct ck_store *s, const char *project, const char *name,
                                cJSON **out);

/* Appends the placements of project to items, by name; -ENOENT for an
 * unknown project. */
int ck_store_placement_list(struct ck_store *s, const char *project, cJSON *items);

/* Puts thing into slot of a placement. -ENOENT for an unknown placement or
 * thing, -EINVAL for a slot the project does not define, -EBUSY when the
 * slot holds another thing or the thing holds another slot (assigning a
 * thing to the slot it already holds succeeds). */
int ck_store_placement_assign(struct ck_store *s, const char *project, const char *placement,
                              const char *slot, const char *thing, int64_t now_ms);

/* Empties a slot; -ENOENT when it holds nothing. */
int ck_store_placement_unassign(struct ck_store *s, const char *project, const char *placement,
                                const char *slot);

/* What a press needs to know of its thing's placement. Owned; release with
 * ck_oneclick_where_cleanup. */
struct ck_oneclick_where {
	char project[CK_NAME_MAX + 1];
	char placement[CK_NAME_MAX + 1];
	char slot[CK_NAME_MAX + 1];
	cJSON *default_attributes; /* the project's (object) */
	cJSON *attributes;         /* the placement's own (object) */
	cJSON *devices;            /* slot -> thing (object) */
};

/* Finds thing's placement. 0 with *w filled, -ENOENT when the thing holds
 * no slot, -ENOMEM, -EIO. */
int ck_store_oneclick_where(struct ck_store *s, const char *thing, struct ck_oneclick_where *w);

/* Frees what ck_store_oneclick_where filled; safe on a zeroed struct. */
void ck_oneclick_where_cleanup(struct ck_oneclick_where *w);

#endif
