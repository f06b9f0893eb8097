/*
 * Calls: the lifecycle table, kind templates and validation, click
 * mapping, feedback messages, the role table, static path mapping, and
 * on a real store: presses joining a call, and concurrent claims from
 * separate connections of which exactly one wins.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ck_test.h"
#include "engine/calls.h"
#include "engine/dispatch.h"
#include "http/auth.h"
#include "http/web.h"
#include "store/store_calls.h"

static void test_lifecycle(void)
{
	/* expected[from][op]: the new status, or -1 when refused */
	static const int expected[CK_CALL_N_STATUS][5] = {
		/* claim, arrive, resolve, release, cancel */
		[CK_CALL_RAISED] = { CK_CALL_CLAIMED, -1, -1, -1, CK_CALL_CANCELLED },
		[CK_CALL_CLAIMED] = { -1, CK_CALL_ARRIVED, CK_CALL_RESOLVED, CK_CALL_RAISED,
		                      CK_CALL_CANCELLED },
		[CK_CALL_ARRIVED] = { -1, -1, CK_CALL_RESOLVED, CK_CALL_RAISED, CK_CALL_CANCELLED },
		[CK_CALL_RESOLVED] = { -1, -1, -1, -1, -1 },
		[CK_CALL_CANCELLED] = { -1, -1, -1, -1, -1 },
	};
	for (int from = 0; from < CK_CALL_N_STATUS; from++) {
		for (int op = 0; op < 5; op++) {
			enum ck_call_status to = CK_CALL_N_STATUS;
			int rc = ck_calls_transition((enum ck_call_status)from, (enum ck_call_op)op,
			                             &to);
			if (expected[from][op] < 0) {
				CK_CHECK_INT(rc, ==, -EPERM);
			} else {
				CK_CHECK_INT(rc, ==, 0);
				CK_CHECK_INT(to, ==, expected[from][op]);
			}
		}
	}
	enum ck_call_status st;
	CK_CHECK_INT(ck_calls_status_parse("arrived", &st), ==, 0);
	CK_CHECK_INT(st, ==, CK_CALL_ARRIVED);
	CK_CHECK_INT(ck_calls_status_parse("open", &st), ==, -EINVAL);
	CK_CHECK(ck_calls_is_open(CK_CALL_CLAIMED));
	CK_CHECK(!ck_calls_is_open(CK_CALL_RESOLVED));
}

static cJSON *build(const char *json, char *why, size_t why_len)
{
	cJSON *body = cJSON_Parse(json), *kind = NULL;
	why[0] = '\0';
	ck_calls_kind_build("k", body, &kind, why, why_len);
	cJSON_Delete(body);
	return kind;
}

