/*
 * clickctl, the admin command line of clickd: parses the command line,
 * resolves the server and the API token, and hands one command to its
 * group's file (thing.c, rules.c, workorders.c, cost.c). It talks to clickd
 * only through the HTTP API (http.c); offline commands (cost estimate) need
 * no server or token. It prints tables or, with --json, JSON.
 * Exit statuses: 0 success, 1 an error from clickd or a local failure,
 * 2 a usage error, 3 clickd unreachable. The token is never printed.
 */
#include "clickctl/clickctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TOKEN_FILE_MAX 4096

#define GLOBAL_OPTS                                                                                \
	(CK_CTL_BIT(CK_CTL_OPT_HELP) | CK_CTL_BIT(CK_CTL_OPT_VERSION) |                            \
	 CK_CTL_BIT(CK_CTL_OPT_SERVER) | CK_CTL_BIT(CK_CTL_OPT_TOKEN) |                            \
	 CK_CTL_BIT(CK_CTL_OPT_TOKEN_FILE) | CK_CTL_BIT(CK_CTL_OPT_JSON))

static const struct ck_cli_opt options[] = {
	{ "help", CK_CTL_OPT_HELP, false },
	{ "version", CK_CTL_OPT_VERSION, false },
	{ "server", CK_CTL_OPT_SERVER, true },
	{ "token", CK_CTL_OPT_TOKEN, true },
	{ "token-file", CK_CTL_OPT_TOKEN_FILE, true },
	{ "json", CK_CTL_OPT_JSON, false },
	{ "type", CK_CTL_OPT_TYPE, true },
	{ "attr", CK_CTL_OPT_ATTR, true },
	{ "out", CK_CTL_OPT_OUT, true },
	{ "force", CK_CTL_OPT_FORCE, false },
	{ "sql", CK_CTL_OPT_SQL, true },
	{ "sql-version", CK_CTL_OPT_SQL_VERSION, true },
	{ "action", CK_CTL_OPT_ACTION, true },
	{ "kind", CK_CTL_OPT_KIND, true },
	{ "disabled", CK_CTL_OPT_DISABLED, false },
	{ "status", CK_CTL_OPT_STATUS, true },
	{ "thing", CK_CTL_OPT_THING, true },
	{ "actions-json", CK_CTL_OPT_ACTIONS_JSON, true },
	{ "error-action-json", CK_CTL_OPT_ERROR_ACTION_JSON, true },
	{ "topic", CK_CTL_OPT_TOPIC, true },
	{ "clientid", CK_CTL_OPT_CLIENTID, true },
	{ "rule-name", CK_CTL_OPT_RULE_NAME, true },
	{ "payload", CK_CTL_OPT_PAYLOAD, true },
	{ "payload-file", CK_CTL_OPT_PAYLOAD_FILE, true },
	{ "template", CK_CTL_OPT_TEMPLATE, true },
	{ "buttons", CK_CTL_OPT_BUTTONS, true },
	{ "presses-per-day", CK_CTL_OPT_PRESSES_PER_DAY, true },
	{ "days", CK_CTL_OPT_DAYS, true },
	{ "sms-per-press", CK_CTL_OPT_SMS_PER_PRESS, true },
	{ "emails-per-press", CK_CTL_OPT_EMAILS_PER_PRESS, true },
	{ "webhooks-per-press", CK_CTL_OPT_WEBHOOKS_PER_PRESS, true },
	{ "free-tier", CK_CTL_OPT_FREE_TIER, false },
	{ "no-free-tier", CK_CTL_OPT_NO_FREE_TIER, false },
	{ "prices", CK_CTL_OPT_PRICES, true },
	{ "format", CK_CTL_OPT_FORMAT, true },
	{ "policy", CK_CTL_OPT_POLICY, true },
	{ "resource", CK_CTL_OPT_RESOURCE, true },
	{ "client-id", CK_CTL_OPT_CLIENT_ID, true },
	{ "thing-type", CK_CTL_OPT_THING_TYPE, true },
	{ "cn", CK_CTL_OPT_CN, true },
	{ "set-default", CK_CTL_OPT_SET_DEFAULT, false },
	{ "enabled", CK_CTL_OPT_ENABLED, true },
	{ "cert-file", CK_CTL_OPT_CERT_FILE, true },
	{ "ca-file", CK_CTL_OPT_CA_FILE, true },
	{ "crl-file", CK_CTL_OPT_CRL_FILE, true },
	{ "config-json", CK_CTL_OPT_CONFIG_JSON, true },
	{ "monthly-usd", CK_CTL_OPT_MONTHLY_USD, true },
	{ "month", CK_CTL_OPT_MONTH, true },
	{ "role", CK_CTL_OPT_ROLE, true },
	{ "password-file", CK_CTL_OPT_PASSWORD_FILE, true },
	{ "filter-json", CK_CTL_OPT_FILTER_JSON, true },
	{ "secret", CK_CTL_OPT_SECRET, true },
	{ "subject", CK_CTL_OPT_SUBJECT, true },
	{ "attributes-json", CK_CTL_OPT_ATTRIBUTES_JSON, true },
	{ "message", CK_CTL_OPT_MESSAGE, true },
	{ "definition-file", CK_CTL_OPT_DEFINITION_FILE, true },
	{ "code-file", CK_CTL_OPT_CODE_FILE, true },
	{ "async", CK_CTL_OPT_ASYNC, false },
	{ "description", CK_CTL_OPT_DESCRIPTION, true },
	{ "slot", CK_CTL_OPT_SLOT, true },
	{ "bundle", CK_CTL_OPT_BUNDLE, true },
	{ "serial", CK_CTL_OPT_SERIAL, true },
};

struct command {
	const char *group;
	const char *name;
	uint64_t opts; /* allowed besides the global ones */
	int (*run)(struct ck_ctl *c);
	const char *usage; /* after "clickctl GROUP " */
	const char *summary;
	const char *help; /* the rest of --help */
};

/* Commands that work without a server (and without a token). */
static const char *const offline_commands[][2] = {
	{ "rules", "eval" },
	{ "policy", "test" },
	{ "cost", "estimate" },
};

static bool is_offline(const struct command *cmd)
{
	for (size_t i = 0; i < sizeof(offline_commands) / sizeof(offline_commands[0]); i++)
		if (strcmp(cmd->group, offline_commands[i][0]) == 0 &&
		    strcmp(cmd->name, offline_commands[i][1]) == 0)
			return true;
	return false;
}

#define RULE_OPTS                                                                                  \
	(CK_CTL_BIT(CK_CTL_OPT_SQL) | CK_CTL_BIT(CK_CTL_OPT_SQL_VERSION) |                         \
	 CK_CTL_BIT(CK_CTL_OPT_ACTION) | CK_CTL_BIT(CK_CTL_OPT_KIND) |                             \
	 CK_CTL_BIT(CK_CTL_OPT_DISABLED) | CK_CTL_BIT(CK_CTL_OPT_ACTIONS_JSON) |                   \
	 CK_CTL_BIT(CK_CTL_OPT_ERROR_ACTION_JSON))

