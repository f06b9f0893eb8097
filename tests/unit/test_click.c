/*
 * Unit tests for the click detector with a simulated clock: a table of
 * raw input sequences (bounce, glitches, the edges of the double-click
 * window, long-press thresholds, HOLD/RELEASE, TRIPLE, immediate-single
 * mode) with the exact events expected, the deadline the detector asks
 * for, timing validation, and random sequences checked against a
 * reference model that simulates the contact millisecond by millisecond
 * and classifies the debounced edges offline.
 */
#include "device/click.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ck_test.h"

#define S CK_GESTURE_SINGLE
#define D CK_GESTURE_DOUBLE
#define L CK_GESTURE_LONG
#define T CK_GESTURE_TRIPLE
#define H CK_GESTURE_HOLD
#define R CK_GESTURE_RELEASE

#define AWS  CK_CLICK_GESTURES_DEFAULT
#define IMM  CK_CLICK_G_LONG
#define ALL  CK_CLICK_G_ALL
#define NONE 0u

struct in {
	int64_t t;
	int level;
};

struct want {
	enum ck_click_gesture g;
	int64_t at, pressed, duration;
	int count;
};

struct tcase {
	const char *name;
	int32_t debounce;
	uint32_t gestures;
	struct in in[24];
	int64_t end;
	struct want want[8];
};

/* Defaults unless said: double 400, long 1500, hold 500. */
static const struct tcase cases[] = {
	{ "single waits for the window when DOUBLE is on",
	  30,
	  AWS,
	  { { 0, 1 }, { 100, 0 } },
	  3000,
	  { { S, 501, 0, 100, 1 } } },
	{ "immediate single: reported on release (after debounce)",
	  30,
	  IMM,
	  { { 0, 1 }, { 100, 0 } },
	  3000,
	  { { S, 130, 0, 100, 1 } } },
	{ "immediate single with no debounce: reported at the release",
	  0,
	  IMM,
	  { { 0, 1 }, { 100, 0 } },
	  3000,
	  { { S, 100, 0, 100, 1 } } },
	{ "immediate single, even with LONG off",
	  0,
	  NONE,
	  { { 0, 1 }, { 5000, 0 } },
	  9000,
	  { { S, 5000, 0, 5000, 1 } } },
	{ "bounce on press and release is one click dated by the first contact",
	  30,
	  IMM,
	  { { 0, 1 }, { 3, 0 }, { 5, 1 }, { 8, 0 }, { 10, 1 }, { 200, 0 }, { 205, 1 }, { 207, 0 } },
	  3000,
	  { { S, 237, 0, 200, 1 } } },
	{ "a glitch shorter than the debounce time is nothing",
	  30,
	  AWS,
	  { { 50, 1 }, { 60, 0 }, { 70, 1 }, { 79, 0 } },
	  3000,
	  { { 0 } } },
	{ "a press exactly as long as the debounce time counts",
	  30,
	  IMM,
	  { { 50, 1 }, { 80, 0 } },
	  3000,
	  { { S, 110, 50, 30, 1 } } },
	{ "a press one ms shorter than the debounce time does not",
	  30,
	  IMM,
	  { { 50, 1 }, { 79, 0 } },
	  3000,
	  { { 0 } } },
	{ "double: second press exactly double_ms after the release",
	  30,
	  AWS,
	  { { 0, 1 }, { 100, 0 }, { 500, 1 }, { 600, 0 } },
	  3000,
	  { { D, 630, 0, 600, 2 } } },
	{ "two singles: second press one ms after the window",
	  30,
	  AWS,
	  { { 0, 1 }, { 100, 0 }, { 501, 1 }, { 601, 0 } },
	  3000,
	  { { S, 501, 0, 100, 1 }, { S, 1002, 501, 100, 1 } } },
	{ "a press bouncing across the end of the window is still a double",
	  30,
	  AWS,
	  { { 0, 1 }, { 100, 0 }, { 500, 1 }, { 502, 0 }, { 504, 1 }, { 600, 0 } },
	  3000,
	  { { D, 630, 0, 600, 2 } } },
	{ "a glitch across the end of the window delays the single, changes nothing",
	  30,
	  AWS,
	  { { 0, 1 }, { 100, 0 }, { 490, 1 }, { 495, 0 } },
	  3000,
	  { { S, 525, 0, 100, 1 } } },
	{ "held exactly long_ms is not LONG",
	  30,
	  AWS,
	  { { 0, 1 }, { 1500, 0 } },
	  4000,
	  { { S, 1901, 0, 1500, 1 } } },
	{ "held long_ms + 1 is LONG, reported while still held",
	  30,
	  AWS,
	  { { 0, 1 }, { 1501, 0 } },
	  4000,
	  { { L, 1501, 0, 1501, 1 } } },
	{ "LONG, then HOLD repeats, then RELEASE",
	  30,
	  ALL,
	  { { 0, 1 }, { 2600, 0 } },
	  4000,
	  { { L, 1501, 0, 1501, 1 },
	    { H, 2001, 0, 2001, 1 },
	    { H, 2501, 0, 2501, 1 },
	    { R, 2630, 0, 2600, 1 } } },
	{ "a HOLD due at the moment of release still comes first",
	  0,
	  ALL,
	  { { 0, 1 }, { 2001, 0 } },
	  4000,
	  { { L, 1501, 0, 1501, 1 }, { H, 2001, 0, 2001, 1 }, { R, 2001, 0, 2001, 1 } } },
	{ "triple is reported at the third release",
	  30,
	  ALL,
	  { { 0, 1 }, { 80, 0 }, { 200, 1 }, { 280, 0 }, { 400, 1 }, { 480, 0 } },
	  3000,
	  { { T, 510, 0, 480, 3 } } },
	{ "without TRIPLE the second release ends a double at once",
	  30,
	  AWS,
	  { { 0, 1 }, { 80, 0 }, { 200, 1 }, { 280, 0 }, { 400, 1 }, { 480, 0 } },
	  3000,
	  { { D, 310, 0, 280, 2 }, { S, 881, 400, 80, 1 } } },
	{ "a second press held long ends the sequence as a double",
	  30,
	  AWS,
	  { { 0, 1 }, { 100, 0 }, { 300, 1 }, { 2000, 0 } },
	  4000,
	  { { D, 1801, 0, 1801, 2 } } },
	{ "LONG only counts for the first press: a long first press is never a double",
	  30,
	  AWS,
	  { { 0, 1 }, { 1600, 0 }, { 1700, 1 }, { 1800, 0 } },
	  4000,
	  { { L, 1501, 0, 1501, 1 }, { S, 2201, 1700, 100, 1 } } },
	{ "still held at the end: only what is due",
	  30,
	  ALL,
	  { { 0, 1 } },
	  1600,
	  { { L, 1501, 0, 1501, 1 } } },
};

