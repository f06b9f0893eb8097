/*
 * The click detector (see click.h). Two stages over one logical clock: a
 * debouncer that confirms a level once the raw contact has not changed for
 * debounce_ms and dates the edge at the first raw change of the bouncing
 * episode, and a classifier that turns dated edges into gestures. Both
 * stages keep a single pending time each (the debounce confirmation, the
 * classifier deadline); ck_click_poll processes them in time order, and a
 * classifier deadline that falls after an unconfirmed raw change waits for
 * the confirmation, so a press that bounces across the end of a window is
 * still judged by when it began. No OS calls, no allocation.
 */
#include "device/click.h"

#include <errno.h>
#include <stdio.h>
#include <strings.h>

enum state {
	ST_IDLE,  /* released, no sequence */
	ST_DOWN,  /* pressed inside a sequence */
	ST_UP,    /* released inside a sequence, window open */
	ST_LONG,  /* LONG reported, still held */
	ST_QUIET, /* sequence reported while held; wait for release */
};

#define NEVER INT64_MAX

static const char *const names[] = {
	[CK_GESTURE_SINGLE] = "SINGLE", [CK_GESTURE_DOUBLE] = "DOUBLE",
	[CK_GESTURE_LONG] = "LONG",     [CK_GESTURE_TRIPLE] = "TRIPLE",
	[CK_GESTURE_HOLD] = "HOLD",     [CK_GESTURE_RELEASE] = "RELEASE",
};

const char *ck_click_gesture_name(enum ck_click_gesture g)
{
	if (g <= CK_GESTURE_NONE || g > CK_GESTURE_RELEASE)
		return NULL;
	return names[g];
}

enum ck_click_gesture ck_click_gesture_parse(const char *name)
{
	for (int g = CK_GESTURE_SINGLE; g <= CK_GESTURE_RELEASE; g++) {
		if (name && strcasecmp(name, names[g]) == 0)
			return (enum ck_click_gesture)g;
	}
	return CK_GESTURE_NONE;
}

void ck_click_timing_default(struct ck_click_timing *t)
{
	t->debounce_ms = CK_CLICK_DEBOUNCE_DEFAULT;
	t->double_ms = CK_CLICK_DOUBLE_DEFAULT;
	t->long_ms = CK_CLICK_LONG_DEFAULT;
	t->hold_ms = CK_CLICK_HOLD_DEFAULT;
	t->gestures = CK_CLICK_GESTURES_DEFAULT;
}

static int bad(char *why, size_t why_len, const char *what)
{
	if (why && why_len > 0)
		snprintf(why, why_len, "%s", what);
	return -EINVAL;
}

int ck_click_timing_check(const struct ck_click_timing *t, char *why, size_t why_len)
{
	if (t->debounce_ms < 0 || t->debounce_ms > CK_CLICK_DEBOUNCE_MAX)
		return bad(why, why_len, "debounce_ms must be 0..1000");
	if (t->double_ms < CK_CLICK_DOUBLE_MIN || t->double_ms > CK_CLICK_DOUBLE_MAX)
		return bad(why, why_len, "double_ms must be 20..5000");
	if (t->long_ms < CK_CLICK_LONG_MIN || t->long_ms > CK_CLICK_LONG_MAX)
		return bad(why, why_len, "long_ms must be 100..60000");
	if (t->hold_ms < CK_CLICK_HOLD_MIN || t->hold_ms > CK_CLICK_HOLD_MAX)
		return bad(why, why_len, "hold_ms must be 20..60000");
	if (t->gestures & ~CK_CLICK_G_ALL)
		return bad(why, why_len, "unknown gesture bit");
	if ((t->gestures & CK_CLICK_G_TRIPLE) && !(t->gestures & CK_CLICK_G_DOUBLE))
		return bad(why, why_len, "TRIPLE needs DOUBLE");
	if ((t->gestures & (CK_CLICK_G_HOLD | CK_CLICK_G_RELEASE)) &&
	    !(t->gestures & CK_CLICK_G_LONG))
		return bad(why, why_len, "HOLD and RELEASE need LONG");
	if (why && why_len > 0)
		why[0] = '\0';
	return 0;
}

int ck_click_init(struct ck_click_detector *d, const struct ck_click_timing *t, int64_t now_ms)
{
	if (ck_click_timing_check(t, NULL, 0) != 0)
		return -EINVAL;
	*d = (struct ck_click_detector){
		.t = *t,
		.raw_at = now_ms,
		.change_at = -1,
		.now = now_ms,
		.seen = now_ms,
		.state = ST_IDLE,
		.due = NEVER,
	};
	return 0;
}

int64_t ck_click_deadline(const struct ck_click_detector *d)
{
	/* A deadline after a pending raw change waits for its confirmation. */
	if (d->change_at >= 0 && d->change_at < d->due)
		return d->raw_at + d->t.debounce_ms;
	return d->due;
}

/* Output of one feed or poll call. */
struct out {
	struct ck_click_event *ev;
	int n;
};

