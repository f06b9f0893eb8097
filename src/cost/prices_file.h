/*
 * Finding and reading a price file: the only file I/O of the cost module
 * (whose model, cost.c and usage.c, stays pure). Used by clickctl (cost
 * estimate, cost usage) and by clickd (the AWS equivalent of the usage API).
 */
#ifndef CK_COST_PRICES_FILE_H
#define CK_COST_PRICES_FILE_H

#include <stddef.h>

#include "cost/cost.h"

#define CK_COST_PRICES_NAME "aws-us-east-1.prices"

/*
 * Finds the default price file CK_COST_PRICES_NAME: next to the running
 * program, in an installed share/ beside its bin/, in the source tree when
 * it runs from build/ or build/<dir>/, then /usr/local/share/clickd/prices
 * and /usr/share/clickd/prices. Returns 0 with the path, or -ENOENT.
 */
int ck_cost_prices_find(char *path, size_t len);

/* Reads at most CK_COST_FILE_MAX bytes of path into a malloc'd buffer.
 * Returns 0, or a negative errno with the reason in err. */
int ck_cost_prices_read(const char *path, char **out, size_t *len, char *err, size_t err_len);

/*
 * Finds (when path is NULL), reads and parses a price file into *out.
 * Returns 0, or a negative errno with a one-line reason in err.
 */
int ck_cost_prices_load(const char *path, struct ck_cost_prices *out, char *used, size_t used_len,
                        char *err, size_t err_len);

#endif
