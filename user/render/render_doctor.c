/* doctor's findings as text and JSON (render_doctor.h). */
#include <string.h>

#include "render/json.h"
#include "render/render_doctor.h"

#define WIDTH 100

/* Writes text after a label, wrapped at WIDTH columns at spaces, continuation lines
 * indented under the text: long evidence stays readable on a terminal. */
static void wrapped(FILE *out, const char *label, const char *text)
{
	size_t indent = strlen(label), col = indent;

	fputs(label, out);
	while (*text) {
		size_t word = strcspn(text, " ");

		if (col > indent && col + 1 + word > WIDTH) {
			fprintf(out, "\n%*s", (int)indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', out);
			col++;
		}
		fwrite(text, 1, word, out);
		col += word;
		text += word;
		text += strspn(text, " ");
	}
	fputc('\n', out);
}

void nl_render_doctor_text(const struct nl_findings *f, const char *header, FILE *out)
{
	size_t counts[3] = { 0, 0, 0 };

	for (size_t i = 0; i < f->n; i++)
		counts[f->v[i].sev]++;
	fprintf(out, "numalens doctor: %s\n", header);
	fprintf(out, "%zu finding%s: %zu critical, %zu warning, %zu info\n", f->n,
		f->n == 1 ? "" : "s", counts[NL_SEV_CRITICAL], counts[NL_SEV_WARNING],
		counts[NL_SEV_INFO]);
	for (size_t i = 0; i < f->n; i++) {
		const struct nl_finding *x = &f->v[i];

		fprintf(out, "\n[%s] %s: %s\n", nl_severity_name(x->sev), x->id, x->title);
		wrapped(out, "  evidence: ", x->evidence);
		wrapped(out, "  fix:      ", x->fix);
	}
	if (!f->n)
		fprintf(out, "\nNothing to fix: no rule fired.\n");
}

void nl_render_doctor_json(const struct nl_findings *f, FILE *out)
{
	struct nl_json j;

	nl_json_init(&j, out, false);
	nl_json_obj_begin(&j);
	nl_json_ku64(&j, "version", 1);
	nl_json_key(&j, "findings");
	nl_json_arr_begin(&j);
	for (size_t i = 0; i < f->n; i++) {
		const struct nl_finding *x = &f->v[i];

		nl_json_obj_begin(&j);
		nl_json_kstr(&j, "id", x->id);
		nl_json_kstr(&j, "severity", nl_severity_name(x->sev));
		nl_json_kstr(&j, "title", x->title);
		nl_json_kstr(&j, "evidence", x->evidence);
		nl_json_kstr(&j, "fix", x->fix);
		nl_json_ku64(&j, "pid", x->pid);
		nl_json_obj_end(&j);
	}
	nl_json_arr_end(&j);
	nl_json_obj_end(&j);
	nl_json_end(&j);
}
