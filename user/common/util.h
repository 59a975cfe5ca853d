/* Small helpers every part of the loader uses: error messages, strict number parsing,
 * and reading files under a root directory (so tests can point at fixture trees). */
#ifndef NL_UTIL_H
#define NL_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <time.h>

#define NL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* "numalens: <message>" on stderr. */
void nl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void nl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Appends to the NUL-terminated text in buf (a no-op once it is full). */
void nl_appendf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Strict parsers: the whole string must be a number in range; 0 on success, -1 if not. */
int nl_parse_u64(const char *s, uint64_t *out);
int nl_parse_int(const char *s, int min, int max, int *out);
/* Seconds with an optional fraction ("2", "0.5"); > 0. */
int nl_parse_seconds(const char *s, double *out);

/* Joins root and path ("/" or NULL root means the real system). Caller frees. */
char *nl_path(const char *root, const char *path);
/* Reads a whole small file under root into a NUL-terminated malloc'd buffer, trailing
 * newline stripped. NULL with errno set on failure. */
char *nl_read_file(const char *root, const char *path);
/* Reads one unsigned integer from a file under root; -1 on failure. */
int nl_read_u64(const char *root, const char *path, uint64_t *out);

/* The comm of /proc/PID (tid 0) or /proc/PID/task/TID into buf: 0, or -1 with buf "". */
int nl_read_comm(uint32_t pid, uint32_t tid, char *buf, size_t len);

/* Parses a kernel cpulist ("0-3,8,10-11") into a sorted malloc'd array. Returns the
 * count, or -1 on malformed input. An empty string gives 0 and *out = NULL. */
int nl_parse_cpulist(const char *s, int **out);
/* Formats an int array as a cpulist ("0-3,8"). Returns buf. */
char *nl_format_cpulist(const int *v, int n, char *buf, size_t len);

/* Writes all of buf to fd, retrying short writes and EINTR: 0, or -1 with errno set. */
int nl_write_all(int fd, const void *buf, size_t len);

/* clk (CLOCK_MONOTONIC, CLOCK_REALTIME) in ns. */
uint64_t nl_now_ns(clockid_t clk);

/* Room for element n of the array *vp (elem bytes each, *cap allocated): when n ==
 * *cap the array doubles (first 64). 0, or -ENOMEM with the array as it was. */
int nl_grow(void *vp, size_t *cap, size_t n, size_t elem);

#endif
