/*
 * Calls (see calls.h): templates, kind definitions, click mapping,
 * lifecycle and feedback messages. Pure functions over cJSON values.
 */
#include "engine/calls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/actions.h"

static const char *const status_names[CK_CALL_N_STATUS] = { "raised", "claimed", "arrived",
	                                                    "resolved", "cancelled" };

const char *ck_calls_status_name(enum ck_call_status st)
{
	if ((int)st < 0 || st >= CK_CALL_N_STATUS)
		return NULL;
	return status_names[st];
}

int ck_calls_status_parse(const char *name, enum ck_call_status *out)
{
	for (int i = 0; name && i < CK_CALL_N_STATUS; i++) {
		if (strcmp(name, status_names[i]) == 0) {
			*out = (enum ck_call_status)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *ck_calls_op_change(enum ck_call_op op)
{
	switch (op) {
	case CK_CALL_CLAIM:
		return "claimed";
	case CK_CALL_ARRIVE:
		return "arrived";
	case CK_CALL_RESOLVE:
		return "resolved";
	case CK_CALL_RELEASE:
		return "released";
	case CK_CALL_CANCEL:
		return "cancelled";
	}
	return "updated";
}

bool ck_calls_is_open(enum ck_call_status st)
{
	return st == CK_CALL_RAISED || st == CK_CALL_CLAIMED || st == CK_CALL_ARRIVED;
}

int ck_calls_transition(enum ck_call_status from, enum ck_call_op op, enum ck_call_status *to)
{
	bool ok = false;
	enum ck_call_status next = from;
	switch (op) {
	case CK_CALL_CLAIM:
		ok = from == CK_CALL_RAISED;
		next = CK_CALL_CLAIMED;
		break;
	case CK_CALL_ARRIVE:
		ok = from == CK_CALL_CLAIMED;
		next = CK_CALL_ARRIVED;
		break;
	case CK_CALL_RESOLVE:
		ok = from == CK_CALL_CLAIMED || from == CK_CALL_ARRIVED;
		next = CK_CALL_RESOLVED;
		break;
	case CK_CALL_RELEASE:
		ok = from == CK_CALL_CLAIMED || from == CK_CALL_ARRIVED;
		next = CK_CALL_RAISED;
		break;
	case CK_CALL_CANCEL:
		ok = ck_calls_is_open(from);
		next = CK_CALL_CANCELLED;
		break;
	}
	if (!ok)
		return -EPERM;
	*to = next;
	return 0;
}

/* --- templates --------------------------------------------------------- */

struct tpl {
	const char *name, *title;
	const char *single_cat, *double_cat, *long_cat; /* andon: raise with categories */
};

static const struct tpl templates[] = {
	{ "pallet-pickup", "Pallet pickup", NULL, NULL, NULL },
	{ "service-request", "Service request", NULL, NULL, NULL },
	{ "patient-call", "Patient call", NULL, NULL, NULL },
	{ "andon", "Andon", "parts", "tooling", "stop" },
};

static cJSON *click(const char *action, const char *priority, const char *category)
{
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "action", action);
	if (priority)
		cJSON_AddStringToObject(c, "priority", priority);
	if (category)
		cJSON_AddStringToObject(c, "category", category);
	return c;
}

static cJSON *template_kind(const struct tpl *t)
{
	cJSON *k = cJSON_CreateObject();
	cJSON *clicks = cJSON_CreateObject();
	cJSON_AddStringToObject(k, "template", t->name);
	cJSON_AddStringToObject(k, "title", t->title);
	if (t->single_cat) {
		cJSON_AddItemToObject(clicks, "SINGLE", click("raise", "normal", t->single_cat));
		cJSON_AddItemToObject(clicks, "DOUBLE", click("raise", "normal", t->double_cat));
		cJSON_AddItemToObject(clicks, "LONG", click("raise", "urgent", t->long_cat));
	} else {
		cJSON_AddItemToObject(clicks, "SINGLE", click("raise", "normal", NULL));
		cJSON_AddItemToObject(clicks, "DOUBLE", click("cancel", NULL, NULL));
		cJSON_AddItemToObject(clicks, "LONG", click("raise", "urgent", NULL));
	}
	cJSON_AddItemToObject(k, "clicks", clicks);
	cJSON_AddItemToObject(k, "escalations", cJSON_CreateObject());
	cJSON_AddBoolToObject(k, "feedback", 1);
	return k;
}

cJSON *ck_calls_templates(void)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; arr && i < sizeof(templates) / sizeof(templates[0]); i++)
		cJSON_AddItemToArray(arr, template_kind(&templates[i]));
	return arr;
}

