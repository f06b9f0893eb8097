/*
 * Private to the API's files: the route table type and the helpers every
 * handler uses. A new area of the API is a new api_<area>.c file with its
 * own route table, listed once in api.c.
 */
#ifndef CK_API_INT_H
#define CK_API_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "http/http.h"

#define CK_API_MAX_PARAMS 4

/*
 * A handler gets the request and the path segments matched by "{}" in its
 * pattern (param[0] is the first). It returns the HTTP status and sets *out
 * to the response document.
 */
typedef int (*ck_api_handler)(const struct ck_api_env *env, const struct ck_api_request *req,
                              const char *const *param, cJSON **out);

struct ck_api_route {
	const char *method;  /* "GET", "POST", ... */
	const char *pattern; /* below /api/v1, e.g. "/things/{}/certificates" */
	ck_api_handler handler;
};

/* Route tables, each ended by an all-NULL entry. */
extern const struct ck_api_route ck_api_routes_things[];
extern const struct ck_api_route ck_api_routes_rules[];
extern const struct ck_api_route ck_api_routes_outbox[];
extern const struct ck_api_route ck_api_routes_usage[];
extern const struct ck_api_route ck_api_routes_policies[];
extern const struct ck_api_route ck_api_routes_metrics[];
extern const struct ck_api_route ck_api_routes_queues[];
extern const struct ck_api_route ck_api_routes_tables[];
extern const struct ck_api_route ck_api_routes_certs[];
extern const struct ck_api_route ck_api_routes_channels[];
extern const struct ck_api_route ck_api_routes_functions[];
extern const struct ck_api_route ck_api_routes_calls[];
extern const struct ck_api_route ck_api_routes_auth[];
extern const struct ck_api_route ck_api_routes_projects[];
extern const struct ck_api_route ck_api_routes_claims[];

/* After a registry change: rewrites the snapshot and, when trust is set,
 * the broker's CA bundle and CRL (api_certs.c). Returns 0 or -errno. */
int ck_api_registry_changed(const struct ck_api_env *env, bool trust);

/* Wall clock in Unix milliseconds. */
int64_t ck_api_now_ms(void);

/* Sets *out to an error document and returns status. */
int ck_api_fail(cJSON **out, int status, const char *code, const char *message);

/* Maps a store error (-ENOENT, -EEXIST, other) to 404, 409 or 500. */
int ck_api_store_fail(cJSON **out, int rc);

/* A whole list in one page: when rc is 0 sets *out to {"items": items,
 * "next": null} and returns 200; otherwise frees items and answers the
 * store error. items may be NULL (rc should then be -ENOMEM). */
int ck_api_one_page(cJSON *items, int rc, cJSON **out);

/* Parses the body as a JSON object into *body (caller deletes); on failure
 * returns 400 with *out set and *body NULL, else 0. */
int ck_api_parse_body(const struct ck_api_request *req, cJSON **body, cJSON **out);

typedef int (*ck_api_list_fn)(struct ck_store *, const struct ck_list_query *, cJSON *, int64_t *);

/* Runs a paged list (?limit, ?after, ?status, ?thing) into {"items","next"}. */
int ck_api_list(const struct ck_api_env *env, const struct ck_api_request *req, ck_api_list_fn fn,
                cJSON **out);

/* Same, with the status filter fixed to status_filter (the query's is ignored). */
int ck_api_list_status(const struct ck_api_env *env, const struct ck_api_request *req,
                       ck_api_list_fn fn, const char *status_filter, cJSON **out);

#endif
