/* Node-by-node matrices ([cpu node][page node], [from][to]) sized by the nodes in use.
 * A machine can have up to NL_MAX_NODES (64) nodes, and a dense 64 x 64 matrix is
 * 32 KiB: four of them in every thread's counts would make a 16 384-thread table 2 GiB.
 * So a matrix holds the square of the highest node id it has seen, and grows when a
 * count arrives for a higher one: 2 nodes take 32 bytes, 16 nodes 2 KiB.
 *
 * A zeroed struct is an empty matrix (every cell 0, nothing allocated). Growing
 * allocates; running out of memory ends the program (nl_mat_* never return errors: a
 * tool that cannot allocate a few KiB cannot go on, and checking at each of the many
 * counting sites would hide the counting). */
#ifndef NL_MATRIX_H
#define NL_MATRIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "numalens.h" /* NL_MAX_NODES */

struct nl_mat {
	uint32_t n;  /* rows = columns; 0: empty */
	uint64_t *v; /* n * n cells, row-major */
};

/* The cell [i][j]; 0 outside the matrix. */
static inline uint64_t nl_mat_at(const struct nl_mat *m, unsigned i, unsigned j)
{
	return i < m->n && j < m->n ? m->v[(size_t)i * m->n + j] : 0;
}

/* Adds v to / sets [i][j], growing the matrix. A node id >= NL_MAX_NODES is a caller
 * bug the parsers already refuse: it is ignored, and so is a 0 outside the matrix. */
void nl_mat_add(struct nl_mat *m, unsigned i, unsigned j, uint64_t v);
void nl_mat_set(struct nl_mat *m, unsigned i, unsigned j, uint64_t v);
/* Every cell of s added into d. */
void nl_mat_add_all(struct nl_mat *d, const struct nl_mat *s);
/* d = now - before per cell, floored at 0 (d's old cells freed). Returns whether any
 * cell is non-zero. */
bool nl_mat_sub(struct nl_mat *d, const struct nl_mat *now, const struct nl_mat *before);
/* d = a deep copy of s (d's old cells freed). */
void nl_mat_copy(struct nl_mat *d, const struct nl_mat *s);
/* Every cell 0, the size kept (for counts that are set again at each read). */
void nl_mat_zero(struct nl_mat *m);
void nl_mat_free(struct nl_mat *m);

uint64_t nl_mat_sum(const struct nl_mat *m);
/* The sum of each column (per page node) and of each row (per CPU node) into
 * out[NL_MAX_NODES], which is cleared first. */
void nl_mat_columns(const struct nl_mat *m, uint64_t out[NL_MAX_NODES]);
void nl_mat_rows(const struct nl_mat *m, uint64_t out[NL_MAX_NODES]);

#endif