static const struct command commands[] = {
	{ "thing", "create",
	  CK_CTL_BIT(CK_CTL_OPT_TYPE) | CK_CTL_BIT(CK_CTL_OPT_ATTR) | CK_CTL_BIT(CK_CTL_OPT_OUT) |
	      CK_CTL_BIT(CK_CTL_OPT_FORCE) | CK_CTL_BIT(CK_CTL_OPT_BUNDLE),
	  ck_ctl_thing_create,
	  "create NAME --out DIR|--bundle FILE [--type T] [--attr KEY=VALUE]... [--force]",
	  "register a thing and write its certificate, key and clickbtn.conf",
	  "Registers thing NAME, has clickd's CA issue it a certificate and writes\n"
	  "DIR/cert.pem, DIR/key.pem (mode 0600), DIR/ca.pem and DIR/clickbtn.conf,\n"
	  "and/or all of them in one file for clickbtn provision --bundle FILE.\n"
	  "clickd keeps no copy of the private key.\n"
	  "\n"
	  "  --out DIR          directory for the device's files (created 0700 if missing)\n"
	  "  --bundle FILE      one file (mode 0600): clickbtn.conf, certificate, key, CA\n"
	  "  --type T           thing type, e.g. button\n"
	  "  --attr KEY=VALUE   attribute, repeatable; \"location\" is shown on work orders\n"
	  "  --force            replace an existing DIR/key.pem; if NAME exists already,\n"
	  "                     issue a new certificate for it\n" },
	{ "thing", "list", CK_CTL_BIT(CK_CTL_OPT_TYPE) | CK_CTL_BIT(CK_CTL_OPT_ATTR),
	  ck_ctl_thing_list, "list [--type T] [--attr KEY=VALUE]", "list things",
	  "Lists things: NAME TYPE LOCATION ENABLED LAST-SEEN BATTERY.\n"
	  "\n"
	  "  --type T           only things of type T\n"
	  "  --attr KEY=VALUE   only things whose attribute KEY is VALUE\n" },
	{ "thing", "show", 0, ck_ctl_thing_show, "show NAME", "show one thing as JSON",
	  "Prints thing NAME: type, attributes, enabled, last seen, battery.\n" },
	{ "thing", "update",
	  CK_CTL_BIT(CK_CTL_OPT_TYPE) | CK_CTL_BIT(CK_CTL_OPT_ATTR) |
	      CK_CTL_BIT(CK_CTL_OPT_ENABLED),
	  ck_ctl_thing_update, "update NAME [--type T] [--attr KEY=VALUE]... [--enabled yes|no]",
	  "change a thing's type, attributes or enabled flag",
	  "Updates thing NAME. Attributes are merged into the existing ones; an empty\n"
	  "VALUE removes that attribute. --enabled no refuses the thing's certificates\n"
	  "and closes their connections within a second.\n"
	  "\n"
	  "  --type T           new type (\"\" removes it)\n"
	  "  --attr KEY=VALUE   set or, with an empty VALUE, remove an attribute\n"
	  "  --enabled yes|no   enable or disable the thing\n" },
	{ "thing", "delete", 0, ck_ctl_thing_delete, "delete NAME", "delete a thing",
	  "Deletes thing NAME. A thing with certificates or a placement slot is kept;\n"
	  "detach them first (cert detach).\n" },
	{ "cert", "list", CK_CTL_BIT(CK_CTL_OPT_THING) | CK_CTL_BIT(CK_CTL_OPT_STATUS),
	  ck_ctl_cert_list, "list [--thing T] [--status S]", "list certificates",
	  "Lists certificates: FINGERPRINT THING STATUS ISSUER CREATED.\n" },
	{ "cert", "show", 0, ck_ctl_cert_show, "show FINGERPRINT", "show a certificate as JSON",
	  "Prints the certificate: thing, status, serial, issuing CA, policies, PEM.\n" },
	{ "cert", "activate", 0, ck_ctl_cert_activate, "activate FINGERPRINT",
	  "let a certificate connect", "Sets the certificate active.\n" },
	{ "cert", "deactivate", 0, ck_ctl_cert_deactivate, "deactivate FINGERPRINT",
	  "stop a certificate from connecting",
	  "Sets the certificate inactive: new connections are refused and live ones\n"
	  "closed within a second, without restarting the broker. Reversible.\n" },
	{ "cert", "revoke", 0, ck_ctl_cert_revoke, "revoke FINGERPRINT",
	  "revoke a certificate for good",
	  "Revokes the certificate: refused and disconnected within a second, and\n"
	  "listed in the CRL the broker's TLS layer loads. Revocation is final.\n" },
	{ "cert", "attach", 0, ck_ctl_cert_attach, "attach FINGERPRINT THING",
	  "attach a certificate to a thing",
	  "Attaches the certificate to THING; it connects as that thing.\n" },
	{ "cert", "detach", 0, ck_ctl_cert_detach, "detach FINGERPRINT",
	  "detach a certificate from its thing",
	  "Detaches the certificate; it cannot connect until attached again.\n" },
	{ "cert", "register", CK_CTL_BIT(CK_CTL_OPT_CERT_FILE), ck_ctl_cert_register,
	  "register THING --cert-file FILE", "register a certificate signed by a registered CA",
	  "Registers the device certificate in FILE for THING. Its issuer must be a\n"
	  "registered, active CA (ca register).\n" },
	{ "ca", "list", 0, ck_ctl_ca_list, "list", "list trusted CAs",
	  "Lists the CAs the broker trusts: FINGERPRINT ORIGIN STATUS SUBJECT.\n" },
	{ "ca", "register", CK_CTL_BIT(CK_CTL_OPT_CA_FILE) | CK_CTL_BIT(CK_CTL_OPT_CRL_FILE),
	  ck_ctl_ca_register, "register --ca-file FILE --crl-file FILE", "trust an operator's CA",
	  "Registers the CA certificate in --ca-file with its current CRL (signed by\n"
	  "the CA; an empty one is fine): the broker checks every client certificate\n"
	  "against its issuer's CRL.\n" },
	{ "ca", "rotate", 0, ck_ctl_ca_rotate, "rotate", "make clickd issue from a new CA",
	  "Creates a new clickd CA for new certificates. The previous CA stays trusted,\n"
	  "so its devices keep connecting until re-issued; then ca retire it.\n" },
	{ "ca", "retire", CK_CTL_BIT(CK_CTL_OPT_CRL_FILE), ck_ctl_ca_retire,
	  "retire FINGERPRINT | retire FINGERPRINT --crl-file FILE",
	  "stop trusting a CA (or, with --crl-file, replace an operator CA's CRL)",
	  "Retires the CA: the broker stops trusting certificates it signed. With\n"
	  "--crl-file, keeps it and replaces its CRL instead.\n" },
	{ "rules", "create", RULE_OPTS, ck_ctl_rules_create,
	  "create NAME --sql SQL (--action workorder [--kind K] | --actions-json JSON)\n"
	  "        [--error-action-json JSON] [--sql-version V] [--disabled]",
	  "create a rule",
	  "Creates rule NAME. When the SQL does not compile, prints clickd's message\n"
	  "with the line and column and exits 1.\n"
	  "\n"
	  "  --sql SQL          the rule's IoT SQL, e.g.\n"
	  "                     \"SELECT * FROM 'iotbutton/+' WHERE clickType = 'SINGLE'\"\n"
	  "  --sql-version V    IoT SQL version (clickd's default: 2016-03-23)\n"
	  "  --action workorder the action to run when the rule matches\n"
	  "  --kind K           the work order's kind (default: the rule name)\n"
	  "  --actions-json J   the actions as a JSON array instead of --action, e.g.\n"
	  "                     '[{\"type\":\"workorder\",\"kind\":\"pickup\"}]'\n"
	  "  --error-action-json J  the action that receives failures, as a JSON object\n"
	  "  --disabled         create the rule disabled\n" },
	{ "rules", "replace", RULE_OPTS, ck_ctl_rules_replace,
	  "replace NAME --sql SQL (--action workorder [--kind K] | --actions-json JSON) ...",
	  "replace a rule's definition",
	  "Replaces rule NAME with a new definition (same options as rules create).\n"
	  "An invalid definition is refused and the previous one stays in force.\n" },
	{ "rules", "list", 0, ck_ctl_rules_list, "list", "list rules",
	  "Lists rules: NAME ENABLED SQL.\n" },
	{ "rules", "show", 0, ck_ctl_rules_show, "show NAME", "show one rule as JSON",
	  "Prints rule NAME: its SQL, SQL version, actions, error action and state.\n" },
	{ "rules", "enable", 0, ck_ctl_rules_enable, "enable NAME", "enable a rule",
	  "Enables rule NAME; it acts on the next message.\n" },
	{ "rules", "disable", 0, ck_ctl_rules_disable, "disable NAME", "disable a rule",
	  "Disables rule NAME; it stays stored and can be enabled again.\n" },
	{ "rules", "delete", 0, ck_ctl_rules_delete, "delete NAME", "delete a rule",
	  "Deletes rule NAME.\n" },
	{ "rules", "eval",
	  CK_CTL_BIT(CK_CTL_OPT_SQL) | CK_CTL_BIT(CK_CTL_OPT_SQL_VERSION) |
	      CK_CTL_BIT(CK_CTL_OPT_TOPIC) | CK_CTL_BIT(CK_CTL_OPT_CLIENTID) |
	      CK_CTL_BIT(CK_CTL_OPT_RULE_NAME) | CK_CTL_BIT(CK_CTL_OPT_PAYLOAD) |
	      CK_CTL_BIT(CK_CTL_OPT_PAYLOAD_FILE) | CK_CTL_BIT(CK_CTL_OPT_TEMPLATE),
	  ck_ctl_rules_eval,
	  "eval --sql SQL --topic TOPIC [--clientid ID] [--sql-version V] [--rule-name NAME]\n"
	  "        (--payload BYTES | --payload-file FILE) [--template TEMPLATE]",
	  "evaluate a rule against one message, as clickd would (needs no server)",
	  "Compiles SQL and evaluates it against one message with clickd's own engine.\n"
	  "When the rule fires, prints the output payload exactly (compact JSON, or the\n"
	  "original bytes for SELECT * of a binary payload; nothing for SELECT VALUE of\n"
	  "an undefined value) and exits 0; with --template, prints the template\n"
	  "rendered against the original message instead. When the topic does not\n"
	  "match the FROM filter or WHERE is not true, prints nothing and exits 1.\n"
	  "Invalid SQL or template: the message with line and column on stderr, exit 2.\n"
	  "Needs neither clickd nor a token. A newline follows the output only on a\n"
	  "terminal.\n"
	  "\n"
	  "  --sql SQL          the rule's IoT SQL\n"
	  "  --topic TOPIC      the message's topic; for $aws/rules/NAME/REST (Basic\n"
	  "                     Ingest) the rule fires only when --rule-name is NAME,\n"
	  "                     whatever its FROM filter, and topic() sees REST\n"
	  "  --clientid ID      what clientid() returns (default: n/a)\n"
	  "  --sql-version V    2016-03-23 (default) or 2015-10-08\n"
	  "  --rule-name NAME   the rule's name, for Basic Ingest topics\n"
	  "  --payload BYTES    the message's payload, exactly; JSON when it parses as\n"
	  "                     JSON, binary otherwise\n"
	  "  --payload-file F   read the payload from F (\"-\": standard input)\n"
	  "  --template T       a substitution template such as '${topic(2)}/done'\n"
	  "timestamp() is the current time.\n"
	  "Exit status: 0 fires, 1 does not fire, 2 invalid SQL or template, or usage.\n" },
	{ "channels", "create",
	  CK_CTL_BIT(CK_CTL_OPT_CONFIG_JSON) | CK_CTL_BIT(CK_CTL_OPT_MONTHLY_USD),
	  ck_ctl_channels_create, "create NAME [--config-json JSON] [--monthly-usd X]",
	  "create a notification channel (the SNS counterpart)",
	  "Creates channel NAME. --config-json holds its providers, e.g.\n"
	  "  '{\"email\": {\"url\": \"smtp://mail.example.com:587\", \"from\": "
	  "\"alerts@example.com\",\n"
	  "              \"username\": \"u\", \"password\": \"p\"},\n"
	  "    \"sms\": {\"provider\": \"twilio\", \"url\": \"https://api.twilio.com\",\n"
	  "            \"accountSid\": \"AC..\", \"authToken\": \"..\", \"from\": "
	  "\"+15551234567\"}}'\n"
	  "Email uses STARTTLS unless the url is smtps:// (\"tls\": \"none\" only without\n"
	  "credentials); \"caFile\" names a CA bundle. Credentials are stored in clickd's\n"
	  "store and never shown again.\n"
	  "\n"
	  "  --monthly-usd X    the monthly SMS spend cap (default 1.00); at 80% the\n"
	  "                     channel \"admin\" is told, at 100% SMS are not sent\n" },
	{ "channels", "list", 0, ck_ctl_channels_list, "list", "list channels",
	  "Lists channels: NAME EMAIL SMS CAP-USD SPENT-USD STATE (ok, warning from 80%\n"
	  "of the cap, stopped when the cap is reached).\n" },
	{ "channels", "delete", 0, ck_ctl_channels_delete, "delete NAME",
	  "delete a channel and its subscriptions",
	  "Deletes channel NAME and its subscriptions.\n" },
	{ "channels", "subscribe",
	  CK_CTL_BIT(CK_CTL_OPT_FILTER_JSON) | CK_CTL_BIT(CK_CTL_OPT_SECRET),
	  ck_ctl_channels_subscribe,
	  "subscribe NAME PROTOCOL [ENDPOINT] [--filter-json JSON] [--secret S]",
	  "subscribe an endpoint to a channel",
	  "PROTOCOL and ENDPOINT: email ADDRESS | sms +E164NUMBER | webhook URL |\n"
	  "mqtt TOPIC | feedback [THING] (without THING: the button the message is\n"
	  "about). Prints the subscription; a webhook's signing secret is printed\n"
	  "this once.\n"
	  "\n"
	  "  --filter-json J    an SNS filter policy on message attributes, e.g.\n"
	  "                     '{\"severity\": [\"high\"], \"floor\": [{\"numeric\": [\">\", "
	  "2]}]}'\n"
	  "  --secret S         the webhook's HMAC secret (default: a random one)\n" },
	{ "channels", "unsubscribe", 0, ck_ctl_channels_unsubscribe, "unsubscribe NAME ID",
	  "remove a subscription", "Removes subscription ID from channel NAME.\n" },
	{ "channels", "publish",
	  CK_CTL_BIT(CK_CTL_OPT_SUBJECT) | CK_CTL_BIT(CK_CTL_OPT_ATTR) |
	      CK_CTL_BIT(CK_CTL_OPT_ATTRIBUTES_JSON) | CK_CTL_BIT(CK_CTL_OPT_THING),
	  ck_ctl_channels_publish,
	  "publish NAME MESSAGE [--subject S] [--attr KEY=VALUE]... [--attributes-json J]\n"
	  "        [--thing T]",
	  "publish a message to a channel's subscribers",
	  "Publishes MESSAGE to every subscription of NAME whose filter policy matches.\n"
	  "\n"
	  "  --subject S        the email subject\n"
	  "  --attr KEY=VALUE   a String attribute, repeatable\n"
	  "  --attributes-json J  attributes as JSON: strings, numbers, arrays, or\n"
	  "                     {\"DataType\": \"Number\", \"StringValue\": \"3\"}\n"
	  "  --thing T          the button the message is about (feedback target)\n" },
	{ "channels", "deliveries", CK_CTL_BIT(CK_CTL_OPT_MESSAGE), ck_ctl_channels_deliveries,
	  "deliveries NAME [--message ID]", "show delivery status per message",
	  "Lists deliveries, newest message first:\n"
	  "MESSAGE SUB PROTOCOL ENDPOINT STATE ATTEMPTS ERROR (state: pending, done, dead).\n" },
	{ "channels", "cap", CK_CTL_BIT(CK_CTL_OPT_MONTHLY_USD), ck_ctl_channels_cap,
	  "cap NAME [--monthly-usd X]", "show or set a channel's monthly spend cap",
	  "Shows the month's SMS spend against the cap; with --monthly-usd sets the cap\n"
	  "first. A raised cap applies at once to new and retried deliveries.\n" },
	{ "functions", "create",
	  CK_CTL_BIT(CK_CTL_OPT_DEFINITION_FILE) | CK_CTL_BIT(CK_CTL_OPT_CODE_FILE),
	  ck_ctl_functions_create, "create NAME [--definition-file F.json] [--code-file F.lua]",
	  "create a function (Lua, exec or HTTP)",
	  "Creates function NAME from a JSON definition (docs/functions.md): runtime\n"
	  "lua, exec or http, its code, command or URL, limits, retries, onFailure and\n"
	  "policy. --code-file alone creates a Lua function with the default limits\n"
	  "and an empty policy (it may call nothing in clickd); with --definition-file\n"
	  "it replaces the definition's \"code\".\n" },
	{ "functions", "update",
	  CK_CTL_BIT(CK_CTL_OPT_DEFINITION_FILE) | CK_CTL_BIT(CK_CTL_OPT_CODE_FILE),
	  ck_ctl_functions_update, "update NAME [--definition-file F.json] [--code-file F.lua]",
	  "replace a function's definition",
	  "Replaces the definition of function NAME (same files as create). Events\n"
	  "already queued run with the new definition.\n" },
	{ "functions", "delete", 0, ck_ctl_functions_delete, "delete NAME", "delete a function",
	  "Deletes function NAME and its runs. Queued events for it then fail as\n"
	  "\"no function named NAME\".\n" },
	{ "functions", "list", 0, ck_ctl_functions_list, "list", "list functions",
	  "Lists functions: NAME RUNTIME CREATED UPDATED.\n" },
	{ "functions", "invoke",
	  CK_CTL_BIT(CK_CTL_OPT_PAYLOAD) | CK_CTL_BIT(CK_CTL_OPT_PAYLOAD_FILE) |
	      CK_CTL_BIT(CK_CTL_OPT_ASYNC),
	  ck_ctl_functions_invoke, "invoke NAME [--payload JSON | --payload-file F] [--async]",
	  "run a function once",
	  "Runs function NAME with the event given (default {}) and prints its result;\n"
	  "exits 1 when the function failed. --async queues the event as a rule does\n"
	  "(retries, maximum age, onFailure) and prints the request id.\n" },
	{ "functions", "logs", 0, ck_ctl_functions_logs, "logs NAME",
	  "show a function's recent runs and logs",
	  "Shows the recent runs of function NAME, newest first: time, request id,\n"
	  "attempt, status, duration and error, then what it logged and its result.\n" },
	{ "projects", "create",
	  CK_CTL_BIT(CK_CTL_OPT_SLOT) | CK_CTL_BIT(CK_CTL_OPT_ATTR) |
	      CK_CTL_BIT(CK_CTL_OPT_DESCRIPTION),
	  ck_ctl_projects_create,
	  "create NAME --slot SLOT... [--attr KEY=VALUE]... [--description D]",
	  "create a 1-Click project with its device slots",
	  "Creates project NAME whose placements hold one button per --slot (the\n"
	  "placement template's device templates, fixed once created). --attr sets the\n"
	  "default attributes every placement inherits (\"location\" locates work orders).\n" },
	{ "projects", "update", CK_CTL_BIT(CK_CTL_OPT_ATTR) | CK_CTL_BIT(CK_CTL_OPT_DESCRIPTION),
	  ck_ctl_projects_update, "update NAME [--attr KEY=VALUE]... [--description D]",
	  "replace a project's default attributes or description",
	  "Replaces the default attributes (all of them, when --attr is given) or the\n"
	  "description of project NAME. Device slots cannot change.\n" },
	{ "projects", "show", 0, ck_ctl_projects_show, "show NAME", "show a project",
	  "Prints project NAME as JSON.\n" },
	{ "projects", "delete", 0, ck_ctl_projects_delete, "delete NAME", "delete a project",
	  "Deletes project NAME; refused while it has placements.\n" },
	{ "projects", "list", 0, ck_ctl_projects_list, "list", "list projects",
	  "Lists projects: PROJECT SLOTS PLACEMENTS DEFAULTS.\n" },
	{ "placements", "create", CK_CTL_BIT(CK_CTL_OPT_ATTR), ck_ctl_placements_create,
	  "create PROJECT NAME [--attr KEY=VALUE]...", "create a placement",
	  "Creates placement NAME of PROJECT with its own attributes, which override\n"
	  "the project's defaults (\"location\" locates the work orders of its buttons).\n" },
	{ "placements", "update", CK_CTL_BIT(CK_CTL_OPT_ATTR), ck_ctl_placements_update,
	  "update PROJECT NAME --attr KEY=VALUE...", "change a placement's attributes",
	  "Sets each --attr KEY=VALUE on the placement; KEY= (empty) removes KEY.\n" },
	{ "placements", "show", 0, ck_ctl_placements_show, "show PROJECT NAME", "show a placement",
	  "Prints the placement with its attributes and devices as JSON.\n" },
	{ "placements", "delete", 0, ck_ctl_placements_delete, "delete PROJECT NAME",
	  "delete a placement", "Deletes a placement; refused while a slot holds a thing.\n" },
	{ "placements", "list", 0, ck_ctl_placements_list, "list PROJECT",
	  "list a project's placements", "Lists placements: PLACEMENT DEVICES ATTRIBUTES.\n" },
	{ "placements", "assign", 0, ck_ctl_placements_assign, "assign PROJECT NAME SLOT THING",
	  "put a thing into a placement's slot",
	  "Assigns THING to SLOT of the placement; its presses then carry the\n"
	  "placement (location, 1-Click event). Refused while the slot holds another\n"
	  "thing or THING holds another slot: unassign first.\n" },
	{ "placements", "unassign", 0, ck_ctl_placements_unassign, "unassign PROJECT NAME SLOT",
	  "empty a placement's slot", "Removes the thing from SLOT of the placement.\n" },
	{ "claims", "template-put",
	  CK_CTL_BIT(CK_CTL_OPT_DEFINITION_FILE) | CK_CTL_BIT(CK_CTL_OPT_THING) |
	      CK_CTL_BIT(CK_CTL_OPT_THING_TYPE) | CK_CTL_BIT(CK_CTL_OPT_ATTR) |
	      CK_CTL_BIT(CK_CTL_OPT_POLICY) | CK_CTL_BIT(CK_CTL_OPT_SERIAL),
	  ck_ctl_claims_template_put,
	  "template-put NAME (--definition-file FILE | --thing PATTERN [--thing-type T]\n"
	  "        [--attr KEY=VALUE]... [--policy P] [--serial S]...)",
	  "create or replace a provisioning template",
	  "Creates or replaces provisioning template NAME, from a JSON document in\n"
	  "FILE (docs/api.md \"Provisioning by claim\") or from options. A template\n"
	  "needs an allow-list: --serial values (allowedSerials) or a hook (in FILE).\n"
	  "\n"
	  "  --definition-file FILE  the template document as JSON\n"
	  "  --thing PATTERN    thingNamePattern, e.g. 'btn-${SerialNumber}'\n"
	  "  --thing-type T     the new things' type\n"
	  "  --attr KEY=VALUE   attribute of the new things, repeatable; VALUE may use\n"
	  "                     ${SerialNumber} and the other parameters\n"
	  "  --policy P         a policy to attach to the new certificates\n"
	  "  --serial S         a serial allowed to provision, repeatable\n" },
	{ "claims", "template-list", 0, ck_ctl_claims_template_list, "template-list",
	  "list provisioning templates",
	  "Lists provisioning templates: NAME THING-PATTERN TYPE SERIALS HOOK.\n" },
	{ "claims", "template-show", 0, ck_ctl_claims_template_show, "template-show NAME",
	  "show a provisioning template as JSON", "Prints template NAME and its document.\n" },
	{ "claims", "template-delete", 0, ck_ctl_claims_template_delete, "template-delete NAME",
	  "delete a provisioning template",
	  "Deletes template NAME; its claims can no longer provision.\n" },
	{ "claims", "create",
	  CK_CTL_BIT(CK_CTL_OPT_TEMPLATE) | CK_CTL_BIT(CK_CTL_OPT_OUT) |
	      CK_CTL_BIT(CK_CTL_OPT_FORCE),
	  ck_ctl_claims_create, "create NAME --template T --out DIR [--force]",
	  "create a claim certificate and write its bundle",
	  "Creates claim NAME for template T (a thing of type provisioning-claim whose\n"
	  "certificate may only provision) and writes DIR/cert.pem, DIR/key.pem (mode\n"
	  "0600), DIR/ca.pem and DIR/clickbtn.conf: the bundle clickbtn provision\n"
	  "--claim DIR takes. clickd keeps no copy of the key.\n"
	  "\n"
	  "  --template T       the provisioning template the claim may use\n"
	  "  --out DIR          directory for the bundle (created 0700 if missing)\n"
	  "  --force            replace an existing DIR/key.pem\n" },
	{ "claims", "log", CK_CTL_BIT(CK_CTL_OPT_THING), ck_ctl_claims_log, "log [--thing CLAIM]",
	  "list uses of claim certificates, newest first",
	  "Lists every use of a claim certificate: AT CLAIM CLIENT-ID OPERATION SERIAL\n"
	  "THING OUTCOME REASON.\n"
	  "\n"
	  "  --thing CLAIM      only uses of claim CLAIM\n" },
	{ "deadletters", "list", 0, ck_ctl_deadletters_list, "list",
	  "list deliveries that finally failed",
	  "Lists the outbox entries that could not be delivered (webhooks, MQTT\n"
	  "publishes): ID RULE KIND DESTINATION ATTEMPTS ERROR.\n" },
	{ "deadletters", "retry", 0, ck_ctl_deadletters_retry, "retry ID",
	  "deliver a dead letter again",
	  "Puts dead letter ID back in the outbox; it is delivered again with a fresh\n"
	  "maximum age and the same idempotency key.\n" },
	{ "workorders", "list", CK_CTL_BIT(CK_CTL_OPT_STATUS) | CK_CTL_BIT(CK_CTL_OPT_THING),
	  ck_ctl_workorders_list, "list [--status S] [--thing T]", "list work orders, newest first",
	  "Lists work orders, newest first:\n"
	  "ID KIND STATUS THING CLICK LOCATION PRESSED CREATED (local time).\n"
	  "\n"
	  "  --status S         only work orders with status S, e.g. raised\n"
	  "  --thing T          only work orders of thing T\n" },
	{ "users", "create", CK_CTL_BIT(CK_CTL_OPT_ROLE) | CK_CTL_BIT(CK_CTL_OPT_PASSWORD_FILE),
	  ck_ctl_users_create, "create NAME --role admin|supervisor|driver [--password-file FILE]",
	  "create a console user",
	  "Creates console user NAME with a role. The password is read from FILE, or\n"
	  "from standard input (without echo on a terminal); never from the command line.\n" },
	{ "users", "list", 0, ck_ctl_users_list, "list", "list console users",
	  "Lists console users: NAME ROLE CREATED.\n" },
	{ "users", "passwd", CK_CTL_BIT(CK_CTL_OPT_PASSWORD_FILE), ck_ctl_users_passwd,
	  "passwd NAME [--password-file FILE]", "set a user's password",
	  "Sets NAME's password (read as for users create); its sessions end.\n" },
	{ "users", "role", CK_CTL_BIT(CK_CTL_OPT_ROLE), ck_ctl_users_role,
	  "role NAME --role admin|supervisor|driver", "change a user's role",
	  "Changes NAME's role.\n" },
	{ "users", "delete", 0, ck_ctl_users_delete, "delete NAME", "delete a user",
	  "Deletes NAME; its sessions end.\n" },
	{ "cost", "usage",
	  CK_CTL_BIT(CK_CTL_OPT_MONTH) | CK_CTL_BIT(CK_CTL_OPT_PRICES) |
	      CK_CTL_BIT(CK_CTL_OPT_NO_FREE_TIER),
	  ck_ctl_cost_usage, "usage [--month YYYY-MM] [--prices FILE] [--no-free-tier]",
	  "show metered usage, its forecast, and what it would cost on AWS",
	  "Prints the month's metered usage (messages, rules triggered and matched,\n"
	  "actions, work orders, deliveries...) month to date and forecast to the end of\n"
	  "the month at the rate so far, then what the same usage costs on AWS with the\n"
	  "prices of the price file (see cost estimate). --month shows a past month.\n" },
	{ "cost", "estimate",
	  CK_CTL_BIT(CK_CTL_OPT_BUTTONS) | CK_CTL_BIT(CK_CTL_OPT_PRESSES_PER_DAY) |
	      CK_CTL_BIT(CK_CTL_OPT_DAYS) | CK_CTL_BIT(CK_CTL_OPT_SMS_PER_PRESS) |
	      CK_CTL_BIT(CK_CTL_OPT_EMAILS_PER_PRESS) | CK_CTL_BIT(CK_CTL_OPT_WEBHOOKS_PER_PRESS) |
	      CK_CTL_BIT(CK_CTL_OPT_FREE_TIER) | CK_CTL_BIT(CK_CTL_OPT_NO_FREE_TIER) |
	      CK_CTL_BIT(CK_CTL_OPT_PRICES) | CK_CTL_BIT(CK_CTL_OPT_FORMAT),
	  ck_ctl_cost_estimate,
	  "estimate --buttons N --presses-per-day P [--days D] [--sms-per-press S]\n"
	  "        [--emails-per-press E] [--webhooks-per-press W] [--free-tier | --no-free-tier]\n"
	  "        [--prices FILE] [--format table|json|csv]",
	  "estimate what a site costs on AWS and self-hosted (needs no server)",
	  "Prints the AWS bill line by line (IoT Core messages and rule actions, Lambda\n"
	  "requests and GB-seconds, SNS publishes, SMS, email and HTTP, DynamoDB writes)\n"
	  "next to a self-hosted clickd (server amortisation, power, SMS gateway), with\n"
	  "exact figures from a price file that records each price's source and date.\n"
	  "Needs neither clickd nor a token. Bad arguments or price files exit 2.\n"
	  "\n"
	  "  --buttons N            buttons on the site (1 to 1000000)\n"
	  "  --presses-per-day P    presses per button and day (0 to 100000)\n"
	  "  --days D               length of the period (default 30; free tiers and\n"
	  "                         monthly fees count 30 days as a month)\n"
	  "  --sms-per-press S      SMS sent per press, one segment each (default 0)\n"
	  "  --emails-per-press E   emails sent per press (default 0)\n"
	  "  --webhooks-per-press W HTTP deliveries per press (default 0)\n"
	  "  --free-tier            apply AWS's always-free monthly allowances (default)\n"
	  "  --no-free-tier         do not\n"
	  "  --prices FILE          price file (default: "
	  "aws-us-east-1.prices next to\n"
	  "                         clickctl, in the source tree's data/prices, or in\n"
	  "                         /usr/local/share/clickd/prices, /usr/share/clickd/prices)\n"
	  "  --format F             table (default), json (same as --json) or csv\n" },
	{ "policy", "test",
	  CK_CTL_BIT(CK_CTL_OPT_POLICY) | CK_CTL_BIT(CK_CTL_OPT_ACTION) |
	      CK_CTL_BIT(CK_CTL_OPT_RESOURCE) | CK_CTL_BIT(CK_CTL_OPT_CLIENT_ID) |
	      CK_CTL_BIT(CK_CTL_OPT_THING) | CK_CTL_BIT(CK_CTL_OPT_THING_TYPE) |
	      CK_CTL_BIT(CK_CTL_OPT_ATTR) | CK_CTL_BIT(CK_CTL_OPT_CN),
	  ck_ctl_policy_test,
	  "test --policy FILE --action ACTION --resource RESOURCE [--client-id ID]\n"
	  "      [--thing NAME] [--thing-type TYPE] [--attr key=value ...] [--cn NAME]",
	  "decide one request against a policy document, as the broker would (needs no server)",
	  "Evaluates the IoT policy document in FILE (\"-\": standard input) for one\n"
	  "request with the engine the broker uses, and prints ALLOW or DENY on the\n"
	  "first line and the deciding statement, if any, after it.\n"
	  "\n"
	  "  --action ACTION     iot:Connect, iot:Publish, iot:Subscribe, iot:Receive,\n"
	  "                      iot:RetainPublish, ...\n"
	  "  --resource ARN      a full ARN, e.g. arn:aws:iot:REGION:ACCOUNT:topic/a/b;\n"
	  "                      client/ID, topic/NAME or topicfilter/FILTER after the\n"
	  "                      account (region and account are not compared)\n"
	  "  --client-id ID      ${iot:ClientId}\n"
	  "  --thing NAME        ${iot:Connection.Thing.ThingName}\n"
	  "  --thing-type TYPE   ${iot:Connection.Thing.ThingTypeName}\n"
	  "  --attr KEY=VALUE    ${iot:Connection.Thing.Attributes[KEY]}, repeatable\n"
	  "  --cn NAME           ${iot:Certificate.Subject.CommonName}\n"
	  "A variable that is not given has no value and matches nothing.\n"
	  "Exit status: 0 ALLOW, 1 DENY, 2 invalid policy (the reason on stderr) or usage.\n" },
	{ "policy", "create", CK_CTL_BIT(CK_CTL_OPT_POLICY), ck_ctl_policy_create,
	  "create NAME --policy FILE", "create a policy from a document (its version 1)",
	  "Creates policy NAME with the IoT policy document in FILE as version 1, the\n"
	  "default. clickd refuses a document its engine cannot compile and says why.\n" },
	{ "policy", "list", 0, ck_ctl_policy_list, "list", "list policies",
	  "Lists policies: NAME DEFAULT VERSIONS ATTACHED CREATED.\n" },
	{ "policy", "show", 0, ck_ctl_policy_show, "show NAME [VERSION]",
	  "show a policy (its default document, versions, certificates) or one version",
	  "Shows policy NAME: default version, versions, attached certificates and the\n"
	  "default document; with VERSION, that version's document.\n" },
	{ "policy", "delete", 0, ck_ctl_policy_delete, "delete NAME", "delete a policy",
	  "Deletes policy NAME and its versions. A policy attached to certificates\n"
	  "cannot be deleted; detach it first.\n" },
	{ "policy", "attach", 0, ck_ctl_policy_attach, "attach NAME FINGERPRINT",
	  "attach a policy to a certificate",
	  "Attaches policy NAME to the certificate with FINGERPRINT (64 hex digits).\n"
	  "The broker applies it within a second.\n" },
	{ "policy", "detach", 0, ck_ctl_policy_detach, "detach NAME FINGERPRINT",
	  "detach a policy from a certificate",
	  "Detaches policy NAME from the certificate with FINGERPRINT. The broker\n"
	  "applies it within a second.\n" },
	{ "policy", "version", CK_CTL_BIT(CK_CTL_OPT_POLICY) | CK_CTL_BIT(CK_CTL_OPT_SET_DEFAULT),
	  ck_ctl_policy_version,
	  "version create NAME --policy FILE [--set-default] | default NAME VERSION |\n"
	  "      delete NAME VERSION | show NAME VERSION",
	  "manage a policy's versions (at most five, one the default)",
	  "  create NAME --policy FILE [--set-default]\n"
	  "                     add a version; --set-default puts it in force\n"
	  "  default NAME VERSION  put VERSION in force\n"
	  "  delete NAME VERSION   delete a version that is not the default\n"
	  "  show NAME VERSION     print a version's document\n" },
	{ "queues", "create", CK_CTL_BIT(CK_CTL_OPT_ATTR), ck_ctl_queues_create,
	  "create NAME [--attr KEY=VALUE]...", "create a queue (the SQS counterpart)",
	  "Creates queue NAME. Attributes, with their SQS names:\n"
	  "  --attr VisibilityTimeout=S              0..43200, default 30\n"
	  "  --attr MessageRetentionPeriod=S         60..1209600, default 345600 (4 days)\n"
	  "  --attr DelaySeconds=S                   0..900, default 0\n"
	  "  --attr ReceiveMessageWaitTimeSeconds=S  0..20, default 0\n"
	  "  --attr DeadLetterQueue=NAME --attr MaxReceiveCount=N\n"
	  "                                          move a message there after N receives\n" },
	{ "queues", "list", 0, ck_ctl_queues_list, "list", "list queues with message counts",
	  "Lists queues: NAME VISIBLE IN-FLIGHT DELAYED VISIBILITY DEAD-LETTER.\n" },
	{ "queues", "delete", 0, ck_ctl_queues_delete, "delete NAME",
	  "delete a queue and its messages", "Deletes queue NAME and every message in it.\n" },
	{ "queues", "send", CK_CTL_BIT(CK_CTL_OPT_PAYLOAD_FILE) | CK_CTL_BIT(CK_CTL_OPT_ATTR),
	  ck_ctl_queues_send, "send NAME BODY | NAME --payload-file FILE [--attr DelaySeconds=S]",
	  "send a message",
	  "Sends BODY (UTF-8 text up to 256 KiB; --payload-file FILE or - reads it) to\n"
	  "queue NAME and prints the message id.\n" },
	{ "queues", "receive", CK_CTL_BIT(CK_CTL_OPT_ATTR), ck_ctl_queues_receive,
	  "receive NAME [--attr MaxNumberOfMessages=N] [--attr VisibilityTimeout=S] "
	  "[--attr WaitTimeSeconds=S]",
	  "receive messages (long polling up to 20 s)",
	  "Receives up to MaxNumberOfMessages (1..10, default 1) messages, each hidden\n"
	  "for VisibilityTimeout seconds (default the queue's). WaitTimeSeconds (0..20)\n"
	  "waits for a message when none is there. Prints each message with its receive\n"
	  "count and receipt handle; delete it with the newest handle.\n" },
	{ "queues", "delete-message", 0, ck_ctl_queues_delete_message,
	  "delete-message NAME RECEIPT-HANDLE", "delete a received message",
	  "Deletes the message whose newest receipt handle is RECEIPT-HANDLE. A handle\n"
	  "from before the message was received again is refused.\n" },
	{ "queues", "change-visibility", 0, ck_ctl_queues_change_visibility,
	  "change-visibility NAME RECEIPT-HANDLE SECONDS", "hide a received message longer",
	  "Makes an in-flight message visible again SECONDS from now (0: at once), at\n"
	  "most 12 hours after it was received.\n" },
	{ "queues", "purge", 0, ck_ctl_queues_purge, "purge NAME", "delete every message",
	  "Deletes every message of queue NAME.\n" },
	{ "tables", "create", 0, ck_ctl_tables_create,
	  "create NAME PARTITION-KEY[:S|N] [SORT-KEY[:S|N]]",
	  "create a table of JSON items (the DynamoDB counterpart)",
	  "Creates table NAME whose items are keyed by the attribute PARTITION-KEY and,\n"
	  "optionally, SORT-KEY; each key is a string (S, the default) or a number (N).\n" },
	{ "tables", "list", 0, ck_ctl_tables_list, "list", "list tables",
	  "Lists tables: NAME PARTITION-KEY SORT-KEY.\n" },
	{ "tables", "drop", 0, ck_ctl_tables_drop, "drop NAME", "delete a table and its items",
	  "Deletes table NAME and every item in it.\n" },
	{ "tables", "put", CK_CTL_BIT(CK_CTL_OPT_ATTR), ck_ctl_tables_put,
	  "put TABLE JSON [--attr IfNotExists=true | IfExists=true | IfVersion=N]", "write an item",
	  "Writes the JSON object (which holds the key attributes), replacing the item\n"
	  "with the same key, only if the condition holds when one is given.\n" },
	{ "tables", "get", 0, ck_ctl_tables_get, "get TABLE PK [SK]", "read an item",
	  "Prints the item under the key and its version.\n" },
	{ "tables", "delete", CK_CTL_BIT(CK_CTL_OPT_ATTR), ck_ctl_tables_delete,
	  "delete TABLE PK [SK] [--attr IfVersion=N]", "delete an item",
	  "Deletes the item under the key (when its version is N, with IfVersion).\n" },
	{ "tables", "query", CK_CTL_BIT(CK_CTL_OPT_ATTR), ck_ctl_tables_query,
	  "query TABLE PK [--attr Prefix=P | From=A | To=B | After=K | Limit=N | Order=desc]",
	  "list a partition's items in sort-key order",
	  "Prints the items of partition PK whose sort key starts with Prefix or lies\n"
	  "from From to To (inclusive), at most Limit (default 100), ascending unless\n"
	  "Order=desc; \"next\" is the After of the following page.\n" },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char global_help[] =
    "Options:\n"
    "  --server URL        clickd's address (default $CLICKD_SERVER, else\n"
    "                      " CK_CTL_DEFAULT_SERVER ")\n"
    "  --token TOKEN       API token (other local users can see it; prefer a file)\n"
    "  --token-file FILE   read the API token from FILE; without either option:\n"
    "                      $CLICKD_TOKEN, else $CLICKD_DATA_DIR/admin.token,\n"
    "                      else ./clickd-data/admin.token\n"
    "  --json              print JSON instead of tables\n"
    "  -h, --help          show help; after a command, the command's help\n"
    "  --version           show the version\n"
    "\n"
    "Exit status: 0 success, 1 error from clickd or local failure, 2 usage error,\n"
    "3 clickd unreachable.\n";

static void print_main_help(void)
{
	printf("Usage: clickctl [OPTIONS] COMMAND [ARGS]\n\n"
	       "Administers clickd through its HTTP API.\n\nCommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		printf("  %s %s\n      %s\n", commands[i].group, commands[i].usage,
		       commands[i].summary);
	printf("\n%s", global_help);
}

static void print_group_help(const char *group)
{
	printf("Usage: clickctl [OPTIONS] %s COMMAND [ARGS]\n\nCommands:\n", group);
	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (strcmp(commands[i].group, group) == 0)
			printf("  %s %s\n      %s\n", group, commands[i].usage,
			       commands[i].summary);
	}
	printf("\n%s", global_help);
}