static void test_kinds(void)
{
	char why[256];
	struct ck_call_click c;
	cJSON *k = build("{\"template\":\"pallet-pickup\"}", why, sizeof(why));
	CK_CHECK(k != NULL);
	ck_calls_click(k, "SINGLE", &c);
	CK_CHECK_INT(c.action, ==, CK_CLICK_RAISE);
	CK_CHECK_STR(c.priority, "normal");
	ck_calls_click(k, "DOUBLE", &c);
	CK_CHECK_INT(c.action, ==, CK_CLICK_CANCEL);
	ck_calls_click(k, "LONG", &c);
	CK_CHECK_STR(c.priority, "urgent");
	ck_calls_click(k, "TRIPLE", &c);
	CK_CHECK_INT(c.action, ==, CK_CLICK_NOTHING);
	ck_calls_click(k, NULL, &c);
	CK_CHECK_INT(c.action, ==, CK_CLICK_NOTHING);
	cJSON_Delete(k);

	k = build("{\"template\":\"andon\",\"feedback\":false}", why, sizeof(why));
	ck_calls_click(k, "LONG", &c);
	CK_CHECK_STR(c.category, "stop");
	CK_CHECK_STR(c.priority, "urgent");
	ck_calls_click(k, "DOUBLE", &c);
	CK_CHECK_STR(c.category, "tooling");
	CK_CHECK(cJSON_IsFalse(cJSON_GetObjectItem(k, "feedback")));
	cJSON_Delete(k);

	k = build(
	    "{\"template\":\"patient-call\",\"escalations\":{\"unclaimed\":{\"afterSeconds\":"
	    "60,\"repeatSeconds\":30,\"notify\":{\"type\":\"webhook\",\"url\":\"http://x/\"}}}}",
	    why, sizeof(why));
	CK_CHECK(k != NULL);
	struct ck_call_escalation e;
	ck_calls_escalation(k, "unclaimed", &e);
	CK_CHECK(e.set);
	CK_CHECK_INT(e.after_s, ==, 60);
	CK_CHECK_INT(e.repeat_s, ==, 30);
	ck_calls_escalation(k, "unresolved", &e);
	CK_CHECK(!e.set);
	cJSON_Delete(k);

	static const char *const bad[] = {
		"{}",
		"{\"template\":\"nope\"}",
		"{\"clicks\":{\"SINGLE\":{\"action\":\"explode\"}}}",
		"{\"clicks\":{\"QUAD\":{\"action\":\"raise\"}}}",
		"{\"clicks\":{\"SINGLE\":{\"action\":\"raise\",\"priority\":\"asap\"}}}",
		"{\"template\":\"andon\",\"escalations\":{\"late\":{}}}",
		"{\"template\":\"andon\",\"escalations\":{\"unclaimed\":{\"afterSeconds\":0,"
		"\"notify\":{\"type\":\"webhook\",\"url\":\"http://x/\"}}}}",
		"{\"template\":\"andon\",\"escalations\":{\"unclaimed\":{\"afterSeconds\":5,"
		"\"notify\":{\"type\":\"workorder\"}}}}",
		"{\"template\":\"andon\",\"escalations\":{\"unclaimed\":{\"afterSeconds\":5,"
		"\"notify\":{\"type\":\"webhook\",\"url\":\"ftp://x/\"}}}}",
		"{\"template\":\"andon\",\"feedback\":\"yes\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		k = build(bad[i], why, sizeof(why));
		CK_CHECK(k == NULL);
		CK_CHECK(why[0] != '\0');
		cJSON_Delete(k);
	}
	cJSON *t = ck_calls_templates();
	CK_CHECK_INT(cJSON_GetArraySize(t), ==, 4);
	cJSON_Delete(t);
}

static void test_feedback(void)
{
	char *f = ck_calls_feedback(CK_CALL_RAISED, 12, 3, NULL);
	CK_CHECK_STR(f, "{\"led\":\"blink\",\"color\":\"yellow\",\"state\":\"raised\",\"call\":12,"
	                "\"presses\":3}");
	cJSON_free(f);
	f = ck_calls_feedback(CK_CALL_CLAIMED, 12, 3, "ann");
	CK_CHECK(strstr(f, "\"led\":\"on\"") && strstr(f, "\"by\":\"ann\""));
	cJSON_free(f);
	f = ck_calls_feedback(CK_CALL_RESOLVED, 12, 3, NULL);
	CK_CHECK(strstr(f, "\"led\":\"off\"") && strstr(f, "\"color\":\"green\""));
	cJSON_free(f);
}

static void test_roles(void)
{
	CK_CHECK(ck_auth_allowed("driver", "GET", "/calls"));
	CK_CHECK(ck_auth_allowed("driver", "POST", "/calls/12/claim"));
	CK_CHECK(ck_auth_allowed("driver", "GET", "/stream"));
	CK_CHECK(!ck_auth_allowed("driver", "POST", "/calls/12/cancel"));
	CK_CHECK(!ck_auth_allowed("driver", "POST", "/calls/x/claim"));
	CK_CHECK(!ck_auth_allowed("driver", "POST", "/calls/12/claim/x"));
	CK_CHECK(!ck_auth_allowed("driver", "GET", "/rules"));
	CK_CHECK(!ck_auth_allowed("driver", "GET", "/callsx"));
	CK_CHECK(!ck_auth_allowed("driver", "POST", "/kinds"));
	CK_CHECK(ck_auth_allowed("supervisor", "GET", "/rules"));
	CK_CHECK(ck_auth_allowed("supervisor", "POST", "/calls/12/cancel"));
	CK_CHECK(!ck_auth_allowed("supervisor", "GET", "/users"));
	CK_CHECK(!ck_auth_allowed("supervisor", "DELETE", "/rules/x"));
	CK_CHECK(ck_auth_allowed("admin", "DELETE", "/users/x"));
	CK_CHECK(!ck_auth_allowed("king", "GET", "/calls"));
	CK_CHECK(!ck_auth_allowed(NULL, "GET", "/calls"));
	CK_CHECK(ck_auth_public("POST", "/auth/login"));
	CK_CHECK(!ck_auth_public("GET", "/auth/login"));
}

