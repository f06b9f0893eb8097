/*
 * The Lua sandbox (see sandbox.h): state set-up with a capped allocator
 * and a count hook, the restricted standard library, JSON conversion in
 * both directions, and the function API's C closures.
 */
#include "functions/sandbox.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#define HOOK_EVERY 1000 /* instructions between hook calls */

enum stop { STOP_NONE = 0, STOP_INSTRUCTIONS, STOP_TIMEOUT };

/* One run; its address is kept in the state's extra space. */
struct run {
	size_t used, peak, cap;
	uint64_t instructions, max_instructions;
	int64_t deadline_ns;
	enum stop stop;
	int calls;
	const struct ck_sandbox_host *host;
	/* Owned while Lua code that may raise (a memory error) runs, freed by
	 * the next such step or at the end of the run: a raised error unwinds
	 * with longjmp and would leak them. */
	cJSON *pending_json;
	char *pending_text;
};

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct run *run_of(lua_State *L)
{
	return *(struct run **)lua_getextraspace(L);
}

const char *ck_sandbox_status_name(enum ck_sandbox_status s)
{
	static const char *const names[] = { "ok", "error", "memory", "instructions", "timeout" };
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "error";
}

/* The allocator: refuses growth beyond the cap (Lua then raises a memory error). */
static void *sb_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct run *r = ud;
	size_t old = ptr ? osize : 0;
	if (nsize == 0) {
		free(ptr);
		r->used -= old;
		return NULL;
	}
	if (nsize > old && r->used - old + nsize > r->cap)
		return NULL;
	void *p = realloc(ptr, nsize);
	if (!p)
		return NULL;
	r->used = r->used - old + nsize;
	if (r->used > r->peak)
		r->peak = r->used;
	return p;
}

/* The count hook: instruction and wall-time caps. Once a cap is hit it
 * fires on every instruction, so a pcall cannot swallow the error for long. */
static void sb_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	struct run *r = run_of(L);
	r->instructions += r->stop ? 1 : HOOK_EVERY;
	if (!r->stop) {
		if (r->instructions > r->max_instructions)
			r->stop = STOP_INSTRUCTIONS;
		else if (mono_ns() > r->deadline_ns)
			r->stop = STOP_TIMEOUT;
		if (r->stop)
			lua_sethook(L, sb_hook, LUA_MASKCOUNT, 1);
	}
	if (r->stop == STOP_INSTRUCTIONS)
		luaL_error(L, "instruction limit exceeded");
	if (r->stop == STOP_TIMEOUT)
		luaL_error(L, "time limit exceeded");
}

/* --- JSON <-> Lua --------------------------------------------------------- */

static const char json_null_key = 0; /* its address is json.null */

static void push_json(lua_State *L, const cJSON *v, int depth)
{
	luaL_checkstack(L, 4, "JSON value too deep");
	if (!v || cJSON_IsNull(v) || depth > CK_SANDBOX_JSON_DEPTH) {
		lua_pushlightuserdata(L, (void *)&json_null_key);
	} else if (cJSON_IsBool(v)) {
		lua_pushboolean(L, cJSON_IsTrue(v));
	} else if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		if (d == floor(d) && fabs(d) < 9007199254740992.0)
			lua_pushinteger(L, (lua_Integer)d);
		else
			lua_pushnumber(L, d);
	} else if (cJSON_IsString(v)) {
		lua_pushstring(L, v->valuestring);
	} else if (cJSON_IsArray(v)) {
		lua_createtable(L, cJSON_GetArraySize(v), 0);
		lua_Integer i = 1;
		const cJSON *it;
		cJSON_ArrayForEach(it, v)
		{
			push_json(L, it, depth + 1);
			lua_rawseti(L, -2, i++);
		}
	} else {
		lua_createtable(L, 0, cJSON_GetArraySize(v));
		const cJSON *it;
		cJSON_ArrayForEach(it, v)
		{
			if (cJSON_IsNull(it))
				continue; /* a nil value: the key is absent, as in Lua */
			push_json(L, it, depth + 1);
			lua_setfield(L, -2, it->string);
		}
	}
}

