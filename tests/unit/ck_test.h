/*
 * Minimal typed assertions for unit tests. A failed check prints the file,
 * line and both values, marks the test failed and continues, so one run
 * shows every failure. ck_test_main() returns the process exit status.
 */
#ifndef CK_TEST_H
#define CK_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int ck_test_failures;
static int ck_test_checks;

#define CK_CHECK(cond)                                                                             \
	do {                                                                                       \
		ck_test_checks++;                                                                  \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			ck_test_failures++;                                                        \
		}                                                                                  \
	} while (0)

#define CK_CHECK_INT(a, op, b)                                                                     \
	do {                                                                                       \
		long long ck_a_ = (long long)(a), ck_b_ = (long long)(b);                          \
		ck_test_checks++;                                                                  \
		if (!(ck_a_ op ck_b_)) {                                                           \
			fprintf(stderr, "%s:%d: %s %s %s: %lld vs %lld\n", __FILE__, __LINE__, #a, \
			        #op, #b, ck_a_, ck_b_);                                            \
			ck_test_failures++;                                                        \
		}                                                                                  \
	} while (0)

#define CK_CHECK_STR(a, b)                                                                         \
	do {                                                                                       \
		const char *ck_a_ = (a), *ck_b_ = (b);                                             \
		ck_test_checks++;                                                                  \
		if (!ck_a_ || !ck_b_ || strcmp(ck_a_, ck_b_) != 0) {                               \
			fprintf(stderr, "%s:%d: %s == %s: \"%s\" vs \"%s\"\n", __FILE__, __LINE__, \
			        #a, #b, ck_a_ ? ck_a_ : "(null)", ck_b_ ? ck_b_ : "(null)");       \
			ck_test_failures++;                                                        \
		}                                                                                  \
	} while (0)

static inline int ck_test_main(const char *name)
{
	fprintf(stderr, "%s: %d checks, %d failed\n", name, ck_test_checks, ck_test_failures);
	return ck_test_failures == 0 ? 0 : 1;
}

#endif