static void print_command_help(const struct command *cmd)
{
	printf("Usage: clickctl [OPTIONS] %s %s\n\n%s\n%s", cmd->group, cmd->usage, cmd->help,
	       global_help);
}

static const char *option_name(int id)
{
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
		if (options[i].id == id)
			return options[i].name;
	}
	return "?";
}

static bool group_exists(const char *group)
{
	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (strcmp(commands[i].group, group) == 0)
			return true;
	}
	return false;
}

static const struct command *find_command(const char *group, const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (strcmp(commands[i].group, group) == 0 && strcmp(commands[i].name, name) == 0)
			return &commands[i];
	}
	return NULL;
}

/*
 * Reads the token from path into a malloc'd string without trailing
 * whitespace. Returns 0, or a negative errno with the reason in err (never
 * the file's content).
 */
static int read_token_file(const char *path, char **out, char *err, size_t err_len)
{
	char *buf = NULL;
	size_t len = 0;
	int fd, rc = 0;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, err_len, "cannot read the API token from %s: %s", path,
		         strerror(errno));
		return rc;
	}
	buf = malloc(TOKEN_FILE_MAX + 1);
	if (!buf) {
		rc = -ENOMEM;
		snprintf(err, err_len, "out of memory");
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, TOKEN_FILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			snprintf(err, err_len, "cannot read the API token from %s: %s", path,
			         strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > TOKEN_FILE_MAX) {
			rc = -EFBIG;
			snprintf(err, err_len, "%s is too large to be an API token", path);
			goto out;
		}
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' ' ||
	                   buf[len - 1] == '\t'))
		len--;
	buf[len] = '\0';
	if (len == 0) {
		rc = -EINVAL;
		snprintf(err, err_len, "%s is empty", path);
		goto out;
	}
	*out = buf;
	buf = NULL;