/* Converts the value at idx; NULL with a message in err on failure. */
static cJSON *to_json(lua_State *L, int idx, int depth, char *err, size_t err_len)
{
	idx = lua_absindex(L, idx);
	if (depth > CK_SANDBOX_JSON_DEPTH) {
		snprintf(err, err_len, "value nested deeper than %d levels (or a cycle)",
		         CK_SANDBOX_JSON_DEPTH);
		return NULL;
	}
	switch (lua_type(L, idx)) {
	case LUA_TNIL:
		return cJSON_CreateNull();
	case LUA_TBOOLEAN:
		return cJSON_CreateBool(lua_toboolean(L, idx));
	case LUA_TNUMBER: {
		double d = lua_tonumber(L, idx);
		if (!isfinite(d)) {
			snprintf(err, err_len, "JSON has no NaN or infinity");
			return NULL;
		}
		return cJSON_CreateNumber(d);
	}
	case LUA_TSTRING:
		return cJSON_CreateString(lua_tostring(L, idx));
	case LUA_TLIGHTUSERDATA:
		if (lua_touserdata(L, idx) == &json_null_key)
			return cJSON_CreateNull();
		break;
	case LUA_TTABLE: {
		if (!lua_checkstack(L, 4)) {
			snprintf(err, err_len, "value too deep");
			return NULL;
		}
		lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
		lua_Integer count = 0;
		bool array = true;
		lua_pushnil(L);
		while (lua_next(L, idx)) {
			count++;
			if (!lua_isinteger(L, -2) || lua_tointeger(L, -2) < 1 ||
			    lua_tointeger(L, -2) > n)
				array = false;
			lua_pop(L, 1);
		}
		bool as_array = array && count == n && n > 0;
		cJSON *out = as_array ? cJSON_CreateArray() : cJSON_CreateObject();
		if (!out) {
			snprintf(err, err_len, "out of memory");
			return NULL;
		}
		if (as_array) {
			for (lua_Integer i = 1; i <= n; i++) {
				lua_rawgeti(L, idx, i);
				cJSON *item = to_json(L, -1, depth + 1, err, err_len);
				lua_pop(L, 1);
				if (!item) {
					cJSON_Delete(out);
					return NULL;
				}
				cJSON_AddItemToArray(out, item);
			}
			return out;
		}
		lua_pushnil(L);
		while (lua_next(L, idx)) {
			char key[64];
			const char *k;
			if (lua_type(L, -2) == LUA_TSTRING) {
				k = lua_tostring(L, -2);
			} else if (lua_type(L, -2) == LUA_TNUMBER) {
				if (lua_isinteger(L, -2))
					snprintf(key, sizeof(key), "%lld",
					         (long long)lua_tointeger(L, -2));
				else
					snprintf(key, sizeof(key), "%.17g", lua_tonumber(L, -2));
				k = key;
			} else {
				lua_pop(L, 2);
				snprintf(err, err_len,
				         "JSON object keys must be strings or numbers");
				cJSON_Delete(out);
				return NULL;
			}
			cJSON *item = to_json(L, -1, depth + 1, err, err_len);
			if (!item) {
				lua_pop(L, 2);
				cJSON_Delete(out);
				return NULL;
			}
			cJSON_AddItemToObject(out, k, item);
			lua_pop(L, 1);
		}
		return out;
	}
	default:
		break;
	}
	snprintf(err, err_len, "cannot convert a %s to JSON", luaL_typename(L, idx));
	return NULL;
}

/* Frees what a raised error would otherwise leak (see struct run). */
static void drop_pending(struct run *r)
{
	cJSON_Delete(r->pending_json);
	free(r->pending_text);
	r->pending_json = NULL;
	r->pending_text = NULL;
}

/* Pushes a JSON value; a memory error while pushing frees it at the end of the run. */
static void push_owned_json(lua_State *L, cJSON *v)
{
	struct run *r = run_of(L);
	drop_pending(r);
	r->pending_json = v;
	push_json(L, v, 0);
	r->pending_json = NULL;
	cJSON_Delete(v);
}

