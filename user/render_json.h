/* JSON renderer for snapshots: the version 1 contract of DESIGN.md, one compact
 * object per call ending in a newline, so successive calls make JSON Lines.
 *
 * The model indexes vectors and matrices by node id; the JSON indexes them by the
 * node's position in "topology.nodes" (online nodes only, in that order), so a
 * machine with nodes [0,2] gets 2-element vectors. Besides the contract's fields it
 * adds (never renames) provenance: "timestamp_ns", a "sources" object, per-figure
 * "faults_unresolved" and "resident_source", "node_migrations", "diagnosis" (null,
 * with a "diagnosis_note" saying why when it was judged), and per-thread "exited" and
 * "first_touch_stack" (frames {"ip":"0x..","symbol","module"}, null when unknown). */
#ifndef NL_RENDER_JSON_H
#define NL_RENDER_JSON_H

#include <stdbool.h>
#include <stdio.h>

#include "model.h"

/* threads: include each process's "threads" array (the contract's per-thread
 * entries); false leaves the key out for compact process-only output. */
void nl_render_json(const struct nl_snapshot *s, FILE *out, bool threads);

#endif
