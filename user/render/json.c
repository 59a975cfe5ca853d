#include "render/json.h"

#include <inttypes.h>
#include <math.h>

void nl_json_init(struct nl_json *j, FILE *out, bool pretty)
{
	j->out = out;
	j->pretty = pretty;
	j->depth = 0;
	j->first[0] = true;
	j->after_key = false;
}

static void indent(struct nl_json *j)
{
	if (!j->pretty)
		return;
	fputc('\n', j->out);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->out);
}

/* Separator before a value or key at the current depth. */
static void before_item(struct nl_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (!j->first[j->depth])
		fputc(',', j->out);
	j->first[j->depth] = false;
	if (j->depth > 0)
		indent(j);
}

static void open(struct nl_json *j, char c)
{
	before_item(j);
	fputc(c, j->out);
	if (j->depth + 1 < NL_JSON_MAX_DEPTH)
		j->depth++;
	j->first[j->depth] = true;
}

static void close(struct nl_json *j, char c)
{
	bool empty = j->first[j->depth];
	if (j->depth > 0)
		j->depth--;
	if (!empty)
		indent(j);
	fputc(c, j->out);
}

void nl_json_obj_begin(struct nl_json *j) { open(j, '{'); }
void nl_json_obj_end(struct nl_json *j) { close(j, '}'); }
void nl_json_arr_begin(struct nl_json *j) { open(j, '['); }
void nl_json_arr_end(struct nl_json *j) { close(j, ']'); }

static void write_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (*p < 0x20)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

void nl_json_key(struct nl_json *j, const char *key)
{
	before_item(j);
	write_string(j->out, key);
	fputs(j->pretty ? ": " : ":", j->out);
	j->after_key = true;
}

void nl_json_str(struct nl_json *j, const char *s)
{
	before_item(j);
	write_string(j->out, s);
}

void nl_json_u64(struct nl_json *j, uint64_t v)
{
	before_item(j);
	fprintf(j->out, "%" PRIu64, v);
}

void nl_json_i64(struct nl_json *j, int64_t v)
{
	before_item(j);
	fprintf(j->out, "%" PRId64, v);
}

void nl_json_double(struct nl_json *j, double v)
{
	before_item(j);
	if (!isfinite(v))
		fputs("null", j->out);
	else
		fprintf(j->out, "%.6g", v);
}

void nl_json_bool(struct nl_json *j, bool v)
{
	before_item(j);
	fputs(v ? "true" : "false", j->out);
}

void nl_json_null(struct nl_json *j)
{
	before_item(j);
	fputs("null", j->out);
}

void nl_json_end(struct nl_json *j)
{
	fputc('\n', j->out);
	fflush(j->out);
	j->first[0] = true;
}

void nl_json_kstr(struct nl_json *j, const char *k, const char *s) { nl_json_key(j, k); nl_json_str(j, s); }
void nl_json_ku64(struct nl_json *j, const char *k, uint64_t v) { nl_json_key(j, k); nl_json_u64(j, v); }
void nl_json_ki64(struct nl_json *j, const char *k, int64_t v) { nl_json_key(j, k); nl_json_i64(j, v); }
void nl_json_kdouble(struct nl_json *j, const char *k, double v) { nl_json_key(j, k); nl_json_double(j, v); }
void nl_json_kbool(struct nl_json *j, const char *k, bool v) { nl_json_key(j, k); nl_json_bool(j, v); }