/* Pushes the value at idx as text: a string as is, anything else as JSON. */
static void push_text(lua_State *L, int idx)
{
	struct run *r = run_of(L);
	if (lua_type(L, idx) == LUA_TSTRING) {
		lua_pushvalue(L, idx);
		return;
	}
	char err[160] = "";
	cJSON *v = to_json(L, idx, 0, err, sizeof(err));
	if (!v)
		luaL_error(L, "%s", err);
	char *text = cJSON_PrintUnformatted(v);
	cJSON_Delete(v);
	if (!text)
		luaL_error(L, "out of memory");
	drop_pending(r);
	r->pending_text = text;
	lua_pushstring(L, text);
	r->pending_text = NULL;
	cJSON_free(text);
}

static int json_encode(lua_State *L)
{
	luaL_checkany(L, 1);
	push_text(L, 1);
	return 1;
}

static int json_decode(lua_State *L)
{
	size_t len = 0;
	const char *text = luaL_checklstring(L, 1, &len);
	cJSON *v = cJSON_ParseWithLength(text, len);
	if (!v) {
		lua_pushnil(L);
		lua_pushstring(L, "invalid JSON");
		return 2;
	}
	push_owned_json(L, v);
	return 1;
}

/* --- the function API ------------------------------------------------------ */

/* Calls the host with the Lua table at idx as arguments and pushes its result. */
static int host_call(lua_State *L, const char *call, int idx)
{
	struct run *r = run_of(L);
	char err[400] = "";
	if (++r->calls > CK_SANDBOX_CALLS_MAX)
		return luaL_error(L, "%s: more than %d calls into clickd in one run", call,
		                  CK_SANDBOX_CALLS_MAX);
	cJSON *args = to_json(L, idx, 0, err, sizeof(err));
	if (!args)
		return luaL_error(L, "%s: %s", call, err);
	if (!cJSON_IsObject(args)) { /* an empty Lua table */
		cJSON_Delete(args);
		args = cJSON_CreateObject();
		if (!args)
			return luaL_error(L, "out of memory");
	}
	cJSON *result = NULL;
	int rc = r->host && r->host->call
	             ? r->host->call(r->host->arg, call, args, &result, err, sizeof(err))
	             : -ENOSYS;
	cJSON_Delete(args);
	if (rc != 0) {
		cJSON_Delete(result);
		if (!err[0])
			snprintf(err, sizeof(err), "%s failed", call);
		return luaL_error(L, "%s", err);
	}
	if (!result) {
		lua_pushnil(L);
		return 1;
	}
	push_owned_json(L, result);
	return 1;
}

/* Sets field key of the table on top to the value at idx (nothing for nil). */
static void set_arg(lua_State *L, const char *key, int idx)
{
	if (lua_isnoneornil(L, idx))
		return;
	lua_pushvalue(L, idx);
	lua_setfield(L, -2, key);
}

static void set_text_arg(lua_State *L, const char *key, int idx)
{
	if (lua_isnoneornil(L, idx))
		return;
	push_text(L, idx);
	lua_setfield(L, -2, key);
}

static int api_workorder_create(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	return host_call(L, "workorder.create", 1);
}

static int api_notify(lua_State *L)
{
	luaL_checkstring(L, 1);
	luaL_checkany(L, 2);
	if (!lua_isnoneornil(L, 3))
		luaL_checktype(L, 3, LUA_TTABLE);
	lua_settop(L, 3);
	lua_createtable(L, 0, 3);
	set_arg(L, "channel", 1);
	set_text_arg(L, "message", 2);
	set_arg(L, "attributes", 3);
	return host_call(L, "notify", 4);
}

static int api_queue_send(lua_State *L)
{
	luaL_checkstring(L, 1);
	luaL_checkany(L, 2);
	lua_settop(L, 2);
	lua_createtable(L, 0, 2);
	set_arg(L, "queue", 1);
	set_text_arg(L, "body", 2);
	return host_call(L, "queue.send", 3);
}

