/* A small streaming JSON writer: it tracks nesting so callers never place commas,
 * and escapes strings per RFC 8259. Output is compact (one line) unless pretty. */
#ifndef NL_JSON_H
#define NL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define NL_JSON_MAX_DEPTH 32

struct nl_json {
	FILE *out;
	bool pretty;
	int depth;
	bool first[NL_JSON_MAX_DEPTH]; /* no element written yet at this depth */
	bool after_key;
};

void nl_json_init(struct nl_json *j, FILE *out, bool pretty);
void nl_json_obj_begin(struct nl_json *j);
void nl_json_obj_end(struct nl_json *j);
void nl_json_arr_begin(struct nl_json *j);
void nl_json_arr_end(struct nl_json *j);
void nl_json_key(struct nl_json *j, const char *key);
void nl_json_str(struct nl_json *j, const char *s);
void nl_json_u64(struct nl_json *j, uint64_t v);
void nl_json_i64(struct nl_json *j, int64_t v);
/* Non-finite doubles are written as null. */
void nl_json_double(struct nl_json *j, double v);
void nl_json_bool(struct nl_json *j, bool v);
void nl_json_null(struct nl_json *j);
/* Ends the document with a newline (one object per line for JSON Lines). */
void nl_json_end(struct nl_json *j);

/* key + value shorthands */
void nl_json_kstr(struct nl_json *j, const char *key, const char *s);
void nl_json_ku64(struct nl_json *j, const char *key, uint64_t v);
void nl_json_ki64(struct nl_json *j, const char *key, int64_t v);
void nl_json_kdouble(struct nl_json *j, const char *key, double v);
void nl_json_kbool(struct nl_json *j, const char *key, bool v);

#endif