static void emit(struct ck_click_detector *d, struct out *o, enum ck_click_gesture g, int64_t at,
                 int64_t pressed, int64_t duration, int count)
{
	/* Never dated before something already learnt (a glitch confirmed late). */
	if (at < d->seen)
		at = d->seen;
	d->seen = at;
	if (o->n >= CK_CLICK_EVENTS_MAX)
		return; /* cannot happen: see CK_CLICK_EVENTS_MAX and the fuzz target */
	o->ev[o->n++] = (struct ck_click_event){ .gesture = g,
		                                 .at_ms = at,
		                                 .pressed_ms = pressed,
		                                 .duration_ms = duration,
		                                 .count = count };
}

static bool has(const struct ck_click_detector *d, uint32_t g)
{
	return (d->t.gestures & g) != 0;
}

static int max_count(const struct ck_click_detector *d)
{
	if (has(d, CK_CLICK_G_TRIPLE))
		return 3;
	return has(d, CK_CLICK_G_DOUBLE) ? 2 : 1;
}

static enum ck_click_gesture of_count(int count)
{
	if (count >= 3)
		return CK_GESTURE_TRIPLE;
	return count == 2 ? CK_GESTURE_DOUBLE : CK_GESTURE_SINGLE;
}

/* A held press ends the sequence once it is longer than long_ms. */
static int64_t long_due(const struct ck_click_detector *d)
{
	return has(d, CK_CLICK_G_LONG) ? d->press_at + d->t.long_ms + 1 : NEVER;
}

/* A debounced edge dated e, learnt at time at. */
static void on_edge(struct ck_click_detector *d, bool pressed, int64_t e, int64_t at, struct out *o)
{
	if (pressed) {
		if (d->state == ST_UP) {
			d->count++;
		} else {
			d->count = 1;
			d->seq_at = e;
		}
		d->press_at = e;
		d->state = ST_DOWN;
		d->due = long_due(d);
		return;
	}
	switch (d->state) {
	case ST_DOWN:
		d->release_at = e;
		if (d->count >= max_count(d)) {
			emit(d, o, of_count(d->count), at, d->seq_at, e - d->seq_at, d->count);
			d->state = ST_IDLE;
			d->due = NEVER;
		} else {
			d->state = ST_UP;
			d->due = e + d->t.double_ms + 1;
		}
		break;
	case ST_LONG:
		if (has(d, CK_CLICK_G_RELEASE))
			emit(d, o, CK_GESTURE_RELEASE, at, d->press_at, e - d->press_at, 1);
		d->state = ST_IDLE;
		d->due = NEVER;
		break;
	default:
		d->state = ST_IDLE;
		d->due = NEVER;
		break;
	}
}

/* The classifier deadline, processed with the clock at lim at the most. */
static void on_due(struct ck_click_detector *d, int64_t lim, struct out *o)
{
	int64_t at = d->due;

	switch (d->state) {
	case ST_DOWN:
		if (d->count == 1) {
			emit(d, o, CK_GESTURE_LONG, at, d->seq_at, at - d->press_at, 1);
			d->state = ST_LONG;
			d->due = has(d, CK_CLICK_G_HOLD) ? at + d->t.hold_ms : NEVER;
		} else {
			emit(d, o, of_count(d->count), at, d->seq_at, at - d->seq_at, d->count);
			d->state = ST_QUIET;
			d->due = NEVER;
		}
		break;
	case ST_UP:
		emit(d, o, of_count(d->count), at, d->seq_at, d->release_at - d->seq_at, d->count);
		d->state = ST_IDLE;
		d->due = NEVER;
		break;
	case ST_LONG: {
		/* Repeats missed while the caller was late collapse into the last. */
		int64_t last = at + ((lim - at) / d->t.hold_ms) * d->t.hold_ms;
		emit(d, o, CK_GESTURE_HOLD, last, d->seq_at, last - d->press_at, 1);
		d->due = last + d->t.hold_ms;
		break;
	}
	default:
		d->due = NEVER;
		break;
	}
}

static void advance(struct ck_click_detector *d, int64_t now, struct out *o)
{
	for (;;) {
		bool pending = d->change_at >= 0;
		if (pending && d->change_at < d->due) {
			int64_t c = d->raw_at + d->t.debounce_ms;
			if (c > now)
				break;
			int64_t e = d->change_at;
			d->change_at = -1;
			if (c > d->seen)
				d->seen = c;
			if (d->raw != d->level) {
				d->level = d->raw;
				on_edge(d, d->level, e, c, o);
			}
		} else if (d->due <= now) {
			on_due(d, pending && d->change_at < now ? d->change_at : now, o);
		} else {
			break;
		}
	}
}

int ck_click_poll(struct ck_click_detector *d, int64_t now_ms,
                  struct ck_click_event out[CK_CLICK_EVENTS_MAX])
{
	struct out o = { out, 0 };
	if (now_ms < d->now)
		now_ms = d->now;
	d->now = now_ms;
	advance(d, now_ms, &o);
	return o.n;
}

int ck_click_feed(struct ck_click_detector *d, bool pressed, int64_t t_ms,
                  struct ck_click_event out[CK_CLICK_EVENTS_MAX])
{
	struct out o = { out, 0 };
	if (t_ms < d->now)
		t_ms = d->now;
	d->now = t_ms;
	advance(d, t_ms, &o);
	if (pressed != d->raw) {
		d->raw = pressed;
		d->raw_at = t_ms;
		if (d->change_at < 0)
			d->change_at = t_ms;
		advance(d, t_ms, &o);
	}
	return o.n;
}