static int api_publish(lua_State *L)
{
	luaL_checkstring(L, 1);
	luaL_checkany(L, 2);
	lua_Integer qos = luaL_optinteger(L, 3, 1);
	lua_settop(L, 2);
	lua_createtable(L, 0, 3);
	set_arg(L, "topic", 1);
	set_text_arg(L, "payload", 2);
	lua_pushinteger(L, qos);
	lua_setfield(L, -2, "qos");
	return host_call(L, "publish", 3);
}

static int api_http_request(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	lua_createtable(L, 0, 4); /* 2 */
	static const char *const plain[] = { "url", "method", "headers", NULL };
	for (int i = 0; plain[i]; i++) {
		lua_getfield(L, 1, plain[i]);
		lua_setfield(L, 2, plain[i]);
	}
	lua_getfield(L, 1, "body"); /* 3 */
	if (!lua_isnil(L, 3)) {
		push_text(L, 3);
		lua_setfield(L, 2, "body");
	}
	lua_pop(L, 1);
	return host_call(L, "http.request", 2);
}

static int api_log(lua_State *L)
{
	struct run *r = run_of(L);
	luaL_Buffer b;
	int n = lua_gettop(L);
	luaL_buffinit(L, &b);
	for (int i = 1; i <= n; i++) {
		size_t len;
		const char *s = luaL_tolstring(L, i, &len);
		if (i > 1)
			luaL_addchar(&b, ' ');
		luaL_addvalue(&b); /* pops s */
		(void)s;
	}
	luaL_pushresult(&b);
	size_t len;
	const char *line = lua_tolstring(L, -1, &len);
	if (r->host && r->host->log)
		r->host->log(r->host->arg, line, len);
	return 0;
}

/* table(name): a handle whose methods name the table. Checks self. */
static void check_handle(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	bool ok = lua_getfield(L, 1, "name") == LUA_TSTRING;
	lua_pop(L, 1);
	if (!ok)
		luaL_error(L, "use table(NAME):method(...)");
}

static int tbl_put(lua_State *L)
{
	check_handle(L);
	luaL_checktype(L, 2, LUA_TTABLE);
	if (!lua_isnoneornil(L, 3))
		luaL_checktype(L, 3, LUA_TTABLE);
	lua_settop(L, 3);
	lua_createtable(L, 0, 3); /* 4 */
	lua_getfield(L, 1, "name");
	lua_setfield(L, 4, "table");
	set_arg(L, "item", 2);
	set_arg(L, "condition", 3);
	return host_call(L, "table.put", 4);
}

static int tbl_key_call(lua_State *L, const char *call)
{
	check_handle(L);
	luaL_checkany(L, 2);
	lua_settop(L, 3);
	lua_createtable(L, 0, 3); /* 4 */
	lua_getfield(L, 1, "name");
	lua_setfield(L, 4, "table");
	set_arg(L, "partitionKey", 2);
	set_arg(L, "sortKey", 3);
	return host_call(L, call, 4);
}

static int tbl_get(lua_State *L)
{
	return tbl_key_call(L, "table.get");
}

static int tbl_delete(lua_State *L)
{
	return tbl_key_call(L, "table.delete");
}

static int tbl_query(lua_State *L)
{
	check_handle(L);
	luaL_checktype(L, 2, LUA_TTABLE);
	lua_settop(L, 2);
	lua_createtable(L, 0, 6); /* 3: a copy of the query with the table's name */
	lua_pushnil(L);
	while (lua_next(L, 2)) {
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_settable(L, 3);
	}
	lua_getfield(L, 1, "name");
	lua_setfield(L, 3, "table");
	return host_call(L, "table.query", 3);
}

static int tbl_open(lua_State *L)
{
	/* __call(tablelib, name) */
	const char *name = luaL_checkstring(L, 2);
	lua_createtable(L, 0, 1);
	lua_pushstring(L, name);
	lua_setfield(L, -2, "name");
	luaL_setmetatable(L, "clickd.table");
	return 1;
}