out:
	if (buf) {
		explicit_bzero(buf, TOKEN_FILE_MAX + 1);
		free(buf);
	}
	close(fd);
	return rc;
}

/* The token: --token, --token-file, $CLICKD_TOKEN, then the default file. */
static int resolve_token(const struct ck_cli_args *args, char **out, char *err, size_t err_len)
{
	const char *token = ck_cli_opt_value(args, CK_CTL_OPT_TOKEN);
	const char *file = ck_cli_opt_value(args, CK_CTL_OPT_TOKEN_FILE);
	const char *env = getenv("CLICKD_TOKEN");
	const char *data_dir = getenv("CLICKD_DATA_DIR");
	char path[4096];

	*out = NULL;
	if (token) {
		*out = strdup(token);
		return *out ? 0 : -ENOMEM;
	}
	if (file)
		return read_token_file(file, out, err, err_len);
	if (env && env[0]) {
		*out = strdup(env);
		return *out ? 0 : -ENOMEM;
	}
	if (data_dir && data_dir[0])
		snprintf(path, sizeof(path), "%s/admin.token", data_dir);
	else
		snprintf(path, sizeof(path), "./clickd-data/admin.token");
	return read_token_file(path, out, err, err_len);
}

/* Prints "clickctl: ..." on stderr, control characters shown as '?'. */
int ck_ctl_fail(int status, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (char *p = line; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	}
	fprintf(stderr, "clickctl: %s\n", line);
	return status;
}

