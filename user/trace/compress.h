/* Chunk compression: zstd, zlib or none, one call per chunk. The contexts are kept
 * between chunks (a zstd context costs more to make than a 1 MiB chunk to compress). */
#ifndef NL_TRACE_COMPRESS_H
#define NL_TRACE_COMPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nl_zctx;

struct nl_zctx *nl_zctx_new(void);
void nl_zctx_free(struct nl_zctx *z);

/* The most bytes kind can turn raw_len bytes into; 0 for an unknown kind. */
size_t nl_chunk_bound(uint32_t kind, size_t raw_len);
/* Whether level is one kind takes (0, the default, always is). */
bool nl_chunk_level_ok(uint32_t kind, int level);
/* Compresses raw into dst (room for nl_chunk_bound bytes). level 0: the kind's
 * default. The stored length, or a negative errno. */
long nl_chunk_compress(struct nl_zctx *z, uint32_t kind, int level, const void *raw,
		       size_t raw_len, void *dst, size_t cap);
/* Whether stored_len bytes of kind can hold raw_len bytes, from what the stored bytes
 * say (a zstd frame's content size, deflate's best ratio): checked before the raw
 * buffer is allocated, so a chunk cannot claim 64 MiB out of nothing. 0, or < 0 and why. */
int nl_chunk_plausible(uint32_t kind, const void *src, size_t stored_len, size_t raw_len,
		       char *why, size_t len);
/* Decompresses exactly raw_len bytes: 0, or < 0 and why. */
int nl_chunk_decompress(struct nl_zctx *z, uint32_t kind, const void *src, size_t stored_len,
			void *raw, size_t raw_len, char *why, size_t len);

#endif
