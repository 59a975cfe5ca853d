#include "common/util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

static void vmsg(const char *kind, const char *fmt, va_list ap)
{
	fprintf(stderr, "numalens: %s", kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void nl_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void nl_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

int nl_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	/* strtoull skips blanks and accepts a sign (" -1" would wrap to 2^64-1): digits only. */
	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int nl_parse_int(const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	/* strtol skips leading blanks and accepts '+': a strict parser takes neither. */
	if (!s || !(*s == '-' || (*s >= '0' && *s <= '9')))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

int nl_parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !(*s == '.' || (*s >= '0' && *s <= '9')))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v <= 0 || v > 1e7)
		return -1;
	*out = v;
	return 0;
}

char *nl_path(const char *root, const char *path)
{
	char *p = NULL;

	if (!root || !*root || strcmp(root, "/") == 0)
		return strdup(path);
	if (asprintf(&p, "%s%s%s", root, path[0] == '/' ? "" : "/", path) < 0)
		return NULL;
	return p;
}

char *nl_read_file(const char *root, const char *path)
{
	char *full = nl_path(root, path), *buf = NULL;
	size_t len = 0, cap = 0;
	FILE *f;
	int saved;

	if (!full)
		return NULL;
	f = fopen(full, "re");
	free(full);
	if (!f)
		return NULL;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			size_t ncap = cap ? cap * 2 : 8192;
			char *nb = realloc(buf, ncap);
			if (!nb) {
				saved = ENOMEM;
				goto fail;
			}
			buf = nb;
			cap = ncap;
		}
		size_t n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0) {
			if (ferror(f)) {
				saved = errno ? errno : EIO;
				goto fail;
			}
			break;
		}
	}
	fclose(f);
	buf[len] = '\0';
	while (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	return buf;
fail:
	fclose(f);
	free(buf);
	errno = saved;
	return NULL;
}

int nl_read_u64(const char *root, const char *path, uint64_t *out)
{
	char *s = nl_read_file(root, path);
	int ret;

	if (!s)
		return -1;
	ret = nl_parse_u64(s, out);
	free(s);
	return ret;
}

int nl_read_comm(uint32_t pid, uint32_t tid, char *buf, size_t len)
{
	char path[64], *s;

	if (tid)
		snprintf(path, sizeof(path), "/proc/%u/task/%u/comm", pid, tid);
	else
		snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	if (len)
		buf[0] = '\0';
	s = nl_read_file(NULL, path);
	if (!s)
		return -1;
	snprintf(buf, len, "%s", s);
	free(s);
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

int nl_parse_cpulist(const char *s, int **out)
{
	int *v = NULL, n = 0, cap = 0;
	const char *p = s;

	*out = NULL;
	while (*p == ' ' || *p == '\n')
		p++;
	while (*p) {
		char *end;
		long a, b;

		/* strtol would take blanks and signs ("1,-2", "1-+3"): digits only here. */
		if (*p < '0' || *p > '9')
			goto bad;
		errno = 0;
		a = strtol(p, &end, 10);
		if (end == p || errno || a < 0 || a > 1 << 20)
			goto bad;
		b = a;
		p = end;
		if (*p == '-') {
			p++;
			if (*p < '0' || *p > '9')
				goto bad;
			b = strtol(p, &end, 10);
			if (end == p || errno || b < a || b > 1 << 20)
				goto bad;
			p = end;
		}
		for (long c = a; c <= b; c++) {
			if (n == cap) {
				int ncap = cap ? cap * 2 : 16;
				int *nv = realloc(v, ncap * sizeof(*v));
				if (!nv)
					goto bad;
				v = nv;
				cap = ncap;
			}
			v[n++] = (int)c;
		}
		if (*p == ',') {
			p++;
			if (!*p) /* "1," */
				goto bad;
		} else if (*p == '\n' || *p == ' ') {
			break;
		} else if (*p) {
			goto bad;
		}
	}
	/* Only trailing blanks may follow: "0 garbage" is not a cpulist. */
	while (*p == ' ' || *p == '\n')
		p++;
	if (*p)
		goto bad;
	if (n > 1) /* qsort must not get NULL, which an empty list has */
		qsort(v, n, sizeof(*v), cmp_int);
	*out = v;
	return n;
bad:
	free(v);
	return -1;
}

char *nl_format_cpulist(const int *v, int n, char *buf, size_t len)
{
	size_t off = 0;

	if (len)
		buf[0] = '\0';
	for (int i = 0; i < n && off < len; i++) {
		int j = i;
		while (j + 1 < n && v[j + 1] == v[j] + 1)
			j++;
		int w = j > i ? snprintf(buf + off, len - off, "%s%d-%d", off ? "," : "", v[i], v[j])
			      : snprintf(buf + off, len - off, "%s%d", off ? "," : "", v[i]);
		if (w < 0)
			break;
		off += (size_t)w;
		i = j;
	}
	return buf;
}

int nl_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int nl_grow(void *vp, size_t *cap, size_t n, size_t elem)
{
	void **v = vp;
	size_t ncap;
	void *nv;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	if (ncap > SIZE_MAX / elem || !(nv = realloc(*v, ncap * elem)))
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

uint64_t nl_now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void nl_appendf(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}