/* String member or NULL; see clickctl.h. */
const char *ck_ctl_json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Unix ms member as local ISO 8601, or "-"; see clickctl.h. */
const char *ck_ctl_json_time(const cJSON *o, const char *key, char *buf, size_t len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v) || v->valuedouble < -9.2e18 || v->valuedouble > 9.2e18 ||
	    ck_cli_format_time((int64_t)v->valuedouble, buf, len) < 0)
		snprintf(buf, len, "-");
	return buf;
}

/* Prints indented JSON; see clickctl.h. */
int ck_ctl_print_json(const cJSON *j)
{
	char *s = cJSON_Print(j);

	if (!s)
		return ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
	puts(s);
	cJSON_free(s);
	return CK_CTL_EXIT_OK;
}

/* Prints {"items": [...], "next": null}; see clickctl.h. */
int ck_ctl_print_json_list(const cJSON *items)
{
	cJSON *o = cJSON_CreateObject();
	int rc;

	if (!o || !cJSON_AddItemReferenceToObject(o, "items", (cJSON *)items) ||
	    !cJSON_AddNullToObject(o, "next")) {
		cJSON_Delete(o);
		return ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
	}
	rc = ck_ctl_print_json(o);
	cJSON_Delete(o);
	return rc;
}

/* Prints a table; see clickctl.h. */
int ck_ctl_print_table(const struct ck_cli_table *t)
{
	char *s = ck_cli_table_render(t);

	if (!s)
		return ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
	fputs(s, stdout);
	free(s);
	return CK_CTL_EXIT_OK;
}

