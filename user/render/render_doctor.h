/* doctor's findings as text (most severe first, each with evidence and fix) and as
 * JSON: {"version": 1, "findings": [{"id", "severity", "title", "evidence", "fix",
 * "pid"}]} (DESIGN.md's doctor contract; "pid", 0 for the machine, is added). */
#ifndef NL_RENDER_DOCTOR_H
#define NL_RENDER_DOCTOR_H

#include <stdio.h>

#include "analyze/doctor.h"

/* header: one line saying what was observed ("pid 42 (app) for 3.0 s on 2 nodes"). */
void nl_render_doctor_text(const struct nl_findings *f, const char *header, FILE *out);
void nl_render_doctor_json(const struct nl_findings *f, FILE *out);

#endif