static int run_case(const struct tcase *c, struct ck_click_event *got, int cap)
{
	struct ck_click_timing t;
	struct ck_click_detector d;
	struct ck_click_event ev[CK_CLICK_EVENTS_MAX];
	int n = 0;

	ck_click_timing_default(&t);
	t.debounce_ms = c->debounce;
	t.gestures = c->gestures;
	CK_CHECK_INT(ck_click_init(&d, &t, 0), ==, 0);
	for (int i = 0; i < 24 && (i == 0 || c->in[i].t > 0); i++) {
		/* Poll at every deadline before the next input, as a firmware loop would. */
		while (ck_click_deadline(&d) < c->in[i].t) {
			int k = ck_click_poll(&d, ck_click_deadline(&d), ev);
			for (int j = 0; j < k && n < cap; j++)
				got[n++] = ev[j];
		}
		int k = ck_click_feed(&d, c->in[i].level != 0, c->in[i].t, ev);
		for (int j = 0; j < k && n < cap; j++)
			got[n++] = ev[j];
	}
	while (ck_click_deadline(&d) <= c->end) {
		int k = ck_click_poll(&d, ck_click_deadline(&d), ev);
		for (int j = 0; j < k && n < cap; j++)
			got[n++] = ev[j];
	}
	return n;
}

