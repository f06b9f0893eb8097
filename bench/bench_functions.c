/*
 * Overhead of one function run, as clickd's courier pays it: a Lua
 * function (fresh sandboxed state, the event converted in, the result
 * converted out, the run recorded in the store) and an exec function
 * (fork, execve of /bin/cat with the event on stdin, result JSON from
 * stdout, the run recorded). Prints median and 99th percentile per run.
 * Usage: bench_functions [runs] (default 2000 Lua, a tenth as many exec).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "functions/function.h"
#include "functions/sandbox.h"
#include "store/store.h"

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static void report(const char *what, int64_t *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp);
	printf("%-44s runs %5d  median %7.1f us  p99 %7.1f us\n", what, n, (double)t[n / 2],
	       (double)t[n * 99 / 100]);
}

static const char EVENT[] = "{\"serialNumber\":\"G030PM0123456789\",\"batteryVoltage\":\"1650mV\","
                            "\"clickType\":\"SINGLE\",\"seq\":7,\"pressedAt\":1700000000000}";

static void bench(struct ck_store *s, const char *label, const char *def_text, int n)
{
	char err[256];
	cJSON *def = cJSON_Parse(def_text);
	struct ck_function *f = NULL;
	if (ck_function_parse("bench", def, &f, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_functions: %s\n", err);
		exit(1);
	}
	int64_t *t = calloc((size_t)n, sizeof(*t));
	for (int i = 0; i < n; i++) {
		char rid[64];
		snprintf(rid, sizeof(rid), "bench/%d", i);
		struct ck_function_invocation inv = { .request_id = rid,
			                              .trigger = "bench",
			                              .attempt = 1,
			                              .event = EVENT,
			                              .event_len = sizeof(EVENT) - 1,
			                              .now_ms = 1 };
		struct ck_function_outcome o;
		int64_t t0 = mono_us();
		if (ck_function_invoke(s, f, &inv, &o) != 0 || strcmp(o.status, "ok") != 0) {
			fprintf(stderr, "bench_functions: run failed: %s\n", o.error);
			exit(1);
		}
		t[i] = mono_us() - t0;
		ck_function_outcome_cleanup(&o);
	}
	report(label, t, n);
	free(t);
	ck_function_free(f);
	cJSON_Delete(def);
}

/* The sandbox alone, without the store: state creation to result. */
static void bench_sandbox(int n)
{
	const char *code = "return {click = event.clickType, serial = event.serialNumber}";
	cJSON *event = cJSON_Parse(EVENT);
	struct ck_sandbox_limits lim = { 64 << 20, 100000000, 3000 };
	int64_t *t = calloc((size_t)n, sizeof(*t));
	for (int i = 0; i < n; i++) {
		struct ck_sandbox_outcome o;
		int64_t t0 = mono_us();
		ck_sandbox_run("bench", code, strlen(code), event, NULL, &lim, NULL, &o);
		t[i] = mono_us() - t0;
		cJSON_Delete(o.result);
	}
	report("lua sandbox only (no store)", t, n);
	free(t);
	cJSON_Delete(event);
}

int main(int argc, char **argv)
{
	int n = 2000;
	if (argc > 1) {
		char *end = NULL;
		long v = strtol(argv[1], &end, 10);
		if (*end || v < 10 || v > 1000000) {
			fprintf(stderr, "usage: bench_functions [runs, 10 to 1000000]\n");
			return 2;
		}
		n = (int)v;
	}
	signal(SIGPIPE, SIG_IGN);
	char dir[] = "/tmp/bench_functions_XXXXXX", path[64], err[256];
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/clickd.db", dir);
	struct ck_store *s = NULL;
	if (ck_store_open_sqlite(path, &s, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_functions: %s\n", err);
		return 1;
	}
	bench_sandbox(n);
	bench(s, "lua function run (sandbox + run recorded)",
	      "{\"runtime\":\"lua\",\"code\":\"return {click = event.clickType}\"}", n);
	bench(s, "lua run with log() and a table result",
	      "{\"runtime\":\"lua\",\"code\":\"function handler(e) log('press', e.clickType) "
	      "local t = {} for i = 1, 10 do t[i] = e.seq + i end return t end\"}",
	      n);
	bench(s, "exec run: /bin/cat (fork, exec, pipes, record)",
	      "{\"runtime\":\"exec\",\"command\":[\"/bin/cat\"]}", n / 10 > 10 ? n / 10 : 10);
	ck_store_close(s);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	return system(path) == 0 ? 0 : 1;
}
