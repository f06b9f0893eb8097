/*
 * AWS IoT policy documents: parse one document into a compiled form once,
 * then decide requests {action, resource, context variables} against one
 * or several compiled documents (the policies attached to a certificate are
 * evaluated together). The grammar, variables and evaluation rules are
 * those of docs/internals/policy.md (from aws-model.md §3): deny by
 * default, an applicable Deny wins, '*' and '?' are the only wildcards
 * ('*' crosses '/'), MQTT '+' and '#' are literal, and a policy variable
 * with no value matches nothing. Pure: no I/O, no clock, no globals; a
 * compiled policy is immutable and may be shared by threads. The broker
 * plugin and "clickctl policy test" both decide with this module, so they
 * cannot disagree.
 */
#ifndef CK_POLICY_H
#define CK_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#define CK_POLICY_DOC_MAX        8192 /* bytes of a document as stored */
#define CK_POLICY_CHARS_MAX      2048 /* bytes other than whitespace (AWS quota) */
#define CK_POLICY_STATEMENTS_MAX 64
#define CK_POLICY_LIST_MAX       64   /* entries of one Action, Resource or value list */
#define CK_POLICY_CONDITIONS_MAX 32   /* operator/key pairs of one statement */
#define CK_POLICY_VALUE_MAX      1024 /* a longer variable value has no value (AWS) */
#define CK_POLICY_RESOURCE_MAX   2048 /* a longer request resource matches nothing */
#define CK_POLICY_NAME_MAX       128  /* policy names: [A-Za-z0-9+=,.@_-]{1,128} */
#define CK_POLICY_VERSIONS_MAX   5    /* versions kept per policy (AWS) */

/* The actions an IoT policy can name (aws-model.md §3.2). The first five
 * are the ones the broker checks. */
enum ck_policy_action {
	CK_POLICY_CONNECT = 0,
	CK_POLICY_PUBLISH,
	CK_POLICY_SUBSCRIBE,
	CK_POLICY_RECEIVE,
	CK_POLICY_RETAIN_PUBLISH,
	CK_POLICY_GET_RETAINED_MESSAGE,
	CK_POLICY_LIST_RETAINED_MESSAGES,
	CK_POLICY_GET_THING_SHADOW,
	CK_POLICY_UPDATE_THING_SHADOW,
	CK_POLICY_DELETE_THING_SHADOW,
	CK_POLICY_LIST_NAMED_SHADOWS_FOR_THING,
	CK_POLICY_DESCRIBE_JOB_EXECUTION,
	CK_POLICY_GET_PENDING_JOB_EXECUTIONS,
	CK_POLICY_UPDATE_JOB_EXECUTION,
	CK_POLICY_START_NEXT_PENDING_JOB_EXECUTION,
	CK_POLICY_ASSUME_ROLE_WITH_CERTIFICATE,
	CK_POLICY_N_ACTIONS
};

/* One thing attribute, for ${iot:Connection.Thing.Attributes[name]}. */
struct ck_policy_attr {
	const char *name;
	const char *value;
};

/*
 * What the policy variables resolve to for one connection. NULL means "no
 * value": a resource or condition value using that variable matches
 * nothing. Thing fields should be set only when the thing is attached to
 * the certificate and the client id equals the thing name (AWS rule); the
 * broker plugin does exactly that. All strings are borrowed.
 */
struct ck_policy_context {
	const char *client_id;              /* ${iot:ClientId} */
	const char *thing_name;             /* ${iot:Connection.Thing.ThingName} */
	const char *thing_type;             /* ${iot:Connection.Thing.ThingTypeName} */
	const struct ck_policy_attr *attrs; /* ${iot:Connection.Thing.Attributes[name]} */
	size_t n_attrs;
	const char *cert_cn; /* ${iot:Certificate.Subject.CommonName} */
};

struct ck_policy_request {
	enum ck_policy_action action;
	/* The ARN's resource part: "client/<id>", "topic/<name>" or
	 * "topicfilter/<filter>". The region and account parts of an ARN are
	 * never compared: clickd is one account in one region. */
	const char *resource;
	const struct ck_policy_context *ctx; /* NULL: every variable has no value */
};

enum ck_policy_effect {
	CK_POLICY_DENY = 0,
	CK_POLICY_ALLOW = 1,
};

struct ck_policy_decision {
	enum ck_policy_effect effect;
	/* The deciding statement: the first applicable Deny, else the first
	 * applicable Allow; index -1 (and policy NULL) for the implicit deny. */
	size_t policy; /* index into the set given to ck_policy_eval() */
	int statement; /* 0-based index in that policy's Statement list */
};

struct ck_policy;

/*
 * Parses and compiles the len bytes at doc (need not be NUL-terminated).
 * Returns 0 and a new policy in *out (free with ck_policy_free()), or a
 * negative errno with one line in err saying where and what: -EINVAL for
 * an invalid document ("line 3, column 7: JSON syntax error",
 * "Statement[1].Condition: unknown operator StringMatches"), -E2BIG beyond
 * the bounds above, -ENOMEM. Nothing is allocated on error.
 */
int ck_policy_parse(const char *doc, size_t len, struct ck_policy **out, char *err, size_t err_len);

/* Frees a compiled policy; NULL is a no-op. */
void ck_policy_free(struct ck_policy *p);

/* Number of statements in p. */
size_t ck_policy_statement_count(const struct ck_policy *p);

/* Statement i as compact JSON (owned by p, valid until it is freed), or
 * NULL when i is out of range. */
const char *ck_policy_statement_json(const struct ck_policy *p, size_t i);

/*
 * Decides req against the n policies of set (NULL entries are skipped):
 * CK_POLICY_DENY unless some statement applies with Effect Allow and none
 * with Effect Deny. Fills *out (may be NULL) with the deciding statement.
 * A statement applies when its Action (NotAction) covers req->action, its
 * Resource matches (NotResource matches none) and every Condition holds.
 * Never fails; allocates nothing.
 */
enum ck_policy_effect ck_policy_eval(const struct ck_policy *const *set, size_t n,
                                     const struct ck_policy_request *req,
                                     struct ck_policy_decision *out);

/* The action called name ("iot:Publish"; matched without regard to case),
 * or -EINVAL. */
int ck_policy_action_parse(const char *name);

/* The canonical name of action a ("iot:Publish"), or "?" out of range. */
const char *ck_policy_action_name(int a);

/*
 * Splits an ARN "arn:<partition>:iot:<region>:<account>:<resource>" and
 * returns a pointer to <resource> inside arn, or NULL when arn does not
 * have that shape (each of the first five parts non-empty, the service
 * "iot", the resource non-empty).
 */
const char *ck_policy_arn_resource(const char *arn);

/* True when name is a valid policy name ([A-Za-z0-9+=,.@_-]{1,128}). */
bool ck_policy_name_valid(const char *name);

#endif