static void test_table(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *c = &cases[i];
		struct ck_click_event got[16];
		int n = run_case(c, got, 16);
		int want_n = 0;
		while (want_n < 8 && c->want[want_n].g != CK_GESTURE_NONE)
			want_n++;
		if (n != want_n)
			fprintf(stderr, "case \"%s\": %d events, want %d\n", c->name, n, want_n);
		CK_CHECK_INT(n, ==, want_n);
		for (int j = 0; j < n && j < want_n; j++) {
			const struct want *w = &c->want[j];
			if (got[j].gesture != w->g || got[j].at_ms != w->at ||
			    got[j].pressed_ms != w->pressed || got[j].duration_ms != w->duration ||
			    got[j].count != w->count)
				fprintf(
				    stderr,
				    "case \"%s\" event %d: got %s at %lld pressed %lld dur %lld "
				    "count %d\n",
				    c->name, j, ck_click_gesture_name(got[j].gesture),
				    (long long)got[j].at_ms, (long long)got[j].pressed_ms,
				    (long long)got[j].duration_ms, got[j].count);
			CK_CHECK_INT(got[j].gesture, ==, w->g);
			CK_CHECK_INT(got[j].at_ms, ==, w->at);
			CK_CHECK_INT(got[j].pressed_ms, ==, w->pressed);
			CK_CHECK_INT(got[j].duration_ms, ==, w->duration);
			CK_CHECK_INT(got[j].count, ==, w->count);
		}
	}
}

static void test_deadlines(void)
{
	struct ck_click_timing t;
	struct ck_click_detector d;
	struct ck_click_event ev[CK_CLICK_EVENTS_MAX];

	ck_click_timing_default(&t);
	CK_CHECK_INT(ck_click_init(&d, &t, 1000), ==, 0);
	CK_CHECK_INT(ck_click_deadline(&d), ==, INT64_MAX);
	CK_CHECK_INT(ck_click_feed(&d, true, 1000, ev), ==, 0);
	CK_CHECK_INT(ck_click_deadline(&d), ==, 1030); /* debounce confirmation */
	CK_CHECK_INT(ck_click_poll(&d, 1029, ev), ==, 0);
	CK_CHECK_INT(ck_click_poll(&d, 1030, ev), ==, 0);
	CK_CHECK_INT(ck_click_deadline(&d), ==, 2501); /* long threshold */
	CK_CHECK_INT(ck_click_feed(&d, false, 1100, ev), ==, 0);
	CK_CHECK_INT(ck_click_deadline(&d), ==, 1130);
	CK_CHECK_INT(ck_click_poll(&d, 1130, ev), ==, 0);
	CK_CHECK_INT(ck_click_deadline(&d), ==, 1501); /* window */
	/* Time running backwards is taken as the latest time seen. */
	CK_CHECK_INT(ck_click_poll(&d, 5, ev), ==, 0);
	CK_CHECK_INT(ck_click_poll(&d, 1501, ev), ==, 1);
	CK_CHECK_INT(ev[0].gesture, ==, CK_GESTURE_SINGLE);
	CK_CHECK_INT(ck_click_deadline(&d), ==, INT64_MAX);
	/* Feeding the same level twice changes nothing. */
	CK_CHECK_INT(ck_click_feed(&d, false, 1600, ev), ==, 0);
	CK_CHECK_INT(ck_click_deadline(&d), ==, INT64_MAX);

	/* A caller that wakes late gets one HOLD for all it missed. */
	t.gestures = CK_CLICK_G_ALL;
	t.debounce_ms = 0;
	CK_CHECK_INT(ck_click_init(&d, &t, 0), ==, 0);
	CK_CHECK_INT(ck_click_feed(&d, true, 0, ev), ==, 0);
	int n = ck_click_poll(&d, 100000, ev);
	CK_CHECK_INT(n, ==, 2);
	CK_CHECK_INT(ev[0].gesture, ==, CK_GESTURE_LONG);
	CK_CHECK_INT(ev[1].gesture, ==, CK_GESTURE_HOLD);
	CK_CHECK_INT(ev[1].at_ms, ==, 99501);
	CK_CHECK_INT(ev[1].duration_ms, ==, 99501);
	CK_CHECK_INT(ck_click_deadline(&d), ==, 100001);
}

