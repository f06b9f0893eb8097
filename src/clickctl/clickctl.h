/*
 * clickctl internals shared by its files: exit statuses, the HTTP client
 * (http.c), the per-invocation context handed to each command, and small
 * output helpers (main.c). clickctl speaks only the HTTP API of
 * docs/api.md; nothing here touches clickd's data directory except the
 * token file.
 */
#ifndef CK_CTL_H
#define CK_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/cli.h"

#define CK_CTL_EXIT_OK          0
#define CK_CTL_EXIT_FAIL        1 /* an API error or a local failure */
#define CK_CTL_EXIT_USAGE       2
#define CK_CTL_EXIT_UNREACHABLE 3

#define CK_CTL_DEFAULT_SERVER "http://127.0.0.1:8080"

/* Option identifiers, shared by every command's option list. */
enum ck_ctl_opt {
	CK_CTL_OPT_HELP,
	CK_CTL_OPT_VERSION,
	CK_CTL_OPT_SERVER,
	CK_CTL_OPT_TOKEN,
	CK_CTL_OPT_TOKEN_FILE,
	CK_CTL_OPT_JSON,
	CK_CTL_OPT_TYPE,
	CK_CTL_OPT_ATTR,
	CK_CTL_OPT_OUT,
	CK_CTL_OPT_FORCE,
	CK_CTL_OPT_SQL,
	CK_CTL_OPT_SQL_VERSION,
	CK_CTL_OPT_ACTION,
	CK_CTL_OPT_KIND,
	CK_CTL_OPT_DISABLED,
	CK_CTL_OPT_STATUS,
	CK_CTL_OPT_THING,
	CK_CTL_OPT_ACTIONS_JSON,
	CK_CTL_OPT_ERROR_ACTION_JSON,
	CK_CTL_OPT_TOPIC,
	CK_CTL_OPT_CLIENTID,
	CK_CTL_OPT_RULE_NAME,
	CK_CTL_OPT_PAYLOAD,
	CK_CTL_OPT_PAYLOAD_FILE,
	CK_CTL_OPT_TEMPLATE,
	CK_CTL_OPT_BUTTONS,
	CK_CTL_OPT_PRESSES_PER_DAY,
	CK_CTL_OPT_DAYS,
	CK_CTL_OPT_SMS_PER_PRESS,
	CK_CTL_OPT_EMAILS_PER_PRESS,
	CK_CTL_OPT_WEBHOOKS_PER_PRESS,
	CK_CTL_OPT_FREE_TIER,
	CK_CTL_OPT_NO_FREE_TIER,
	CK_CTL_OPT_PRICES,
	CK_CTL_OPT_FORMAT,
	CK_CTL_OPT_POLICY,
	CK_CTL_OPT_RESOURCE,
	CK_CTL_OPT_CLIENT_ID,
	CK_CTL_OPT_THING_TYPE,
	CK_CTL_OPT_CN,
	CK_CTL_OPT_SET_DEFAULT,
	CK_CTL_OPT_ENABLED,
	CK_CTL_OPT_CERT_FILE,
	CK_CTL_OPT_CA_FILE,
	CK_CTL_OPT_CRL_FILE,
	CK_CTL_OPT_CONFIG_JSON,
	CK_CTL_OPT_MONTHLY_USD,
	CK_CTL_OPT_MONTH,
	CK_CTL_OPT_ROLE,
	CK_CTL_OPT_PASSWORD_FILE,
	CK_CTL_OPT_FILTER_JSON,
	CK_CTL_OPT_SECRET,
	CK_CTL_OPT_SUBJECT,
	CK_CTL_OPT_ATTRIBUTES_JSON,
	CK_CTL_OPT_MESSAGE,
	CK_CTL_OPT_DEFINITION_FILE,
	CK_CTL_OPT_CODE_FILE,
	CK_CTL_OPT_ASYNC,
	CK_CTL_OPT_DESCRIPTION,
	CK_CTL_OPT_SLOT,
	CK_CTL_OPT_BUNDLE,
	CK_CTL_OPT_SERIAL,
	CK_CTL_OPT_COUNT
};

/* The bit of an option in a command's allowed set. The set is 64 bits:
 * the build fails here before an option past the 64th could be silently
 * lost (then make the set wider, e.g. two words). */
#define CK_CTL_BIT(opt) (UINT64_C(1) << (opt))
_Static_assert(CK_CTL_OPT_COUNT <= 64, "clickctl's allowed-option set holds 64 options");

struct ck_ctl_http;

/* An error the API returned (docs/api.md "Errors"). */
struct ck_ctl_api_error {
	long status;       /* HTTP status */
	char code[32];     /* e.g. "invalid_sql"; "" when the body had none */
	char message[512]; /* the API's message, or a description of the failure */
	int line;          /* SQL errors only; 0 otherwise */
	int column;
};

/* One invocation: the parsed command line and the client. */
struct ck_ctl {
	const struct ck_cli_args *args;
	const char *const *operands; /* positionals after the command words */
	size_t n_operands;
	struct ck_ctl_http *http;
	bool json;
};

