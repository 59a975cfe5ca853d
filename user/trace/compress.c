/* zstd and zlib behind the chunk kinds of format.h. */
#include "trace/compress.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "trace/format.h"

#define ZSTD_DEFAULT_LEVEL 3
#define ZLIB_DEFAULT_LEVEL 6
/* deflate's best case is 258 bytes from one length/distance pair of 2 bits, about
 * 1032:1 (zlib's own "zlib technical details"); a stream header is 2 + 4 bytes. */
#define ZLIB_MAX_RATIO 1032

struct nl_zctx {
	ZSTD_CCtx *cc;
	ZSTD_DCtx *dc;
};

struct nl_zctx *nl_zctx_new(void)
{
	return calloc(1, sizeof(struct nl_zctx));
}

void nl_zctx_free(struct nl_zctx *z)
{
	if (!z)
		return;
	ZSTD_freeCCtx(z->cc);
	ZSTD_freeDCtx(z->dc);
	free(z);
}

size_t nl_chunk_bound(uint32_t kind, size_t raw_len)
{
	switch (kind) {
	case NL_CHUNK_NONE:
		return raw_len;
	case NL_CHUNK_ZLIB:
		return compressBound((uLong)raw_len);
	case NL_CHUNK_ZSTD:
		return ZSTD_compressBound(raw_len);
	default:
		return 0;
	}
}

bool nl_chunk_level_ok(uint32_t kind, int level)
{
	switch (kind) {
	case NL_CHUNK_ZLIB:
		return level >= 0 && level <= 9;
	case NL_CHUNK_ZSTD:
		return level >= ZSTD_minCLevel() && level <= ZSTD_maxCLevel();
	default:
		return true;
	}
}

static long zstd_compress(struct nl_zctx *z, int level, const void *raw, size_t raw_len,
			  void *dst, size_t cap)
{
	size_t n;

	if (!z->cc && !(z->cc = ZSTD_createCCtx()))
		return -ENOMEM;
	/* ZSTD_compressCCtx writes the content size into the frame header, which the
	 * reader checks against the chunk header before it allocates. */
	n = ZSTD_compressCCtx(z->cc, dst, cap, raw, raw_len, level ? level : ZSTD_DEFAULT_LEVEL);
	return ZSTD_isError(n) ? -EIO : (long)n;
}

static long zlib_compress(int level, const void *raw, size_t raw_len, void *dst, size_t cap)
{
	uLongf n = (uLongf)cap;

	if (compress2(dst, &n, raw, (uLong)raw_len, level ? level : ZLIB_DEFAULT_LEVEL) != Z_OK)
		return -EIO;
	return (long)n;
}

long nl_chunk_compress(struct nl_zctx *z, uint32_t kind, int level, const void *raw,
		       size_t raw_len, void *dst, size_t cap)
{
	switch (kind) {
	case NL_CHUNK_NONE:
		if (cap < raw_len)
			return -ENOSPC;
		memcpy(dst, raw, raw_len);
		return (long)raw_len;
	case NL_CHUNK_ZLIB:
		return zlib_compress(level, raw, raw_len, dst, cap);
	case NL_CHUNK_ZSTD:
		return zstd_compress(z, level, raw, raw_len, dst, cap);
	default:
		return -EINVAL;
	}
}

int nl_chunk_plausible(uint32_t kind, const void *src, size_t stored_len, size_t raw_len,
		       char *why, size_t len)
{
	unsigned long long size;

	switch (kind) {
	case NL_CHUNK_NONE:
		if (stored_len == raw_len)
			return 0;
		snprintf(why, len, "uncompressed chunk of %zu bytes stores %zu", raw_len, stored_len);
		return -EBADMSG;
	case NL_CHUNK_ZLIB:
		if (raw_len / ZLIB_MAX_RATIO <= stored_len)
			return 0;
		snprintf(why, len, "%zu zlib bytes cannot hold %zu", stored_len, raw_len);
		return -EBADMSG;
	case NL_CHUNK_ZSTD:
		size = ZSTD_getFrameContentSize(src, stored_len);
		if (size == raw_len)
			return 0;
		snprintf(why, len, "zstd frame holds %lld bytes, the chunk header says %zu",
			 size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR
				 ? -1LL : (long long)size, raw_len);
		return -EBADMSG;
	default:
		snprintf(why, len, "unknown compression %u", kind);
		return -EBADMSG;
	}
}

static int zstd_decompress(struct nl_zctx *z, const void *src, size_t stored_len, void *raw,
			   size_t raw_len, char *why, size_t len)
{
	size_t n;

	if (!z->dc && !(z->dc = ZSTD_createDCtx())) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	/* One shot into a buffer of exactly raw_len: zstd decodes into it as its window
	 * and stops with an error rather than write past it. */
	n = ZSTD_decompressDCtx(z->dc, raw, raw_len, src, stored_len);
	if (ZSTD_isError(n)) {
		snprintf(why, len, "zstd: %s", ZSTD_getErrorName(n));
		return -EBADMSG;
	}
	if (n != raw_len) {
		snprintf(why, len, "zstd gave %zu bytes, not %zu", n, raw_len);
		return -EBADMSG;
	}
	return 0;
}

static int zlib_decompress(const void *src, size_t stored_len, void *raw, size_t raw_len,
			   char *why, size_t len)
{
	uLongf n = (uLongf)raw_len;
	uLong in = (uLong)stored_len;
	int rc = uncompress2(raw, &n, src, &in);

	if (rc != Z_OK) {
		snprintf(why, len, "zlib: %s", rc == Z_BUF_ERROR ? "more data than the chunk header says, or cut"
					       : rc == Z_MEM_ERROR ? "out of memory" : "corrupt stream");
		return rc == Z_MEM_ERROR ? -ENOMEM : -EBADMSG;
	}
	if (n != raw_len || in != stored_len) {
		snprintf(why, len, "zlib gave %lu bytes from %lu, not %zu from %zu", (unsigned long)n,
			 (unsigned long)in, raw_len, stored_len);
		return -EBADMSG;
	}
	return 0;
}

int nl_chunk_decompress(struct nl_zctx *z, uint32_t kind, const void *src, size_t stored_len,
			void *raw, size_t raw_len, char *why, size_t len)
{
	switch (kind) {
	case NL_CHUNK_NONE:
		memcpy(raw, src, raw_len);
		return 0;
	case NL_CHUNK_ZLIB:
		return zlib_decompress(src, stored_len, raw, raw_len, why, len);
	case NL_CHUNK_ZSTD:
		return zstd_decompress(z, src, stored_len, raw, raw_len, why, len);
	default:
		snprintf(why, len, "unknown compression %u", kind);
		return -EBADMSG;
	}
}