static void test_web_map(void)
{
	char rel[256];
	CK_CHECK_INT(ck_web_map("/", rel, sizeof(rel)), ==, 0);
	CK_CHECK_STR(rel, "index.html");
	CK_CHECK_INT(ck_web_map("/app/js/app.js", rel, sizeof(rel)), ==, 0);
	CK_CHECK_STR(rel, "js/app.js");
	CK_CHECK_INT(ck_web_map("/app/js/", rel, sizeof(rel)), ==, 0);
	CK_CHECK_STR(rel, "js/index.html");
	static const char *const bad[] = { "/app/../x", "/app/.env",         "/app/a/../../x",
		                           "/app//x",   "/app/a b",          "/app/a\\b",
		                           "/x",        "/app/a/.git/config" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CK_CHECK_INT(ck_web_map(bad[i], rel, sizeof(rel)), ==, -ENOENT);
	CK_CHECK_STR(ck_web_type("a/b.css"), "text/css; charset=utf-8");
	CK_CHECK_STR(ck_web_type("a.d/b"), "application/octet-stream");
}

/* --- on a real store ----------------------------------------------------- */

struct claimer {
	const char *path;
	int64_t id;
	char user[16];
	int rc;
	pthread_barrier_t *barrier;
};

static void *claim(void *arg)
{
	struct claimer *c = arg;
	struct ck_store *s = NULL;
	char err[256], why[200];
	c->rc = ck_store_open_sqlite(c->path, &s, err, sizeof(err));
	pthread_barrier_wait(c->barrier);
	if (c->rc == 0) {
		struct ck_dispatch_actor a = { .user = c->user };
		c->rc = ck_dispatch_op(s, c->id, CK_CALL_CLAIM, &a, 1000, why, sizeof(why));
	}
	ck_store_close(s);
	return NULL;
}

static void test_store(void)
{
	char dir[] = "/tmp/ck-test-calls-XXXXXX", path[300], err[256], why[256];
	struct ck_store *s = NULL;
	if (!mkdtemp(dir))
		return;
	snprintf(path, sizeof(path), "%s/clickd.db", dir);
	CK_CHECK_INT(ck_store_open_sqlite(path, &s, err, sizeof(err)), ==, 0);
	if (!s)
		return;
	cJSON *kind = build("{\"template\":\"pallet-pickup\"}", why, sizeof(why));
	int64_t id = 0, id2 = 0;
	bool created = false;
	struct ck_dispatch_press p = { .kind = "k",
		                       .thing = "dock-1",
		                       .click_type = "SINGLE",
		                       .location = "Dock 1",
		                       .rule = "r",
		                       .event_seq = 1,
		                       .pressed_ms = 1,
		                       .now_ms = 1 };
	CK_CHECK_INT(ck_dispatch_press(s, kind, &p, &id, &created), ==, 0);
	CK_CHECK(created);
	p.thing = "dock-1b"; /* another button at the same place joins */
	p.click_type = "LONG";
	CK_CHECK_INT(ck_dispatch_press(s, kind, &p, &id2, &created), ==, 0);
	CK_CHECK(!created);
	CK_CHECK_INT(id2, ==, id);
	struct ck_call_row row;
	CK_CHECK_INT(ck_store_call_read(s, id, &row), ==, 0);
	CK_CHECK_INT(row.presses, ==, 2);
	CK_CHECK_STR(row.priority, "urgent");

	enum { N = 8 };
	pthread_t t[N];
	struct claimer c[N];
	pthread_barrier_t barrier;
	pthread_barrier_init(&barrier, NULL, N);
	for (int i = 0; i < N; i++) {
		c[i] = (struct claimer){ .path = path, .id = id, .barrier = &barrier };
		snprintf(c[i].user, sizeof(c[i].user), "d%d", i);
		pthread_create(&t[i], NULL, claim, &c[i]);
	}
	int won = 0, lost = 0;
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		won += c[i].rc == 0;
		lost += c[i].rc == -EPERM;
	}
	pthread_barrier_destroy(&barrier);
	CK_CHECK_INT(won, ==, 1);
	CK_CHECK_INT(lost, ==, N - 1);

	p.click_type = "DOUBLE"; /* cancel at the button */
	CK_CHECK_INT(ck_dispatch_press(s, kind, &p, &id2, &created), ==, 0);
	CK_CHECK_INT(ck_store_call_read(s, id, &row), ==, 0);
	CK_CHECK_STR(row.status, "cancelled");
	cJSON_Delete(kind);
	ck_store_close(s);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

int main(void)
{
	test_lifecycle();
	test_kinds();
	test_feedback();
	test_roles();
	test_web_map();
	test_store();
	return ck_test_main("test_calls");
}
