/* JSON renderer for snapshots: the version 1 contract of DESIGN.md, one compact
 * object per call ending in a newline, so successive calls make JSON Lines.
 *
 * The model indexes vectors and matrices by node id; the JSON indexes them by the
 * node's position in "topology.nodes" (online nodes only, in that order), so a
 * machine with nodes [0,2] gets 2-element vectors. Besides the contract's fields it
 * adds (never renames) provenance: "timestamp_ns", a "sources" object, per-figure
 * "faults_unresolved" and "resident_source", "faults_mapped" (the faults that mapped a
 * page already there, a subset of "faults"; sources.mapped_faults), per process
 * "resident_huge_pages"/"resident_huge_kb" (the hugetlb pool's pages among
 * resident_pages, by node), "node_migrations", "diagnosis" (null,
 * with a "diagnosis_note" saying why when it was judged), and per-thread "exited" and
 * "first_touch_stack" (frames {"ip":"0x..","symbol","module"}, null when unknown).
 *
 * AutoNUMA additions: top level "autonuma" (the state sentence, null when the
 * AutoNUMA programs did not run) and "vmstat_check" (this window's /proc/vmstat deltas
 * vs the BPF totals, with "disagree" and "note"; null plus "vmstat_check_note" when
 * /proc/vmstat could not be compared). Per process and thread: hint_local, hint_pages,
 * hint_migrated_pages, hint_migrate_fail, migrate_fail, "migrations_by_reason"
 * ({reason: {pages, fail, stall_ns}}, non-zero reasons only),
 * "migrate_stall_hist_log2ns" ({bucket lower bound in ns: calls}, non-zero buckets
 * only; bucket b is [2^b, 2^(b+1)) ns), numa_task_swaps, numa_task_sticks,
 * "tlb_shootdowns" ({reason: n}, non-zero only), tlb_autonuma_sent/recv, ipi_count,
 * ipi_ns, ipi_autonuma_ns, numa_scan_count, numa_scan_ns, and
 * "resident_remote_ratio": an ESTIMATE (residency x sched, described under
 * sources.resident_remote_ratio), null when residency is unknown or there was no
 * CPU time. The per-interval trend the table shows is not in the JSON: each line is
 * one interval already. */
#ifndef NL_RENDER_JSON_H
#define NL_RENDER_JSON_H

#include <stdbool.h>
#include <stdio.h>

#include "model/model.h"

/* threads: include each process's "threads" array (the contract's per-thread
 * entries); false leaves the key out for compact process-only output. */
void nl_render_json(const struct nl_snapshot *s, FILE *out, bool threads);

/* Requests (--request/--usdt). A snapshot with rq.valid gets a "requests" object:
 * count, exited, p50/p90/p99/p999_ns ("from": "requests" when computed exactly from
 * the finished requests, "histogram" when from BPF's log-linear histogram, upper
 * bucket edges), "lost" counters, and with analysed requests a "tail" object: the
 * requests above p99, their summed causes_ns, the median request's causes, each
 * cause's share of the tail's excess latency over the median request,
 * explained_share, and in a report the windows where tail requests cluster with
 * AutoNUMA activity (seconds from the recording's start). */
struct nl_json;
void nl_render_json_requests(struct nl_json *j, const struct nl_snapshot *s);
/* One request as one JSON line: tid, pid, start_ns (CLOCK_MONOTONIC of the recording
 * machine), latency_ns, causes_ns {on_cpu, hint_fault, migrate_stall, tlb_ipi,
 * numa_move, runq_wait, off_cpu, reclaim} (they sum to latency_ns), the migrate stall
 * by reason, counts, and whether it was cut by its thread's exit. */
void nl_render_json_request(FILE *out, const struct nl_request *r, const struct nl_enum_names *names);

#endif
