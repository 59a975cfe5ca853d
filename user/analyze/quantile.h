/* Order statistics the request analyses and prove share: the nearest rank, and a
 * selection that finds one rank without sorting. */
#ifndef NL_ANALYZE_QUANTILE_H
#define NL_ANALYZE_QUANTILE_H

#include <stddef.h>
#include <stdint.h>

/* The nearest rank (1..n) of the q-quantile of n > 0 values: ceil(q * n), clamped. */
size_t nl_nearest_rank(size_t n, double q);

/* qsort comparator of uint64_t. */
int nl_cmp_u64(const void *a, const void *b);

/* The k-th smallest (0-based, k < n) of v, which it reorders. */
uint64_t nl_select_u64(uint64_t *v, size_t n, size_t k);

#endif
