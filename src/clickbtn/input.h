/*
 * Where presses come from: the terminal, a Linux input device through
 * libevdev (USB buttons, foot pedals, keyboards), or a GPIO line through
 * libgpiod. Each source is a file descriptor for the caller's poll loop
 * and a read function that turns what arrived into contact levels with
 * CLOCK_MONOTONIC millisecond times, ready for the click detector. Nothing
 * here classifies presses.
 *
 * The terminal reports key presses but not releases: on a terminal a key
 * counts as held while its autorepeat keeps coming, and released when it
 * stops (CK_INPUT_TTY_FIRST_MS after a lone key, CK_INPUT_TTY_REPEAT_MS
 * after a repeat). When standard input is not a terminal it reads lines
 * "down [MS]" and "up [MS]" (MS: milliseconds on the writer's own clock,
 * for exact timing), which scripts and tests use.
 */
#ifndef CK_CLICKBTN_INPUT_H
#define CK_CLICKBTN_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CK_INPUT_TTY_FIRST_MS  700
#define CK_INPUT_TTY_REPEAT_MS 150
#define CK_INPUT_SAMPLES_MAX   64

enum ck_input_kind { CK_INPUT_TERMINAL, CK_INPUT_EVDEV, CK_INPUT_GPIO };

struct ck_input_sample {
	bool pressed;
	int64_t t_ms; /* CLOCK_MONOTONIC */
};

struct ck_input {
	enum ck_input_kind kind;
	int fd;
	bool eof;  /* the source ended (terminal EOF, device gone) */
	bool quit; /* the user asked to stop ('q' on the terminal) */
	/* terminal */
	bool tty, down, repeating, raw_mode;
	int64_t last_key;
	int64_t line_last; /* time of the previous line's sample */
	char line[256];
	size_t line_len;
	void *saved_termios;
	/* evdev */
	struct libevdev *evdev;
	int key_code; /* -1: any key */
	/* gpio */
	struct gpiod_chip *chip;
	struct gpiod_line *line_gpio;
};

/*
 * Opens a source from a specification: "terminal", "evdev:PATH[:KEY]"
 * (KEY a name like KEY_SPACE or BTN_0, or a number; default any key;
 * grab the device with grab) or "gpio:CHIP:LINE" (CHIP a name like
 * gpiochip0 or a path; the line is an input with pull-up, pressed when
 * low, as a switch to ground is wired). Returns 0 or a negative errno
 * with a one-line reason in why.
 */
int ck_input_open(struct ck_input *in, const char *spec, bool grab, char *why, size_t why_len);

/* Restores the terminal and closes the source. */
void ck_input_close(struct ck_input *in);

/*
 * Reads what is available without blocking and writes up to
 * CK_INPUT_SAMPLES_MAX samples. Returns their number, or a negative errno
 * when the source failed (in->eof is then set).
 */
int ck_input_read(struct ck_input *in, int64_t now, struct ck_input_sample *out);

/* When ck_input_poll must run (terminal release inference), or INT64_MAX. */
int64_t ck_input_deadline(const struct ck_input *in);

/* Samples due by now without new input (an inferred terminal release). */
int ck_input_poll(struct ck_input *in, int64_t now, struct ck_input_sample *out);

#endif
