/*
 * What the user sees at the button: a coloured status line on the
 * terminal (yellow while a press is on its way, green when the broker
 * acknowledged it, red while presses wait offline, cyan for messages on
 * the feedback topic) and a GPIO LED (on while a press is on its way,
 * blinking while presses wait offline, off when everything is delivered;
 * a feedback message of "on", "off" or "blink", or JSON with "led", sets
 * it). Output only; it never decides anything.
 */
#ifndef CK_CLICKBTN_FEEDBACK_H
#define CK_CLICKBTN_FEEDBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ck_fb_status { CK_FB_IDLE, CK_FB_SENDING, CK_FB_OFFLINE };

struct ck_feedback {
	bool color; /* ANSI colours on stderr */
	bool quiet; /* no status lines */
	struct gpiod_chip *chip;
	struct gpiod_line *led;
	enum ck_fb_status status;
	int led_mode; /* 0 off, 1 on, 2 blink */
	bool led_on;
	int64_t blink_at;
};

/*
 * Sets up the outputs: colours when color is true, an LED when led_spec is
 * "gpio:CHIP:LINE" (NULL: none). Returns 0 or a negative errno with a
 * reason in why.
 */
int ck_feedback_open(struct ck_feedback *f, bool color, bool quiet, const char *led_spec, char *why,
                     size_t why_len);

/* Turns the LED off and releases it. */
void ck_feedback_close(struct ck_feedback *f);

/* Prints one status line (colour by kind: 'y' yellow, 'g' green, 'r' red,
 * 'c' cyan) unless quiet. */
__attribute__((format(printf, 3, 4))) void ck_feedback_say(struct ck_feedback *f, char kind,
                                                           const char *fmt, ...);

/* Sets the overall status that drives the LED. */
void ck_feedback_status(struct ck_feedback *f, enum ck_fb_status st, int64_t now);

/* A message from the feedback topic: shown, and applied to the LED. */
void ck_feedback_message(struct ck_feedback *f, const void *payload, size_t len, int64_t now);

/* Next LED blink time, or INT64_MAX; ck_feedback_tick toggles it. */
int64_t ck_feedback_deadline(const struct ck_feedback *f);
void ck_feedback_tick(struct ck_feedback *f, int64_t now);

#endif