/* --- kind definitions --------------------------------------------------- */

int ck_calls_priority_rank(const char *priority)
{
	if (priority && strcmp(priority, "low") == 0)
		return 0;
	if (priority && strcmp(priority, "urgent") == 0)
		return 2;
	return 1;
}

static bool priority_valid(const char *p)
{
	return strcmp(p, "low") == 0 || strcmp(p, "normal") == 0 || strcmp(p, "urgent") == 0;
}

static bool click_type_valid(const char *t)
{
	static const char *const known[] = { "SINGLE", "DOUBLE",  "LONG", "TRIPLE",
		                             "HOLD",   "RELEASE", NULL };
	for (int i = 0; known[i]; i++)
		if (strcmp(t, known[i]) == 0)
			return true;
	return false;
}

static int check_clicks(const cJSON *clicks, char *why, size_t why_len)
{
	if (!cJSON_IsObject(clicks) || cJSON_GetArraySize(clicks) > 6) {
		snprintf(why, why_len, "\"clicks\" must be an object of click types");
		return -EINVAL;
	}
	const cJSON *c;
	cJSON_ArrayForEach(c, clicks)
	{
		if (!click_type_valid(c->string)) {
			snprintf(why, why_len,
			         "clicks: unknown click type \"%.32s\" (SINGLE, DOUBLE, LONG, "
			         "TRIPLE, HOLD, RELEASE)",
			         c->string);
			return -EINVAL;
		}
		const cJSON *action = cJSON_GetObjectItemCaseSensitive(c, "action");
		const cJSON *prio = cJSON_GetObjectItemCaseSensitive(c, "priority");
		const cJSON *cat = cJSON_GetObjectItemCaseSensitive(c, "category");
		if (!cJSON_IsObject(c) || !cJSON_IsString(action) ||
		    (strcmp(action->valuestring, "raise") != 0 &&
		     strcmp(action->valuestring, "cancel") != 0)) {
			snprintf(why, why_len,
			         "clicks.%s needs \"action\": \"raise\" or \"cancel\"", c->string);
			return -EINVAL;
		}
		const cJSON *field;
		cJSON_ArrayForEach(field, c)
		{
			if (!field->string || (strcmp(field->string, "action") != 0 &&
			                       strcmp(field->string, "priority") != 0 &&
			                       strcmp(field->string, "category") != 0)) {
				snprintf(why, why_len,
				         "clicks.%s: unknown field \"%.32s\" (action, priority, "
				         "category)",
				         c->string, field->string ? field->string : "");
				return -EINVAL;
			}
		}
		if (prio && (!cJSON_IsString(prio) || !priority_valid(prio->valuestring))) {
			snprintf(why, why_len,
			         "clicks.%s.priority must be \"low\", \"normal\" or \"urgent\"",
			         c->string);
			return -EINVAL;
		}
		if (cat && !cJSON_IsNull(cat) &&
		    (!cJSON_IsString(cat) || !cat->valuestring[0] ||
		     strlen(cat->valuestring) > CK_CALLS_CATEGORY_MAX)) {
			snprintf(why, why_len,
			         "clicks.%s.category must be a string of 1 to %d bytes", c->string,
			         CK_CALLS_CATEGORY_MAX);
			return -EINVAL;
		}
	}
	return 0;
}

static bool seconds_ok(const cJSON *v, bool zero_ok)
{
	return cJSON_IsNumber(v) && v->valuedouble == (double)(long long)v->valuedouble &&
	       v->valuedouble >= (zero_ok ? 0 : 1) && v->valuedouble <= CK_CALLS_SECONDS_MAX;
}