/*
 * Creates a client for the API under server (a root URL such as
 * http://127.0.0.1:8080; "/api/v1" is appended unless already there) that
 * sends token as a bearer token. Returns 0, or -ENOMEM / -EINVAL with a
 * reason in err. The token is copied and never printed.
 */
int ck_ctl_http_new(const char *server, const char *token, struct ck_ctl_http **out, char *err,
                    size_t err_len);

/* Frees the client and clears its copy of the token; NULL is a no-op. */
void ck_ctl_http_free(struct ck_ctl_http *h);

/*
 * Sends method path (relative to /api/v1, starting with '/', already
 * escaped) with body as JSON when body is not NULL. On a 2xx answer returns
 * CK_CTL_EXIT_OK and the parsed body in *resp (caller frees; cJSON NULL for
 * an empty body). When clickd cannot be reached, prints "clickctl: cannot
 * reach clickd at URL: reason" and returns CK_CTL_EXIT_UNREACHABLE. Any
 * other failure (an API error, a body that is not JSON, a reply over the
 * size cap) returns CK_CTL_EXIT_FAIL with *e filled and nothing printed.
 */
int ck_ctl_api(struct ck_ctl_http *h, const char *method, const char *path, const cJSON *body,
               cJSON **resp, struct ck_ctl_api_error *e);

/*
 * GETs a list endpoint and follows "next" until the last page. path may
 * already have a query string. Returns CK_CTL_EXIT_OK with every item in one
 * new array in *items (caller frees), or what ck_ctl_api returns.
 */
int ck_ctl_api_list(struct ck_ctl_http *h, const char *path, cJSON **items,
                    struct ck_ctl_api_error *e);

/* Prints "clickctl: <message>" for e on stderr, with a hint for 401.
 * Returns CK_CTL_EXIT_FAIL. */
int ck_ctl_print_api_error(const struct ck_ctl_api_error *e);

/* Prints "clickctl: <formatted>" on stderr and returns status. */
int ck_ctl_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The string member key of o, or NULL when absent or not a string. */
const char *ck_ctl_json_str(const cJSON *o, const char *key);

/* Formats the member key of o (Unix ms or null) as local ISO 8601 into buf;
 * "-" when null, absent or out of range. Returns buf. */
const char *ck_ctl_json_time(const cJSON *o, const char *key, char *buf, size_t len);

/* Prints j (indented) and a newline on stdout. Returns CK_CTL_EXIT_OK, or
 * CK_CTL_EXIT_FAIL when out of memory. */
int ck_ctl_print_json(const cJSON *j);

/* Prints a list's items as {"items": [...], "next": null}. Same returns. */
int ck_ctl_print_json_list(const cJSON *items);

/* Renders t on stdout. Returns CK_CTL_EXIT_OK, or CK_CTL_EXIT_FAIL when out
 * of memory. */
int ck_ctl_print_table(const struct ck_cli_table *t);

/* Adds the row of one list item to t (with ck_cli_table_add). Returns 0, or
 * -ENOMEM when out of memory. */
typedef int (*ck_ctl_row_fn)(struct ck_cli_table *t, const cJSON *item);

/*
 * The body of a list command, after the caller has checked its operands and
 * built path: GETs every page of path (ck_ctl_api_list), then prints the
 * items with ck_ctl_print_json_list under --json, or else as a table with
 * the ncols headers of head and one row per item, added by row. Prints its
 * own errors. Returns CK_CTL_EXIT_OK; CK_CTL_EXIT_FAIL after an API error
 * or when out of memory (nothing on stdout then); or
 * CK_CTL_EXIT_UNREACHABLE.
 */
int ck_ctl_list_print(struct ck_ctl *c, const char *path, size_t ncols, const char *const *head,
                      ck_ctl_row_fn row);

