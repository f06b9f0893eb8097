/*
 * Functions: the Lua sandbox refuses escapes (os.execute, io.open,
 * require, debug, bytecode, memory bombs, infinite loops, pcall around a
 * limit), policies decide calls, and a function run against a real store
 * performs allowed calls and records denied ones in its log. Exec
 * functions: result on stdout, timeout kills the process group, limits.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ck_test.h"
#include "functions/fexec.h"
#include "functions/fpolicy.h"
#include "functions/function.h"
#include "functions/sandbox.h"
#include "store/store_functions.h"

static const struct ck_sandbox_limits LIM = { .memory_bytes = 4 * 1024 * 1024,
	                                      .instructions = 5000000,
	                                      .wall_ms = 2000 };

static struct ck_sandbox_outcome run(const char *code)
{
	struct ck_sandbox_outcome o;
	cJSON *event = cJSON_Parse("{\"clickType\":\"SINGLE\",\"serialNumber\":\"G030\"}");
	int rc = ck_sandbox_run("t", code, strlen(code), event, NULL, &LIM, NULL, &o);
	CK_CHECK_INT(rc, ==, 0);
	cJSON_Delete(event);
	return o;
}

static void expect(const char *code, enum ck_sandbox_status status, const char *needle)
{
	struct ck_sandbox_outcome o = run(code);
	if (o.status != status || (needle && !strstr(o.error, needle)))
		fprintf(stderr, "code: %s\n  status %s, error: %s\n", code,
		        ck_sandbox_status_name(o.status), o.error);
	CK_CHECK_INT(o.status, ==, status);
	if (needle)
		CK_CHECK(strstr(o.error, needle) != NULL);
	cJSON_Delete(o.result);
}

static void test_sandbox(void)
{
	struct ck_sandbox_outcome o =
	    run("return {click = event.clickType, n = #event.serialNumber}");
	CK_CHECK_INT(o.status, ==, CK_SANDBOX_OK);
	/* Lua's table order is not fixed: check the members, not the text. */
	const cJSON *click = cJSON_GetObjectItemCaseSensitive(o.result, "click");
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(o.result, "n");
	CK_CHECK_STR(cJSON_IsString(click) ? click->valuestring : NULL, "SINGLE");
	CK_CHECK_INT(cJSON_IsNumber(n) ? n->valueint : -1, ==, 4);
	CK_CHECK_INT(cJSON_GetArraySize(o.result), ==, 2);
	cJSON_Delete(o.result);

	o = run("function handler(e, ctx) return table.concat({e.clickType, 'x'}, '-') end");
	CK_CHECK_STR(o.result ? o.result->valuestring : NULL, "SINGLE-x");
	cJSON_Delete(o.result);

	/* Escapes. */
	expect("os.execute('touch /tmp/ck_pwned')", CK_SANDBOX_ERROR, "execute");
	expect("io.open('/etc/passwd')", CK_SANDBOX_ERROR, "io");
	expect("require('os')", CK_SANDBOX_ERROR, "require");
	expect("return package.loaded", CK_SANDBOX_ERROR, "package");
	expect("debug.sethook()", CK_SANDBOX_ERROR, "debug");
	expect("return dofile('/etc/passwd')", CK_SANDBOX_ERROR, "dofile");
	expect("return loadfile('/etc/passwd')", CK_SANDBOX_ERROR, "loadfile");
	expect("return os.getenv('HOME')", CK_SANDBOX_ERROR, "getenv");
	expect("return os.remove('/tmp/x')", CK_SANDBOX_ERROR, "remove");
	expect("return string.dump(function() end)", CK_SANDBOX_ERROR, "dump");
	expect("return collectgarbage('count')", CK_SANDBOX_ERROR, "collectgarbage");
	/* Bytecode: a precompiled chunk header is refused by load, whatever the mode asked. */
	expect("local f, err = load('\\27Lua\\84\\0', 'x', 'b') assert(f, err)", CK_SANDBOX_ERROR,
	       "binary");
	expect("local f, err = load('\\27Lua\\84\\0') assert(f, err)", CK_SANDBOX_ERROR, "binary");
	/* Text chunks still load, with the sandbox's globals. */
	o = run("return load('return 1 + 2')()");
	CK_CHECK_INT(o.result ? o.result->valueint : -1, ==, 3);
	cJSON_Delete(o.result);
	o = run("local f = load('return io') return f() == nil");
	CK_CHECK(cJSON_IsTrue(o.result));
	cJSON_Delete(o.result);

	/* Memory bombs. */
	expect("local t = {} for i = 1, 1e8 do t[i] = i end", CK_SANDBOX_MEMORY, "memory");
	expect("return string.rep('x', 1 << 30)", CK_SANDBOX_MEMORY, "memory");
	expect("local s = 'x' while true do s = s .. s end", CK_SANDBOX_MEMORY, "memory");
	/* Infinite loops, also under pcall and in a coroutine. */
	expect("while true do end", CK_SANDBOX_INSTRUCTIONS, "instruction");
	expect("while true do pcall(function() while true do end end) end", CK_SANDBOX_INSTRUCTIONS,
	       "instruction");
	expect("coroutine.wrap(function() while true do end end)()", CK_SANDBOX_INSTRUCTIONS,
	       "instruction");
	/* Wall time: a loop of cheap instructions with a huge instruction cap. */
	struct ck_sandbox_limits slow = { 4 << 20, UINT64_MAX, 100 };
	struct ck_sandbox_outcome so;
	const char *loop = "while true do end";
	ck_sandbox_run("t", loop, strlen(loop), NULL, NULL, &slow, NULL, &so);
	CK_CHECK_INT(so.status, ==, CK_SANDBOX_TIMEOUT);
	/* Syntax errors name the line. */
	expect("return (", CK_SANDBOX_ERROR, "t:1:");
	expect("return function() end", CK_SANDBOX_ERROR, "not JSON");
	expect("json.encode({1, 2}) publish('a', 'b')", CK_SANDBOX_ERROR, NULL);
}

