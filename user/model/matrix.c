#include "model/matrix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *alloc_or_die(size_t n)
{
	void *p = calloc(n, 1);

	if (!p) {
		fprintf(stderr, "numalens: out of memory (%zu bytes for a node matrix)\n", n);
		exit(1);
	}
	return p;
}

/* Makes m at least `need` nodes square, keeping its cells where they were. */
static void grow(struct nl_mat *m, uint32_t need)
{
	if (need <= m->n)
		return;
	uint64_t *v = alloc_or_die((size_t)need * need * sizeof(*v));

	for (uint32_t i = 0; i < m->n; i++)
		memcpy(&v[(size_t)i * need], &m->v[(size_t)i * m->n], m->n * sizeof(*v));
	free(m->v);
	m->v = v;
	m->n = need;
}

static bool fits(struct nl_mat *m, unsigned i, unsigned j, uint64_t v)
{
	if (i >= NL_MAX_NODES || j >= NL_MAX_NODES)
		return false;
	if (i >= m->n || j >= m->n) {
		if (!v)
			return false;
		grow(m, (i > j ? i : j) + 1);
	}
	return true;
}

void nl_mat_add(struct nl_mat *m, unsigned i, unsigned j, uint64_t v)
{
	if (fits(m, i, j, v))
		m->v[(size_t)i * m->n + j] += v;
}

void nl_mat_set(struct nl_mat *m, unsigned i, unsigned j, uint64_t v)
{
	if (fits(m, i, j, v))
		m->v[(size_t)i * m->n + j] = v;
}

void nl_mat_add_all(struct nl_mat *d, const struct nl_mat *s)
{
	for (uint32_t i = 0; i < s->n; i++)
		for (uint32_t j = 0; j < s->n; j++)
			nl_mat_add(d, i, j, s->v[(size_t)i * s->n + j]);
}

bool nl_mat_sub(struct nl_mat *d, const struct nl_mat *now, const struct nl_mat *before)
{
	bool any = false;

	nl_mat_free(d);
	for (uint32_t i = 0; i < now->n; i++)
		for (uint32_t j = 0; j < now->n; j++) {
			uint64_t a = now->v[(size_t)i * now->n + j], b = nl_mat_at(before, i, j);

			if (a > b) {
				nl_mat_set(d, i, j, a - b);
				any = true;
			}
		}
	return any;
}

void nl_mat_copy(struct nl_mat *d, const struct nl_mat *s)
{
	if (d == s)
		return;
	nl_mat_free(d);
	if (!s->n)
		return;
	d->v = alloc_or_die((size_t)s->n * s->n * sizeof(*d->v));
	memcpy(d->v, s->v, (size_t)s->n * s->n * sizeof(*d->v));
	d->n = s->n;
}

void nl_mat_zero(struct nl_mat *m)
{
	if (m->n)
		memset(m->v, 0, (size_t)m->n * m->n * sizeof(*m->v));
}

void nl_mat_free(struct nl_mat *m)
{
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

uint64_t nl_mat_sum(const struct nl_mat *m)
{
	uint64_t s = 0;

	for (size_t k = 0; k < (size_t)m->n * m->n; k++)
		s += m->v[k];
	return s;
}

void nl_mat_columns(const struct nl_mat *m, uint64_t out[NL_MAX_NODES])
{
	memset(out, 0, NL_MAX_NODES * sizeof(*out));
	for (uint32_t i = 0; i < m->n; i++)
		for (uint32_t j = 0; j < m->n; j++)
			out[j] += m->v[(size_t)i * m->n + j];
}

void nl_mat_rows(const struct nl_mat *m, uint64_t out[NL_MAX_NODES])
{
	memset(out, 0, NL_MAX_NODES * sizeof(*out));
	for (uint32_t i = 0; i < m->n; i++)
		for (uint32_t j = 0; j < m->n; j++)
			out[i] += m->v[(size_t)i * m->n + j];
}