/* A table of head with one row per item; NULL when out of memory. */
static struct ck_cli_table *list_table(const cJSON *items, size_t ncols, const char *const *head,
                                       ck_ctl_row_fn row)
{
	struct ck_cli_table *t = ck_cli_table_new(ncols, head);
	const cJSON *it;

	if (!t)
		return NULL;
	cJSON_ArrayForEach(it, items)
	{
		if (row(t, it) < 0) {
			ck_cli_table_free(t);
			return NULL;
		}
	}
	return t;
}

/* Fetches and prints a list; see clickctl.h. */
int ck_ctl_list_print(struct ck_ctl *c, const char *path, size_t ncols, const char *const *head,
                      ck_ctl_row_fn row)
{
	struct ck_ctl_api_error e;
	struct ck_cli_table *t = NULL;
	cJSON *items = NULL;
	int rc = ck_ctl_api_list(c->http, path, &items, &e);

	if (rc == CK_CTL_EXIT_FAIL)
		rc = ck_ctl_print_api_error(&e);
	if (rc != CK_CTL_EXIT_OK)
		goto out;
	if (c->json) {
		rc = ck_ctl_print_json_list(items);
		goto out;
	}
	t = list_table(items, ncols, head, row);
	rc = t ? ck_ctl_print_table(t) : ck_ctl_fail(CK_CTL_EXIT_FAIL, "out of memory");
out:
	ck_cli_table_free(t);
	cJSON_Delete(items);
	return rc;
}