static void test_policy(void)
{
	char err[256];
	struct ck_fpolicy *p = NULL;
	cJSON *doc = cJSON_Parse("{\"allow\":[\"publish:alerts/*\",\"table.*:inv\","
	                         "\"workorder.create\"],\"deny\":[\"publish:alerts/secret\"]}");
	CK_CHECK_INT(ck_fpolicy_parse(doc, &p, err, sizeof(err)), ==, 0);
	CK_CHECK(ck_fpolicy_allows(p, "publish", "alerts/dock-1"));
	CK_CHECK(!ck_fpolicy_allows(p, "publish", "alerts/secret"));
	CK_CHECK(!ck_fpolicy_allows(p, "publish", "other"));
	CK_CHECK(ck_fpolicy_allows(p, "table.get", "inv"));
	CK_CHECK(!ck_fpolicy_allows(p, "table.get", "inventory"));
	CK_CHECK(ck_fpolicy_allows(p, "workorder.create", "anything"));
	CK_CHECK(!ck_fpolicy_allows(p, "notify", "ops"));
	CK_CHECK(!ck_fpolicy_allows(NULL, "notify", "ops"));
	ck_fpolicy_free(p);
	cJSON_Delete(doc);
	doc = cJSON_Parse("{\"allow\":[\"queue.sned:x\"]}");
	CK_CHECK_INT(ck_fpolicy_parse(doc, &p, err, sizeof(err)), ==, -EINVAL);
	CK_CHECK(strstr(err, "queue.sned") != NULL);
	cJSON_Delete(doc);
	doc = cJSON_Parse("{\"allow\":\"publish\"}");
	CK_CHECK_INT(ck_fpolicy_parse(doc, &p, err, sizeof(err)), ==, -EINVAL);
	cJSON_Delete(doc);
}

