/*
 * libFuzzer target for the click detector. The first bytes choose a
 * timing (invalid ones must be refused by ck_click_init), the rest is a
 * stream of operations: feed a level or poll, each after a time step. Every
 * call must stay within CK_CLICK_EVENTS_MAX events, events come out in time
 * order, only enabled gestures appear, and the fields hold together
 * (pressed before recognised, durations not negative, counts 1..3). Any
 * other outcome aborts.
 */
#include "device/click.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t bit_of(enum ck_click_gesture g)
{
	switch (g) {
	case CK_GESTURE_DOUBLE:
		return CK_CLICK_G_DOUBLE;
	case CK_GESTURE_LONG:
		return CK_CLICK_G_LONG;
	case CK_GESTURE_TRIPLE:
		return CK_CLICK_G_TRIPLE;
	case CK_GESTURE_HOLD:
		return CK_CLICK_G_HOLD;
	case CK_GESTURE_RELEASE:
		return CK_CLICK_G_RELEASE;
	default:
		return 0;
	}
}

static void check(const struct ck_click_detector *d, const struct ck_click_event *ev, int n,
                  int64_t now, int64_t *last_at)
{
	if (n < 0 || n > CK_CLICK_EVENTS_MAX)
		abort();
	for (int i = 0; i < n; i++) {
		const struct ck_click_event *e = &ev[i];
		if (e->gesture != CK_GESTURE_SINGLE && !(d->t.gestures & bit_of(e->gesture)))
			abort();
		if (e->at_ms < *last_at || e->at_ms > now || e->pressed_ms > e->at_ms)
			abort();
		if (e->duration_ms < 0 || e->count < 1 || e->count > 3)
			abort();
		*last_at = e->at_ms;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck_click_timing t;
	struct ck_click_detector d;
	struct ck_click_event ev[CK_CLICK_EVENTS_MAX];

	if (size < 9)
		return 0;
	t.debounce_ms = (int32_t)data[0] * 5 - 20;
	t.double_ms = (int32_t)((data[1] << 8) | data[2]) / 8;
	t.long_ms = (int32_t)((data[3] << 8) | data[4]);
	t.hold_ms = (int32_t)((data[5] << 8) | data[6]) / 4;
	t.gestures = data[7] & 0x3f;
	int64_t now = (int64_t)data[8] * 1000;
	if (ck_click_init(&d, &t, now) != 0) {
		if (ck_click_timing_check(&t, NULL, 0) == 0)
			abort();
		return 0;
	}
	int64_t last_at = now;
	for (size_t i = 9; i + 1 < size; i += 2) {
		uint8_t op = data[i];
		int64_t step = data[i + 1];
		if (op & 0x80)
			step *= 64; /* long steps reach the long and hold thresholds */
		/* Occasionally time goes backwards: the detector must clamp. */
		int64_t at = (op & 0x40) ? now - step : now + step;
		if (at > now)
			now = at;
		int n;
		if (op & 0x20)
			n = ck_click_poll(&d, at, ev);
		else
			n = ck_click_feed(&d, op & 1, at, ev);
		check(&d, ev, n, now, &last_at);
		int64_t dl = ck_click_deadline(&d);
		if ((op & 0x20) && dl <= d.now)
			abort(); /* after a poll, nothing may be due any more */
	}
	int n = ck_click_poll(&d, now + 120000, ev);
	check(&d, ev, n, now + 120000, &last_at);
	return 0;
}
