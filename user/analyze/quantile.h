/* Order statistics the request analyses and prove share. */
#ifndef NL_ANALYZE_QUANTILE_H
#define NL_ANALYZE_QUANTILE_H

#include <stddef.h>
#include <stdint.h>

/* The nearest rank (1..n) of the q-quantile of n > 0 values: ceil(q * n), clamped. */
size_t nl_nearest_rank(size_t n, double q);

/* qsort comparator of uint64_t. */
int nl_cmp_u64(const void *a, const void *b);

#endif