static void test_timing_check(void)
{
	struct ck_click_timing t;
	struct ck_click_detector d;
	char why[80];
	struct {
		int32_t debounce, dbl, lng, hold;
		uint32_t g;
		const char *why;
	} bad[] = {
		{ -1, 400, 1500, 500, AWS, "debounce_ms must be 0..1000" },
		{ 1001, 400, 1500, 500, AWS, "debounce_ms must be 0..1000" },
		{ 30, 19, 1500, 500, AWS, "double_ms must be 20..5000" },
		{ 30, 5001, 1500, 500, AWS, "double_ms must be 20..5000" },
		{ 30, 400, 99, 500, AWS, "long_ms must be 100..60000" },
		{ 30, 400, 60001, 500, AWS, "long_ms must be 100..60000" },
		{ 30, 400, 1500, 19, AWS, "hold_ms must be 20..60000" },
		{ 30, 400, 1500, 500, 0x20, "unknown gesture bit" },
		{ 30, 400, 1500, 500, CK_CLICK_G_TRIPLE | CK_CLICK_G_LONG, "TRIPLE needs DOUBLE" },
		{ 30, 400, 1500, 500, CK_CLICK_G_HOLD, "HOLD and RELEASE need LONG" },
		{ 30, 400, 1500, 500, CK_CLICK_G_RELEASE | CK_CLICK_G_DOUBLE,
		  "HOLD and RELEASE need LONG" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = (struct ck_click_timing){ bad[i].debounce, bad[i].dbl, bad[i].lng, bad[i].hold,
			                      bad[i].g };
		CK_CHECK_INT(ck_click_timing_check(&t, why, sizeof(why)), ==, -EINVAL);
		CK_CHECK_STR(why, bad[i].why);
		CK_CHECK_INT(ck_click_init(&d, &t, 0), ==, -EINVAL);
	}
	ck_click_timing_default(&t);
	CK_CHECK_INT(ck_click_timing_check(&t, why, sizeof(why)), ==, 0);
	CK_CHECK_INT(t.long_ms, ==, 1500);
	CK_CHECK_INT(t.gestures, ==, CK_CLICK_G_DOUBLE | CK_CLICK_G_LONG);
	t = (struct ck_click_timing){ 0, 20, 100, 20, CK_CLICK_G_ALL };
	CK_CHECK_INT(ck_click_timing_check(&t, NULL, 0), ==, 0);
}

static void test_names(void)
{
	CK_CHECK_STR(ck_click_gesture_name(CK_GESTURE_SINGLE), "SINGLE");
	CK_CHECK_STR(ck_click_gesture_name(CK_GESTURE_RELEASE), "RELEASE");
	CK_CHECK(ck_click_gesture_name(CK_GESTURE_NONE) == NULL);
	CK_CHECK(ck_click_gesture_name((enum ck_click_gesture)99) == NULL);
	CK_CHECK_INT(ck_click_gesture_parse("triple"), ==, CK_GESTURE_TRIPLE);
	CK_CHECK_INT(ck_click_gesture_parse("HOLD"), ==, CK_GESTURE_HOLD);
	CK_CHECK_INT(ck_click_gesture_parse("click"), ==, CK_GESTURE_NONE);
	CK_CHECK_INT(ck_click_gesture_parse(NULL), ==, CK_GESTURE_NONE);
}

/* ---- random sequences against a reference model ---------------------- */

#define RMAX 400 /* raw changes per sequence */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* A duration near one of the thresholds, or anywhere. */
static int64_t near(const struct ck_click_timing *t, int which)
{
	int32_t base[] = { t->debounce_ms, t->double_ms, t->long_ms + 1, t->long_ms + t->hold_ms,
		           80 };
	int64_t v = base[which % 5] + (int64_t)rnd(9) - 4;
	if (rnd(4) == 0)
		v = rnd(3000);
	return v < 1 ? 1 : v;
}

/* Human presses with bounce and glitches; strictly increasing times. */
static int gen(const struct ck_click_timing *t, struct in *raw)
{
	int n = 0, level = 0;
	int64_t now = 10;
	while (n < RMAX - 12) {
		now += near(t, (int)rnd(5));
		level = !level;
		raw[n++] = (struct in){ now, level };
		int bounces = rnd(3) == 0 ? (int)rnd(4) : 0;
		for (int b = 0; b < bounces; b++) {
			now += 1 + rnd(3);
			raw[n++] = (struct in){ now, !level };
			now += 1 + rnd(3);
			raw[n++] = (struct in){ now, level };
		}
	}
	return n;
}

struct edge {
	int64_t e;  /* dated: first raw change of the episode */
	int64_t at; /* confirmed */
	int pressed;
};

/* Reference debouncer: steps through every millisecond. */
static int ref_edges(const struct ck_click_timing *t, const struct in *raw, int n, int64_t end,
                     struct edge *out)
{
	int level = 0, r = 0, k = 0, ne = 0;
	int64_t first = -1, last = 0;
	for (int64_t ms = 0; ms <= end; ms++) {
		/* Stable for debounce_ms confirms, even if it changes again now. */
		if (first >= 0 && ms == last + t->debounce_ms) {
			if (r != level) {
				level = r;
				out[ne++] = (struct edge){ first, ms, level };
			}
			first = -1;
		}
		while (k < n && raw[k].t == ms) {
			if (raw[k].level != r) {
				r = raw[k].level;
				last = ms;
				if (first < 0)
					first = ms;
			}
			k++;
		}
		if (first >= 0 && t->debounce_ms == 0) {
			if (r != level) {
				level = r;
				out[ne++] = (struct edge){ first, ms, level };
			}
			first = -1;
		}
	}
	return ne;
}

static void push(struct want *w, int *n, enum ck_click_gesture g, int64_t at, int64_t p,
                 int64_t dur, int count)
{
	w[(*n)++] = (struct want){ g, at, p, dur, count };
}

/* Reference classifier: reads the edge list as a whole. */
static int ref_classify(const struct ck_click_timing *t, const struct edge *e, int ne, int64_t end,
                        struct want *w)
{
	int n = 0;
	int maxc = (t->gestures & CK_CLICK_G_TRIPLE)   ? 3
	           : (t->gestures & CK_CLICK_G_DOUBLE) ? 2
	                                               : 1;
	bool lng = t->gestures & CK_CLICK_G_LONG;
	int i = 0; /* index of a press edge (even) */
	while (i < ne) {
		int64_t s = e[i].e;
		int count = 1;
		int j = i;
		for (;;) {
			int64_t p = e[j].e;
			bool released = j + 1 < ne;
			int64_t r = released ? e[j + 1].e : INT64_MAX;
			int64_t ld = p + t->long_ms + 1;
			if (lng && ld <= r && ld <= end) {
				if (count == 1) {
					push(w, &n, L, ld, s, ld - p, 1);
					if (t->gestures & CK_CLICK_G_HOLD)
						for (int64_t h = ld + t->hold_ms;
						     h <= r && h <= end; h += t->hold_ms)
							push(w, &n, H, h, s, h - p, 1);
					if (released && (t->gestures & CK_CLICK_G_RELEASE))
						push(w, &n, R, e[j + 1].at, s, r - p, 1);
				} else {
					push(w, &n, count == 3 ? T : D, ld, s, ld - s, count);
				}
				break;
			}
			if (!released)
				break;
			if (count == maxc) {
				push(w, &n,
				     count == 3   ? T
				     : count == 2 ? D
				                  : S,
				     e[j + 1].at, s, r - s, count);
				break;
			}
			int64_t wd = r + t->double_ms + 1;
			if (j + 2 < ne && e[j + 2].e < wd) {
				count++;
				j += 2;
				continue;
			}
			if (wd <= end)
				push(w, &n, count == 2 ? D : S, wd, s, r - s, count);
			break;
		}
		i = j + 2;
	}
	return n;
}

static void random_timing(struct ck_click_timing *t)
{
	static const uint32_t gs[] = { AWS,
		                       IMM,
		                       NONE,
		                       ALL,
		                       CK_CLICK_G_DOUBLE,
		                       CK_CLICK_G_DOUBLE | CK_CLICK_G_TRIPLE,
		                       CK_CLICK_G_LONG | CK_CLICK_G_HOLD,
		                       CK_CLICK_G_LONG | CK_CLICK_G_RELEASE };
	t->debounce_ms = (int32_t)rnd(4) * 10;
	t->double_ms = 100 + (int32_t)rnd(500);
	t->long_ms = 300 + (int32_t)rnd(1500);
	t->hold_ms = 50 + (int32_t)rnd(400);
	t->gestures = gs[rnd(8)];
}

static void test_random(void)
{
	static struct in raw[RMAX];
	static struct edge edges[RMAX];
	static struct want want[4 * RMAX];
	static struct ck_click_event got[4 * RMAX];
	struct ck_click_event ev[CK_CLICK_EVENTS_MAX];
	int mismatches = 0;

	for (int round = 0; round < 300; round++) {
		struct ck_click_timing t;
		struct ck_click_detector d;
		random_timing(&t);
		int n = gen(&t, raw);
		int64_t end = raw[n - 1].t + 5000;
		int ne = ref_edges(&t, raw, n, end, edges);
		int nw = ref_classify(&t, edges, ne, end, want);

		/* Prompt caller: polls at every deadline. */
		int ng = 0;
		CK_CHECK_INT(ck_click_init(&d, &t, 0), ==, 0);
		for (int i = 0; i <= n; i++) {
			int64_t next = i < n ? raw[i].t : end + 1;
			while (ck_click_deadline(&d) < next) {
				int k = ck_click_poll(&d, ck_click_deadline(&d), ev);
				CK_CHECK_INT(k, <=, CK_CLICK_EVENTS_MAX);
				for (int j = 0; j < k && ng < 4 * RMAX; j++)
					got[ng++] = ev[j];
			}
			if (i < n) {
				int k = ck_click_feed(&d, raw[i].level != 0, raw[i].t, ev);
				for (int j = 0; j < k && ng < 4 * RMAX; j++)
					got[ng++] = ev[j];
			}
		}
		bool same = true;
		int64_t prev = 0;
		for (int j = 0; same && j < ng && j < nw; j++) {
			same = got[j].gesture == want[j].g &&
			       got[j].pressed_ms == want[j].pressed &&
			       got[j].duration_ms == want[j].duration &&
			       got[j].count == want[j].count && got[j].at_ms >= want[j].at &&
			       got[j].at_ms >= prev;
			prev = got[j].at_ms;
			if (!same)
				fprintf(stderr,
				        "round %d event %d: got %s p%lld d%lld c%d at%lld, want %s "
				        "p%lld d%lld c%d at%lld\n",
				        round, j, ck_click_gesture_name(got[j].gesture),
				        (long long)got[j].pressed_ms, (long long)got[j].duration_ms,
				        got[j].count, (long long)got[j].at_ms,
				        ck_click_gesture_name(want[j].g),
				        (long long)want[j].pressed, (long long)want[j].duration,
				        want[j].count, (long long)want[j].at);
		}
		if (same && ng != nw)
			fprintf(stderr, "round %d: %d events, reference %d\n", round, ng, nw);
		same = same && ng == nw;
		mismatches += !same;

		/* Lazy caller: polls at random, late; only HOLD repeats may merge. */
		int nl = 0;
		CK_CHECK_INT(ck_click_init(&d, &t, 0), ==, 0);
		int64_t wake = rnd(3000);
		for (int i = 0; i <= n; i++) {
			int64_t next = i < n ? raw[i].t : end + 1;
			while (wake < next) {
				int k = ck_click_poll(&d, wake, ev);
				CK_CHECK_INT(k, <=, CK_CLICK_EVENTS_MAX);
				for (int j = 0; j < k && nl < 4 * RMAX; j++)
					if (ev[j].gesture != CK_GESTURE_HOLD)
						got[nl++] = ev[j];
				wake += 1 + rnd(3000);
			}
			if (i < n) {
				int k = ck_click_feed(&d, raw[i].level != 0, raw[i].t, ev);
				CK_CHECK_INT(k, <=, CK_CLICK_EVENTS_MAX);
				for (int j = 0; j < k && nl < 4 * RMAX; j++)
					if (ev[j].gesture != CK_GESTURE_HOLD)
						got[nl++] = ev[j];
			}
		}
		int k = ck_click_poll(&d, end, ev);
		for (int j = 0; j < k && nl < 4 * RMAX; j++)
			if (ev[j].gesture != CK_GESTURE_HOLD)
				got[nl++] = ev[j];
		int wn = 0;
		bool lazy_same = true;
		for (int j = 0; j < nw; j++) {
			if (want[j].g == CK_GESTURE_HOLD)
				continue;
			lazy_same = lazy_same && wn < nl && got[wn].gesture == want[j].g &&
			            got[wn].pressed_ms == want[j].pressed &&
			            got[wn].duration_ms == want[j].duration;
			wn++;
		}
		lazy_same = lazy_same && wn == nl;
		if (!lazy_same)
			fprintf(stderr, "round %d: a late caller saw different gestures\n", round);
		mismatches += !lazy_same;
	}
	CK_CHECK_INT(mismatches, ==, 0);
}

int main(void)
{
	test_table();
	test_deadlines();
	test_timing_check();
	test_names();
	test_random();
	return ck_test_main("test_click");
}