/* A Lua function run against a real store: the policy decides each call. */
static void test_invoke(void)
{
	char path[] = "/tmp/ck_test_functions_XXXXXX", db[64], err[256];
	CK_CHECK(mkdtemp(path) != NULL);
	snprintf(db, sizeof(db), "%s/clickd.db", path);
	struct ck_store *s = NULL;
	CK_CHECK_INT(ck_store_open_sqlite(db, &s, err, sizeof(err)), ==, 0);
	cJSON *def = cJSON_Parse("{\"runtime\":\"lua\",\"policy\":{\"allow\":[\"publish:alerts/*\","
	                         "\"workorder.create:pickup\"]},\"code\":\""
	                         "log('hello', event.clickType) "
	                         "local w = workorder.create{kind = 'pickup'} "
	                         "publish('alerts/' .. event.thing, {id = w.id}) "
	                         "local ok, e = pcall(publish, 'secret/x', 'y') "
	                         "log('denied:', not ok) "
	                         "return {order = w.id} \"}");
	struct ck_function *f = NULL;
	CK_CHECK_INT(ck_function_parse("fn-1", def, &f, err, sizeof(err)), ==, 0);
	struct ck_function_invocation inv = {
		.request_id = "req-1",
		.trigger = "api",
		.attempt = 1,
		.thing = "dock-1",
		.event = "{\"clickType\":\"SINGLE\",\"thing\":\"dock-1\"}",
		.now_ms = 1000,
	};
	inv.event_len = strlen(inv.event);
	struct ck_function_outcome o;
	CK_CHECK_INT(ck_function_invoke(s, f, &inv, &o), ==, 0);
	CK_CHECK_STR(o.status, "ok");
	CK_CHECK_INT(o.calls, ==, 3);
	CK_CHECK_INT(o.denied, ==, 1);
	ck_function_outcome_cleanup(&o);
	cJSON *items = cJSON_CreateArray();
	int64_t next = 0;
	struct ck_list_query q = { .limit = 10 };
	CK_CHECK_INT(ck_store_function_runs(s, "fn-1", &q, items, &next), ==, 0);
	const cJSON *log = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(items, 0), "log");
	CK_CHECK(cJSON_IsString(log) && strstr(log->valuestring, "hello SINGLE"));
	CK_CHECK(cJSON_IsString(log) && strstr(log->valuestring, "DENIED publish on \"secret/x\""));
	cJSON_Delete(items);

	/* An unhandled denial fails the run with the policy named in the error. */
	cJSON_ReplaceItemInObject(def, "code", cJSON_CreateString("notify('ops', 'hi')"));
	ck_function_free(f);
	CK_CHECK_INT(ck_function_parse("fn-2", def, &f, err, sizeof(err)), ==, 0);
	inv.request_id = "req-2";
	CK_CHECK_INT(ck_function_invoke(s, f, &inv, &o), ==, 0);
	CK_CHECK_STR(o.status, "error");
	CK_CHECK(strstr(o.error, "policy of function fn-2 does not allow notify") != NULL);
	ck_function_outcome_cleanup(&o);
	ck_function_free(f);
	cJSON_Delete(def);
	ck_store_close(s);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", path);
	CK_CHECK_INT(system(cmd), ==, 0);
}

static void test_exec(void)
{
	char err[256];
	const char *echo[] = { "/bin/sh", "-c", "cat; echo '{\"ok\":true}' >&2; echo \" $X\" >&2",
		               NULL };
	const char *env[] = { "X=42", NULL };
	struct ck_fexec_spec spec = { .argv = echo,
		                      .envp = env,
		                      .input = (const uint8_t *)"[1]",
		                      .input_len = 3,
		                      .timeout_ms = 5000,
		                      .memory_bytes = 256 << 20,
		                      .output_max = 1 << 20,
		                      .log_max = 4096 };
	struct ck_fexec_result r;
	CK_CHECK_INT(ck_fexec_run(&spec, &r, err, sizeof(err)), ==, 0);
	CK_CHECK_INT(r.exit_code, ==, 0);
	CK_CHECK_STR(r.output, "[1]");
	CK_CHECK(strstr(r.log, "42") != NULL);
	ck_fexec_result_cleanup(&r);

	/* A timeout kills the program and what it started. */
	const char *sleeper[] = { "/bin/sh", "-c", "sleep 30 & sleep 30", NULL };
	spec.argv = sleeper;
	spec.timeout_ms = 200;
	CK_CHECK_INT(ck_fexec_run(&spec, &r, err, sizeof(err)), ==, 0);
	CK_CHECK(r.timed_out);
	CK_CHECK_INT(r.signal, ==, SIGKILL);
	CK_CHECK(r.duration_us < 5000000);
	ck_fexec_result_cleanup(&r);

	/* A missing program and a relative path are errors before anything runs. */
	const char *missing[] = { "/nonexistent/program", NULL };
	spec.argv = missing;
	CK_CHECK_INT(ck_fexec_run(&spec, &r, err, sizeof(err)), ==, -ENOENT);
	ck_fexec_result_cleanup(&r);
	const char *relative[] = { "sh", NULL };
	spec.argv = relative;
	CK_CHECK_INT(ck_fexec_run(&spec, &r, err, sizeof(err)), ==, -EINVAL);
	ck_fexec_result_cleanup(&r);

	/* The address-space limit holds: a 64 MiB allocation fails under 32 MiB. */
	const char *big[] = { "/usr/bin/python3", "-c", "x = bytearray(64 << 20)", NULL };
	spec.argv = big;
	spec.timeout_ms = 5000;
	spec.memory_bytes = 32 << 20;
	CK_CHECK_INT(ck_fexec_run(&spec, &r, err, sizeof(err)), ==, 0);
	CK_CHECK(r.exit_code != 0);
	ck_fexec_result_cleanup(&r);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_sandbox();
	test_policy();
	test_invoke();
	test_exec();
	return ck_test_main("test_functions");
}