/* The commands. Each returns an exit status and prints its own errors. */
int ck_ctl_thing_create(struct ck_ctl *c);
int ck_ctl_thing_list(struct ck_ctl *c);
int ck_ctl_rules_create(struct ck_ctl *c);
int ck_ctl_rules_list(struct ck_ctl *c);
int ck_ctl_rules_replace(struct ck_ctl *c);
int ck_ctl_rules_show(struct ck_ctl *c);
int ck_ctl_rules_enable(struct ck_ctl *c);
int ck_ctl_rules_disable(struct ck_ctl *c);
int ck_ctl_rules_delete(struct ck_ctl *c);
int ck_ctl_deadletters_list(struct ck_ctl *c);
int ck_ctl_deadletters_retry(struct ck_ctl *c);
int ck_ctl_queues_create(struct ck_ctl *c);
int ck_ctl_queues_list(struct ck_ctl *c);
int ck_ctl_queues_delete(struct ck_ctl *c);
int ck_ctl_queues_send(struct ck_ctl *c);
int ck_ctl_queues_receive(struct ck_ctl *c);
int ck_ctl_queues_delete_message(struct ck_ctl *c);
int ck_ctl_queues_change_visibility(struct ck_ctl *c);
int ck_ctl_queues_purge(struct ck_ctl *c);
int ck_ctl_tables_create(struct ck_ctl *c);
int ck_ctl_tables_list(struct ck_ctl *c);
int ck_ctl_tables_drop(struct ck_ctl *c);
int ck_ctl_tables_put(struct ck_ctl *c);
int ck_ctl_tables_get(struct ck_ctl *c);
int ck_ctl_tables_delete(struct ck_ctl *c);
int ck_ctl_tables_query(struct ck_ctl *c);
int ck_ctl_rules_eval(struct ck_ctl *c);
int ck_ctl_workorders_list(struct ck_ctl *c);
int ck_ctl_cost_estimate(struct ck_ctl *c);
int ck_ctl_cost_usage(struct ck_ctl *c);
int ck_ctl_users_create(struct ck_ctl *c);
int ck_ctl_users_list(struct ck_ctl *c);
int ck_ctl_users_delete(struct ck_ctl *c);
int ck_ctl_users_passwd(struct ck_ctl *c);
int ck_ctl_users_role(struct ck_ctl *c);
int ck_ctl_policy_test(struct ck_ctl *c);
int ck_ctl_policy_create(struct ck_ctl *c);
int ck_ctl_policy_list(struct ck_ctl *c);
int ck_ctl_policy_show(struct ck_ctl *c);
int ck_ctl_policy_delete(struct ck_ctl *c);
int ck_ctl_policy_attach(struct ck_ctl *c);
int ck_ctl_policy_detach(struct ck_ctl *c);
int ck_ctl_policy_version(struct ck_ctl *c);
/* registry.c */
int ck_ctl_thing_show(struct ck_ctl *c);
int ck_ctl_thing_update(struct ck_ctl *c);
int ck_ctl_thing_delete(struct ck_ctl *c);
/* Writes "?type=..&attr=.." for thing list's filters into q; exit status. */
int ck_ctl_thing_list_query(struct ck_ctl *c, char *q, size_t len);
int ck_ctl_cert_list(struct ck_ctl *c);
int ck_ctl_cert_show(struct ck_ctl *c);
int ck_ctl_cert_activate(struct ck_ctl *c);
int ck_ctl_cert_deactivate(struct ck_ctl *c);
int ck_ctl_cert_revoke(struct ck_ctl *c);
int ck_ctl_cert_attach(struct ck_ctl *c);
int ck_ctl_cert_detach(struct ck_ctl *c);
int ck_ctl_cert_register(struct ck_ctl *c);
int ck_ctl_ca_list(struct ck_ctl *c);
int ck_ctl_ca_register(struct ck_ctl *c);
int ck_ctl_ca_rotate(struct ck_ctl *c);
int ck_ctl_ca_retire(struct ck_ctl *c);
int ck_ctl_channels_create(struct ck_ctl *c);
int ck_ctl_channels_list(struct ck_ctl *c);
int ck_ctl_channels_delete(struct ck_ctl *c);
int ck_ctl_channels_subscribe(struct ck_ctl *c);
int ck_ctl_channels_unsubscribe(struct ck_ctl *c);
int ck_ctl_channels_publish(struct ck_ctl *c);
int ck_ctl_channels_deliveries(struct ck_ctl *c);
int ck_ctl_channels_cap(struct ck_ctl *c);
int ck_ctl_functions_create(struct ck_ctl *c);
int ck_ctl_functions_update(struct ck_ctl *c);
int ck_ctl_functions_delete(struct ck_ctl *c);
int ck_ctl_functions_list(struct ck_ctl *c);
int ck_ctl_functions_invoke(struct ck_ctl *c);
int ck_ctl_functions_logs(struct ck_ctl *c);
/* projects.c */
int ck_ctl_projects_create(struct ck_ctl *c);
int ck_ctl_projects_update(struct ck_ctl *c);
int ck_ctl_projects_show(struct ck_ctl *c);
int ck_ctl_projects_delete(struct ck_ctl *c);
int ck_ctl_projects_list(struct ck_ctl *c);
int ck_ctl_placements_create(struct ck_ctl *c);
int ck_ctl_placements_update(struct ck_ctl *c);
int ck_ctl_placements_show(struct ck_ctl *c);
int ck_ctl_placements_delete(struct ck_ctl *c);
int ck_ctl_placements_list(struct ck_ctl *c);
int ck_ctl_placements_assign(struct ck_ctl *c);
int ck_ctl_placements_unassign(struct ck_ctl *c);
/* claims.c */
int ck_ctl_claims_template_put(struct ck_ctl *c);
int ck_ctl_claims_template_list(struct ck_ctl *c);
int ck_ctl_claims_template_show(struct ck_ctl *c);
int ck_ctl_claims_template_delete(struct ck_ctl *c);
int ck_ctl_claims_create(struct ck_ctl *c);
int ck_ctl_claims_log(struct ck_ctl *c);

#endif
