/* Nearest rank and the uint64_t comparator (analyze/quantile.h). */
#include "analyze/quantile.h"

size_t nl_nearest_rank(size_t n, double q)
{
	if (q <= 0)
		return 1;
	if (q >= 1)
		return n;
	double x = q * (double)n;
	size_t r = (size_t)x;

	/* ceil(x), forgiving the rounding of q * n: 0.07 * 100 is 7.000000000000001 in
	 * doubles and must give rank 7, not 8. */
	if ((double)r < x * (1 - 1e-12))
		r++;
	if (r < 1)
		r = 1;
	return r > n ? n : r;
}

int nl_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}