/* load() for text chunks only: the mode argument is always "t". */
static int sb_load(lua_State *L)
{
	int n = lua_gettop(L);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushvalue(L, 1);
	if (n >= 2)
		lua_pushvalue(L, 2);
	else
		lua_pushnil(L);
	lua_pushliteral(L, "t");
	int nargs = 3;
	if (n >= 4) {
		lua_pushvalue(L, 4);
		nargs = 4;
	}
	lua_call(L, nargs, LUA_MULTRET);
	return lua_gettop(L) - n;
}

static void open_libs(lua_State *L)
{
	static const luaL_Reg libs[] = {
		{ LUA_GNAME, luaopen_base },
		{ LUA_TABLIBNAME, luaopen_table },
		{ LUA_STRLIBNAME, luaopen_string },
		{ LUA_MATHLIBNAME, luaopen_math },
		{ LUA_UTF8LIBNAME, luaopen_utf8 },
		{ LUA_COLIBNAME, luaopen_coroutine },
		{ NULL, NULL },
	};
	for (const luaL_Reg *l = libs; l->func; l++) {
		luaL_requiref(L, l->name, l->func, 1);
		lua_pop(L, 1);
	}
	static const char *const drop[] = { "dofile", "loadfile", "collectgarbage", NULL };
	for (int i = 0; drop[i]; i++) {
		lua_pushnil(L);
		lua_setglobal(L, drop[i]);
	}
	lua_getglobal(L, "string");
	lua_pushnil(L);
	lua_setfield(L, -2, "dump");
	lua_pop(L, 1);
	lua_getglobal(L, "load");
	lua_pushcclosure(L, sb_load, 1);
	lua_setglobal(L, "load");

	/* os: the clock functions only, copied from a library that is not kept. */
	luaL_requiref(L, "clickd.os", luaopen_os, 0);
	lua_createtable(L, 0, 4);
	static const char *const keep[] = { "time", "clock", "date", "difftime", NULL };
	for (int i = 0; keep[i]; i++) {
		lua_getfield(L, -2, keep[i]);
		lua_setfield(L, -2, keep[i]);
	}
	lua_setglobal(L, "os");
	lua_pop(L, 1);
	/* luaL_requiref recorded it in package.loaded (LOADED); forget it. */
	lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	lua_pushnil(L);
	lua_setfield(L, -2, "clickd.os");
	lua_pop(L, 1);
}

static void open_api(lua_State *L)
{
	lua_pushcfunction(L, api_log);
	lua_setglobal(L, "log");
	lua_pushcfunction(L, api_log);
	lua_setglobal(L, "print");
	lua_pushcfunction(L, api_notify);
	lua_setglobal(L, "notify");
	lua_pushcfunction(L, api_publish);
	lua_setglobal(L, "publish");

	static const luaL_Reg json[] = { { "encode", json_encode },
		                         { "decode", json_decode },
		                         { NULL, NULL } };
	luaL_newlib(L, json);
	lua_pushlightuserdata(L, (void *)&json_null_key);
	lua_setfield(L, -2, "null");
	lua_setglobal(L, "json");

	static const luaL_Reg wo[] = { { "create", api_workorder_create }, { NULL, NULL } };
	luaL_newlib(L, wo);
	lua_setglobal(L, "workorder");
	static const luaL_Reg queue[] = { { "send", api_queue_send }, { NULL, NULL } };
	luaL_newlib(L, queue);
	lua_setglobal(L, "queue");
	static const luaL_Reg http[] = { { "request", api_http_request }, { NULL, NULL } };
	luaL_newlib(L, http);
	lua_setglobal(L, "http");

	static const luaL_Reg methods[] = { { "put", tbl_put },
		                            { "get", tbl_get },
		                            { "delete", tbl_delete },
		                            { "query", tbl_query },
		                            { NULL, NULL } };
	luaL_newmetatable(L, "clickd.table");
	luaL_newlib(L, methods);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);
	/* table(name) while table.insert & co. keep working. */
	lua_getglobal(L, "table");
	lua_createtable(L, 0, 1);
	lua_pushcfunction(L, tbl_open);
	lua_setfield(L, -2, "__call");
	lua_setmetatable(L, -2);
	lua_pop(L, 1);
}

