/* Nearest rank and quickselect (analyze/quantile.h). */
#include "analyze/quantile.h"

#include <sys/types.h>

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

static uint64_t median3(uint64_t a, uint64_t b, uint64_t c)
{
	if (a > b) {
		uint64_t t = a;
		a = b;
		b = t;
	}
	/* now a <= b: the median is b, or the larger of a and c */
	if (c >= b)
		return b;
	return c > a ? c : a;
}

/* Hoare's FIND (Wirth's form). The pivot is the median of three values of the range,
 * so the scans always stop inside it; signed indexes because j runs below lo. */
uint64_t nl_select_u64(uint64_t *v, size_t n, size_t k)
{
	ssize_t lo = 0, hi = (ssize_t)n - 1, kk = (ssize_t)k;

	while (lo < hi) {
		uint64_t pivot = median3(v[lo], v[kk], v[hi]);
		ssize_t i = lo, j = hi;

		do {
			while (v[i] < pivot)
				i++;
			while (pivot < v[j])
				j--;
			if (i <= j) {
				uint64_t t = v[i];
				v[i] = v[j];
				v[j] = t;
				i++;
				j--;
			}
		} while (i <= j);
		if (j < kk)
			lo = i;
		if (kk < i)
			hi = j;
	}
	return v[k];
}