int main(int argc, char **argv)
{
	struct ck_cli_args args;
	struct ck_ctl ctx = { 0 };
	const struct command *cmd;
	const char *server;
	char err[512];
	char *token = NULL;
	int rc;

	if (ck_cli_parse(argc - 1, argv + 1, options, sizeof(options) / sizeof(options[0]), &args,
	                 err, sizeof(err)) < 0)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "%s", err);
	if (ck_cli_opt_value(&args, CK_CTL_OPT_VERSION)) {
		printf("clickctl %s\n", CK_VERSION);
		return CK_CTL_EXIT_OK;
	}
	if (args.n_pos == 0) {
		if (ck_cli_opt_value(&args, CK_CTL_OPT_HELP)) {
			print_main_help();
			return CK_CTL_EXIT_OK;
		}
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "no command given (try clickctl --help)");
	}
	if (!group_exists(args.pos[0]))
		return ck_ctl_fail(CK_CTL_EXIT_USAGE, "unknown command '%s' (try clickctl --help)",
		                   args.pos[0]);
	if (args.n_pos == 1) {
		if (ck_cli_opt_value(&args, CK_CTL_OPT_HELP)) {
			print_group_help(args.pos[0]);
			return CK_CTL_EXIT_OK;
		}
		return ck_ctl_fail(CK_CTL_EXIT_USAGE,
		                   "'%s' needs a command (try clickctl %s --help)", args.pos[0],
		                   args.pos[0]);
	}
	cmd = find_command(args.pos[0], args.pos[1]);
	if (!cmd)
		return ck_ctl_fail(CK_CTL_EXIT_USAGE,
		                   "unknown command '%s %s' (try clickctl %s --help)", args.pos[0],
		                   args.pos[1], args.pos[0]);
	if (ck_cli_opt_value(&args, CK_CTL_OPT_HELP)) {
		print_command_help(cmd);
		return CK_CTL_EXIT_OK;
	}
	for (size_t i = 0; i < args.n_opts; i++) {
		uint64_t bit = CK_CTL_BIT(args.opts[i].id);
		if (!((GLOBAL_OPTS | cmd->opts) & bit))
			return ck_ctl_fail(
			    CK_CTL_EXIT_USAGE,
			    "unknown option --%s for '%s %s' (try clickctl %s %s --help)",
			    option_name(args.opts[i].id), cmd->group, cmd->name, cmd->group,
			    cmd->name);
	}
	ctx.args = &args;
	ctx.operands = args.pos + 2;
	ctx.n_operands = args.n_pos - 2;
	ctx.json = ck_cli_opt_value(&args, CK_CTL_OPT_JSON) != NULL;
	if (is_offline(cmd)) {
		rc = cmd->run(&ctx);
		goto flush;
	}
	server = ck_cli_opt_value(&args, CK_CTL_OPT_SERVER);
	if (!server)
		server = getenv("CLICKD_SERVER");
	if (!server || !server[0])
		server = CK_CTL_DEFAULT_SERVER;
	if (resolve_token(&args, &token, err, sizeof(err)) < 0) {
		rc = ck_ctl_fail(CK_CTL_EXIT_FAIL,
		                 "%s (give --token-file, --token or CLICKD_TOKEN)", err);
		goto out;
	}
	if (ck_ctl_http_new(server, token, &ctx.http, err, sizeof(err)) < 0) {
		rc = ck_ctl_fail(CK_CTL_EXIT_FAIL, "%s", err);
		goto out;
	}
	rc = cmd->run(&ctx);
flush:
	if (fflush(stdout) != 0 && rc == CK_CTL_EXIT_OK)
		rc = ck_ctl_fail(CK_CTL_EXIT_FAIL, "cannot write the output: %s", strerror(errno));
out:
	ck_ctl_http_free(ctx.http);
	if (token) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
	return rc;
}