/* Protected part of a run: libraries, globals, chunk, handler. */
struct body {
	const char *name, *code;
	size_t code_len;
	const cJSON *event, *context;
	int status;
};

static int run_body(lua_State *L)
{
	struct body *b = lua_touserdata(L, 1);
	open_libs(L);
	open_api(L);
	push_json(L, b->event, 0);
	lua_setglobal(L, "event");
	push_json(L, b->context, 0);
	lua_setglobal(L, "context");
	char chunkname[160];
	snprintf(chunkname, sizeof(chunkname), "=%s", b->name);
	if (luaL_loadbufferx(L, b->code, b->code_len, chunkname, "t") != LUA_OK)
		return lua_error(L);
	lua_call(L, 0, 1);
	if (lua_getglobal(L, "handler") == LUA_TFUNCTION) {
		lua_getglobal(L, "event");
		lua_getglobal(L, "context");
		lua_call(L, 2, 1);
	} else {
		lua_pop(L, 1);
	}
	return 1;
}

int ck_sandbox_run(const char *name, const char *code, size_t code_len, const cJSON *event,
                   const cJSON *context, const struct ck_sandbox_limits *lim,
                   const struct ck_sandbox_host *host, struct ck_sandbox_outcome *out)
{
	memset(out, 0, sizeof(*out));
	struct run r = {
		.cap = lim->memory_bytes,
		.max_instructions = lim->instructions,
		.deadline_ns = mono_ns() + lim->wall_ms * 1000000,
		.host = host,
	};
	lua_State *L = lua_newstate(sb_alloc, &r);
	if (!L)
		return -ENOMEM;
	*(struct run **)lua_getextraspace(L) = &r;
	lua_sethook(L, sb_hook, LUA_MASKCOUNT, HOOK_EVERY);

	struct body b = {
		.name = name, .code = code, .code_len = code_len, .event = event, .context = context
	};
	lua_pushcfunction(L, run_body);
	lua_pushlightuserdata(L, &b);
	int rc = lua_pcall(L, 1, 1, 0);
	if (rc == LUA_OK && !r.stop) {
		char err[160] = "";
		/* Nothing below raises: to_json() only reads the state. */
		/* Conversion runs unhooked: it is bounded by the memory already held. */
		lua_sethook(L, NULL, 0, 0);
		out->result = to_json(L, -1, 0, err, sizeof(err));
		if (out->result) {
			out->status = CK_SANDBOX_OK;
		} else {
			out->status = CK_SANDBOX_ERROR;
			snprintf(out->error, sizeof(out->error), "the result is not JSON: %s", err);
		}
	} else {
		const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
		if (r.stop == STOP_INSTRUCTIONS) {
			out->status = CK_SANDBOX_INSTRUCTIONS;
			snprintf(out->error, sizeof(out->error),
			         "instruction limit of %llu exceeded",
			         (unsigned long long)lim->instructions);
		} else if (r.stop == STOP_TIMEOUT) {
			out->status = CK_SANDBOX_TIMEOUT;
			snprintf(out->error, sizeof(out->error), "time limit of %lld ms exceeded",
			         (long long)lim->wall_ms);
		} else if (rc == LUA_ERRMEM) {
			out->status = CK_SANDBOX_MEMORY;
			snprintf(out->error, sizeof(out->error),
			         "memory limit of %zu bytes exceeded", lim->memory_bytes);
		} else {
			out->status = CK_SANDBOX_ERROR;
			snprintf(out->error, sizeof(out->error), "%s",
			         msg ? msg : "error object is not a string");
		}
	}
	out->instructions = r.instructions;
	out->peak_bytes = r.peak;
	lua_close(L);
	drop_pending(&r);
	return 0;
}
