/*
 * libclick's click detector: turns the raw level of one button contact,
 * sampled or reported with timestamps, into gestures. It debounces the
 * contact, then classifies presses as SINGLE, DOUBLE and LONG the way the
 * AWS IoT Button does (LONG: the first press held longer than 1.5 s), with
 * optional TRIPLE, HOLD (repeats while a long press is held) and RELEASE
 * (the end of a long press). When neither DOUBLE nor TRIPLE is enabled a
 * single click is reported on release, without waiting for a double-click
 * window. Portable C: no OS calls, no allocation, no clock of its own (the
 * caller passes milliseconds from any monotonic source), no globals; one
 * struct per button, fit for firmware. It does not read pins or sleep:
 * the caller feeds levels and calls ck_click_poll() by the deadline that
 * ck_click_deadline() names. Timing rules: docs/internals/click.md.
 */
#ifndef CK_CLICK_H
#define CK_CLICK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Gestures. The first three are the AWS IoT Button's clickType values. */
enum ck_click_gesture {
	CK_GESTURE_NONE = 0,
	CK_GESTURE_SINGLE,
	CK_GESTURE_DOUBLE,
	CK_GESTURE_LONG,
	CK_GESTURE_TRIPLE,
	CK_GESTURE_HOLD,
	CK_GESTURE_RELEASE,
};

/* Bits of ck_click_timing.gestures (SINGLE is always on). */
#define CK_CLICK_G_DOUBLE  (1u << 0)
#define CK_CLICK_G_LONG    (1u << 1)
#define CK_CLICK_G_TRIPLE  (1u << 2)
#define CK_CLICK_G_HOLD    (1u << 3)
#define CK_CLICK_G_RELEASE (1u << 4)
#define CK_CLICK_G_ALL     0x1fu

/* Defaults: AWS-compatible (SINGLE, DOUBLE, LONG > 1.5 s). */
#define CK_CLICK_DEBOUNCE_DEFAULT 30
#define CK_CLICK_DOUBLE_DEFAULT   400
#define CK_CLICK_LONG_DEFAULT     1500
#define CK_CLICK_HOLD_DEFAULT     500
#define CK_CLICK_GESTURES_DEFAULT (CK_CLICK_G_DOUBLE | CK_CLICK_G_LONG)

/* Accepted ranges, milliseconds. */
#define CK_CLICK_DEBOUNCE_MAX 1000
#define CK_CLICK_DOUBLE_MIN   20
#define CK_CLICK_DOUBLE_MAX   5000
#define CK_CLICK_LONG_MIN     100
#define CK_CLICK_LONG_MAX     60000
#define CK_CLICK_HOLD_MIN     20
#define CK_CLICK_HOLD_MAX     60000

/* One feed or poll never yields more events than this. */
#define CK_CLICK_EVENTS_MAX 16

struct ck_click_timing {
	int32_t debounce_ms; /* a level counts once stable this long (0..1000) */
	int32_t double_ms;   /* longest release-to-press gap inside a sequence */
	int32_t long_ms;     /* a first press held longer than this is LONG */
	int32_t hold_ms;     /* HOLD repeat period after LONG */
	uint32_t gestures;   /* CK_CLICK_G_* bits */
};

struct ck_click_event {
	enum ck_click_gesture gesture;
	int64_t at_ms;       /* when it was recognised (the caller's clock) */
	int64_t pressed_ms;  /* when the gesture's first press began */
	int64_t duration_ms; /* clicks: first press to last release; LONG, HOLD,
	                        RELEASE: how long the press has lasted */
	int count;           /* presses in the gesture: 1, 2 or 3 */
};

/* Detector state; treat as opaque. */
struct ck_click_detector {
	struct ck_click_timing t;
	/* debouncer */
	bool raw;          /* last level fed */
	bool level;        /* debounced level */
	int64_t raw_at;    /* time of the last raw change */
	int64_t change_at; /* first raw change away from level, -1 if none */
	int64_t now;       /* latest time given; time never runs backwards */
	int64_t seen;      /* latest time processed */
	/* classifier */
	int state;
	int count;
	int64_t seq_at;   /* first press of the sequence */
	int64_t press_at; /* current press */
	int64_t release_at;
	int64_t due; /* classifier deadline, INT64_MAX when none */
};

/* Fills *t with the defaults above. */
void ck_click_timing_default(struct ck_click_timing *t);

/*
 * Checks a timing against the accepted ranges and rules (TRIPLE needs
 * DOUBLE; HOLD and RELEASE need LONG). Returns 0 or -EINVAL, with a
 * one-line reason in why ("long_ms must be 100..60000") when why is not
 * NULL.
 */
int ck_click_timing_check(const struct ck_click_timing *t, char *why, size_t why_len);

/*
 * Starts a detector with the button released at time now_ms. Returns 0, or
 * -EINVAL (detector untouched) when ck_click_timing_check refuses t.
 */
int ck_click_init(struct ck_click_detector *d, const struct ck_click_timing *t, int64_t now_ms);

/*
 * Feeds the raw contact level (true = pressed) at time t_ms. Everything
 * due before or at t_ms is processed first, so out receives the events
 * recognised up to and including t_ms, in order; returns their number
 * (0..CK_CLICK_EVENTS_MAX). Feeding the same level again is harmless. A
 * t_ms earlier than a time already seen is taken as that time.
 */
int ck_click_feed(struct ck_click_detector *d, bool pressed, int64_t t_ms,
                  struct ck_click_event out[CK_CLICK_EVENTS_MAX]);

/*
 * Advances the detector's clock to now_ms and returns the events due by
 * then, as ck_click_feed does. When the caller falls behind, HOLD repeats
 * that were missed collapse into one (its duration tells the truth).
 */
int ck_click_poll(struct ck_click_detector *d, int64_t now_ms,
                  struct ck_click_event out[CK_CLICK_EVENTS_MAX]);

/*
 * The time at which ck_click_poll must next be called for events to come
 * out on time, or INT64_MAX when nothing is pending (idle, or a press held
 * with no more gestures to come).
 */
int64_t ck_click_deadline(const struct ck_click_detector *d);

/* "SINGLE", "DOUBLE", "LONG", "TRIPLE", "HOLD", "RELEASE"; NULL for NONE. */
const char *ck_click_gesture_name(enum ck_click_gesture g);

/* Parses a name above (case-insensitive); CK_GESTURE_NONE when unknown. */
enum ck_click_gesture ck_click_gesture_parse(const char *name);

#endif