static int check_stage(const cJSON *stage, const char *name, char *why, size_t why_len)
{
	const cJSON *after = cJSON_GetObjectItemCaseSensitive(stage, "afterSeconds");
	const cJSON *repeat = cJSON_GetObjectItemCaseSensitive(stage, "repeatSeconds");
	const cJSON *notify = cJSON_GetObjectItemCaseSensitive(stage, "notify");
	if (!cJSON_IsObject(stage) || !seconds_ok(after, false)) {
		snprintf(why, why_len,
		         "escalations.%s.afterSeconds must be an integer from 1 to %d", name,
		         CK_CALLS_SECONDS_MAX);
		return -EINVAL;
	}
	if (repeat && !seconds_ok(repeat, true)) {
		snprintf(why, why_len,
		         "escalations.%s.repeatSeconds must be 0 or an integer up to %d", name,
		         CK_CALLS_SECONDS_MAX);
		return -EINVAL;
	}
	const char *type = ck_action_type(notify);
	if (!cJSON_IsObject(notify) ||
	    (strcmp(type, "webhook") != 0 && strcmp(type, "republish") != 0 &&
	     strcmp(type, "notify") != 0)) {
		snprintf(why, why_len,
		         "escalations.%s.notify must be a notify (channel), webhook or republish "
		         "action",
		         name);
		return -EINVAL;
	}
	char inner[200];
	if (ck_action_validate(notify, inner, sizeof(inner)) != 0) {
		snprintf(why, why_len, "escalations.%s.notify: %s", name, inner);
		return -EINVAL;
	}
	return 0;
}

static int check_escalations(const cJSON *esc, char *why, size_t why_len)
{
	if (!cJSON_IsObject(esc)) {
		snprintf(why, why_len, "\"escalations\" must be an object");
		return -EINVAL;
	}
	const cJSON *st;
	cJSON_ArrayForEach(st, esc)
	{
		if (strcmp(st->string, "unclaimed") != 0 && strcmp(st->string, "unresolved") != 0) {
			snprintf(why, why_len,
			         "escalations: unknown stage \"%.32s\" (unclaimed, unresolved)",
			         st->string);
			return -EINVAL;
		}
		if (check_stage(st, st->string, why, why_len) != 0)
			return -EINVAL;
	}
	return 0;
}

static const struct tpl *find_template(const char *name)
{
	for (size_t i = 0; i < sizeof(templates) / sizeof(templates[0]); i++)
		if (strcmp(templates[i].name, name) == 0)
			return &templates[i];
	return NULL;
}

static void replace(cJSON *k, const char *key, const cJSON *v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(k, key);
	cJSON_AddItemToObject(k, key, cJSON_Duplicate(v, 1));
}

int ck_calls_kind_build(const char *name, const cJSON *body, cJSON **out, char *why, size_t why_len)
{
	*out = NULL;
	const cJSON *tname = cJSON_GetObjectItemCaseSensitive(body, "template");
	const cJSON *title = cJSON_GetObjectItemCaseSensitive(body, "title");
	const cJSON *clicks = cJSON_GetObjectItemCaseSensitive(body, "clicks");
	const cJSON *esc = cJSON_GetObjectItemCaseSensitive(body, "escalations");
	const cJSON *feedback = cJSON_GetObjectItemCaseSensitive(body, "feedback");
	const struct tpl *t = NULL;

	if (tname && !cJSON_IsNull(tname)) {
		t = cJSON_IsString(tname) ? find_template(tname->valuestring) : NULL;
		if (!t) {
			snprintf(why, why_len,
			         "unknown template (pallet-pickup, service-request, patient-call, "
			         "andon)");
			return -EINVAL;
		}
	} else if (!clicks) {
		snprintf(why, why_len, "a kind needs a \"template\" or \"clicks\"");
		return -EINVAL;
	}
	if (title && (!cJSON_IsString(title) || strlen(title->valuestring) > 128)) {
		snprintf(why, why_len, "\"title\" must be a string of at most 128 bytes");
		return -EINVAL;
	}
	if (clicks && check_clicks(clicks, why, why_len) != 0)
		return -EINVAL;
	if (esc && check_escalations(esc, why, why_len) != 0)
		return -EINVAL;
	if (feedback && !cJSON_IsBool(feedback)) {
		snprintf(why, why_len, "\"feedback\" must be true or false");
		return -EINVAL;
	}

	cJSON *k = NULL;
	if (t) {
		k = template_kind(t);
	} else {
		k = cJSON_CreateObject();
		if (k) {
			cJSON_AddNullToObject(k, "template");
			cJSON_AddStringToObject(k, "title", name);
			cJSON_AddItemToObject(k, "clicks", cJSON_CreateObject());
			cJSON_AddItemToObject(k, "escalations", cJSON_CreateObject());
			cJSON_AddBoolToObject(k, "feedback", 1);
		}
	}
	if (!k)
		return -ENOMEM;
	cJSON_AddStringToObject(k, "name", name);
	if (title)
		replace(k, "title", title);
	if (clicks)
		replace(k, "clicks", clicks);
	if (esc)
		replace(k, "escalations", esc);
	if (feedback)
		replace(k, "feedback", feedback);
	*out = k;
	return 0;
}

void ck_calls_click(const cJSON *kind, const char *click_type, struct ck_call_click *out)
{
	*out = (struct ck_call_click){ .action = CK_CLICK_NOTHING, .priority = "normal" };
	if (!click_type)
		return;
	const cJSON *clicks = cJSON_GetObjectItemCaseSensitive(kind, "clicks");
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(clicks, click_type);
	const cJSON *action = cJSON_GetObjectItemCaseSensitive(c, "action");
	const cJSON *prio = cJSON_GetObjectItemCaseSensitive(c, "priority");
	const cJSON *cat = cJSON_GetObjectItemCaseSensitive(c, "category");
	if (!cJSON_IsString(action))
		return;
	if (strcmp(action->valuestring, "raise") == 0)
		out->action = CK_CLICK_RAISE;
	else if (strcmp(action->valuestring, "cancel") == 0)
		out->action = CK_CLICK_CANCEL;
	if (cJSON_IsString(prio) && priority_valid(prio->valuestring))
		out->priority = prio->valuestring;
	if (cJSON_IsString(cat))
		out->category = cat->valuestring;
}

void ck_calls_escalation(const cJSON *kind, const char *stage, struct ck_call_escalation *out)
{
	*out = (struct ck_call_escalation){ 0 };
	const cJSON *esc = cJSON_GetObjectItemCaseSensitive(kind, "escalations");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(esc, stage);
	const cJSON *after = cJSON_GetObjectItemCaseSensitive(st, "afterSeconds");
	const cJSON *repeat = cJSON_GetObjectItemCaseSensitive(st, "repeatSeconds");
	const cJSON *notify = cJSON_GetObjectItemCaseSensitive(st, "notify");
	if (!seconds_ok(after, false) || !cJSON_IsObject(notify))
		return;
	out->set = true;
	out->after_s = (long long)after->valuedouble;
	out->repeat_s = seconds_ok(repeat, true) ? (long long)repeat->valuedouble : 0;
	out->notify = notify;
}

char *ck_calls_feedback(enum ck_call_status st, long long call_id, int presses, const char *by)
{
	static const char *const led[CK_CALL_N_STATUS] = { "blink", "on", "on", "off", "off" };
	static const char *const color[CK_CALL_N_STATUS] = { "yellow", "blue", "cyan", "green",
		                                             "red" };
	if ((int)st < 0 || st >= CK_CALL_N_STATUS)
		return NULL;
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "led", led[st]);
	cJSON_AddStringToObject(o, "color", color[st]);
	cJSON_AddStringToObject(o, "state", status_names[st]);
	cJSON_AddNumberToObject(o, "call", (double)call_id);
	if (st == CK_CALL_RAISED)
		cJSON_AddNumberToObject(o, "presses", presses);
	if (st == CK_CALL_CLAIMED && by)
		cJSON_AddStringToObject(o, "by", by);
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}
