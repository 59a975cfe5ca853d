/* numalens doctor: observes a process, a cgroup, a started command or the whole
 * machine for a short window with the session engine, then judges what it saw and
 * what the machine is (topology, devices, huge pages) with doctor's rules
 * (analyze/doctor.h) and prints the findings, most severe first, each with its
 * evidence and fix. --root DIR judges only a machine's topology under DIR (no window,
 * no privileges): that is how the topology rules run on fixture trees.
 *
 * Exit status: 0 when doctor ran (whatever it found), 1 when it could not observe
 * (not root, no BTF, no such process, unreadable root), 2 for bad usage. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/diagnose.h"
#include "analyze/doctor.h"
#include "analyze/requests.h"
#include "analyze/top_diag.h"
#include "cli/commands.h"
#include "cli/request_opts.h"
#include "collect/kfeatures.h"
#include "common/util.h"
#include "engine/session.h"
#include "model/accum.h"
#include "render/render_doctor.h"
#include "sysinfo/machine.h"
#include "sysinfo/topology.h"

struct doctor_opts {
	uint32_t pid;
	const char *cgroup;
	char **cmd;
	double duration;
	bool latency;
	bool json;
	bool verbose;
	const char *root;
	struct nl_cli_request rq; /* --request/--usdt/--syscalls: the p99 and its causes */
};

struct doctor {
	struct doctor_opts o;
	struct nl_session sess;
	struct nl_view view;
	struct nl_accum acc;        /* the window: every interval added up */
	struct nl_numastat ns_first[NL_MAX_NODES];
	uint64_t ns_first_mono;
	bool have_ns_first;
	struct nl_request_set rq;   /* the window's finished requests */
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: numalens doctor [-p PID | -G CGROUP | -- CMD [ARGS...]] [-d SEC]\n"
		"                       [--latency-sensitive] [--json] [--root DIR]\n"
		"\n"
		"Observes for a short window, then says what is wrong with NUMA placement, with\n"
		"the evidence (numbers and their source), the expected cost from the distance\n"
		"matrix, and the exact command or code change that fixes it. Most severe first.\n"
		"Rules: first_touch_bug, remote_bind, policy_mismatch, numa_miss,\n"
		"autonuma_latency, unpinned_threads, device_remote, hugepages_placement,\n"
		"single_node.\n"
		"\n"
		"  -p, --pid PID        judge this process\n"
		"  -G, --cgroup PATH    judge the tasks of this cgroup v2 directory\n"
		"  -- CMD [ARGS...]     start CMD and judge it with the processes it forks (CMD\n"
		"                       gets SIGTERM at the end)\n"
		"  -d, --duration SEC   the window (default 3)\n"
		"      --latency-sensitive  the process serves latency-bound requests: judge\n"
		"                       AutoNUMA and interleaved or spread memory against it\n"
		NL_REQUEST_OPTS_HELP
		"                       (the process is latency-sensitive then, and\n"
		"                       autonuma_latency gives the window's p99 and the share of\n"
		"                       its tail that AutoNUMA's causes explain)\n"
		"      --json           {\"version\": 1, \"findings\": [{\"id\", \"severity\",\n"
		"                       \"title\", \"evidence\", \"fix\", \"pid\"}]}\n"
		"      --root DIR       judge only the machine whose sys/ and proc/ are under DIR\n"
		"                       (no window; for fixture trees)\n"
		"  -v, --verbose        libbpf messages on stderr\n"
		"  -h, --help           this text\n"
		"\n"
		"Without -p, -G or CMD every process is judged. Exit status: 0 when doctor ran\n"
		"(whatever it found), 1 when it could not observe, 2 for bad usage. Needs root (or\n"
		"CAP_BPF and CAP_PERFMON) except with --root.\n");
}

static int parse_args(int argc, char **argv, struct doctor_opts *o)
{
	enum { OPT_JSON = 256, OPT_LATENCY, OPT_ROOT };
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "cgroup", required_argument, NULL, 'G' },
		{ "duration", required_argument, NULL, 'd' },
		{ "latency-sensitive", no_argument, NULL, OPT_LATENCY },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		NL_REQUEST_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	int c, v;

	*o = (struct doctor_opts){ .duration = 3.0 };
	optind = 1;
	while ((c = getopt_long(argc, argv, "+p:G:d:vh", longopts, NULL)) != -1) {
		v = nl_cli_request_option("doctor", c, optarg, &o->rq);
		if (v < 0)
			return -1;
		if (v > 0) {
			o->latency = true; /* requests with a latency: it is latency-sensitive */
			continue;
		}
		switch (c) {
		case 'p':
			if (nl_parse_int(optarg, 1, INT_MAX, &v)) {
				nl_err("doctor: -p wants a process id, not '%s'", optarg);
				return -1;
			}
			o->pid = (uint32_t)v;
			break;
		case 'G': o->cgroup = optarg; break;
		case 'd':
			if (nl_parse_seconds(optarg, &o->duration)) {
				nl_err("doctor: -d wants a duration in seconds > 0, not '%s'", optarg);
				return -1;
			}
			break;
		case OPT_LATENCY: o->latency = true; break;
		case OPT_JSON: o->json = true; break;
		case OPT_ROOT: o->root = optarg; break;
		case 'v': o->verbose = true; break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc)
		o->cmd = &argv[optind];
	if (!!o->cmd + !!o->pid + !!o->cgroup > 1) {
		nl_err("doctor: -p, --cgroup and a command are exclusive: judge one of them");
		return -1;
	}
	if (o->root && (o->cmd || o->pid || o->cgroup || o->rq.set)) {
		nl_err("doctor: --root judges a machine's topology only; it takes no -p, -G or CMD");
		return -1;
	}
	return 0;
}

/* One interval into the window's sum; the first numastat read starts numa_miss's. */
static int add_interval(struct doctor *d)
{
	struct nl_snapshot s;
	int err = nl_view_interval(&d->view, NL_SAMPLE_RESIDENCY | NL_SAMPLE_NUMASTAT, &s);

	if (err) {
		nl_err("doctor: reading the collected data failed: %s", strerror(-err));
		return -1;
	}
	if (!d->have_ns_first && s.numastat_valid) {
		memcpy(d->ns_first, s.numastat, sizeof(d->ns_first));
		d->ns_first_mono = s.mono_ns;
		d->have_ns_first = true;
	}
	err = nl_accum_add(&d->acc, &s);
	nl_snapshot_free(&s);
	if (err) {
		nl_err("doctor: out of memory adding up the window");
		return -1;
	}
	return 0;
}

static int doctor_tick(void *ctx, enum nl_stop_reason why)
{
	(void)why;
	return add_interval(ctx);
}

/* What doctor reads of /proc for each process it may judge: allowed CPUs, open
 * devices, the command line for the fixes. *env is malloc'd (free it). */
static int read_envs(const struct nl_snapshot *s, const struct nl_machine *m,
		     struct nl_proc_env **env, int *nr)
{
	*nr = 0;
	*env = calloc(s->nr_procs ? (size_t)s->nr_procs : 1, sizeof(**env));
	if (!*env) {
		nl_err("doctor: out of memory");
		return -1;
	}
	for (int i = 0; i < s->nr_procs; i++) {
		struct nl_proc_env *e = &(*env)[*nr];

		if (nl_proc_env_read(NULL, s->procs[i].pid, &s->topo, m, e))
			continue; /* gone: judged on what was measured, fixes say <command> */
		if (nl_diag_read_cmdline(NULL, e->pid, e->cmdline, sizeof(e->cmdline)))
			e->cmdline[0] = '\0';
		(*nr)++;
	}
	return 0;
}

static int read_machine(const char *root, struct nl_topology *t, struct nl_machine *m)
{
	char err[PATH_MAX + 64];

	if (nl_topology_read(root, t, err, sizeof(err))) {
		nl_err("doctor: %s", err);
		return -1;
	}
	nl_machine_from_topology(t, m);
	return 0;
}

static int print_findings(const struct doctor *d, const struct nl_doctor_in *in,
			  const char *header)
{
	struct nl_findings f = { 0 };
	int rc = nl_doctor_run(in, &f);

	if (rc) {
		nl_err("doctor: out of memory judging the window");
		nl_findings_free(&f);
		return NL_EXIT_FAIL;
	}
	if (d->o.json)
		nl_render_doctor_json(&f, stdout);
	else
		nl_render_doctor_text(&f, header, stdout);
	nl_findings_free(&f);
	if (fflush(stdout) || ferror(stdout)) {
		nl_err("doctor: writing to stdout failed");
		return NL_EXIT_FAIL;
	}
	return NL_EXIT_OK;
}

/* --root: the machine's topology only. */
static int judge_root(struct doctor *d)
{
	struct nl_topology t;
	struct nl_topo_summary sum;
	struct nl_machine m;
	char header[PATH_MAX + 64];
	int rc;

	if (read_machine(d->o.root, &t, &m))
		return NL_EXIT_FAIL;
	if (nl_topology_summary(&t, &sum)) {
		nl_err("doctor: the topology under %s does not fit numalens's model", d->o.root);
		nl_topology_free(&t);
		return NL_EXIT_FAIL;
	}
	struct nl_doctor_in in = { .topo = &sum, .m = &m };
	snprintf(header, sizeof(header), "the machine under %s (topology only, %d node%s)",
		 d->o.root, sum.nr_nodes, sum.nr_nodes == 1 ? "" : "s");
	rc = print_findings(d, &in, header);
	nl_topo_summary_free(&sum);
	nl_topology_free(&t);
	return rc;
}

/* The window is over: diagnose it, read /proc, judge, print. */
static int judge_window(struct doctor *d)
{
	struct nl_snapshot *s = &d->acc.s;
	struct nl_touch_history *h = nl_touch_history_new();
	struct nl_topology t = { 0 };
	struct nl_machine m;
	struct nl_proc_env *env = NULL;
	int nr_env = 0, rc = NL_EXIT_FAIL;
	char header[512];

	if (!h || nl_top_diagnose(h, s, NULL)) {
		nl_err("doctor: out of memory diagnosing placement");
		goto out;
	}
	if (read_machine(NULL, &t, &m) || read_envs(s, &m, &env, &nr_env))
		goto out;
	struct nl_rq_summary rq;
	bool have_rq = false;
	if (d->o.rq.set) {
		if (nl_collector_drain_requests(d->sess.coll) < 0) {
			nl_err("doctor: reading the finished requests failed");
			goto out;
		}
		have_rq = nl_rq_summarize(d->rq.v, d->rq.n, &rq) == 0;
	}
	struct nl_doctor_in in = {
		.topo = &s->topo, .m = &m, .snap = s, .env = env, .nr_env = nr_env,
		.numastat_valid = d->have_ns_first && s->numastat_valid,
		.numastat_ns = s->mono_ns - d->ns_first_mono,
		.latency_sensitive = d->o.latency, .self_pid = (uint32_t)getpid(),
		.rq = have_rq ? &rq : NULL,
	};
	memcpy(in.ns_before, d->ns_first, sizeof(in.ns_before));
	memcpy(in.ns_after, s->numastat, sizeof(in.ns_after));
	snprintf(header, sizeof(header), "%s observed for %.1f s on %d node%s; %s",
		 d->sess.target_desc, s->interval_ns / 1e9, s->topo.nr_nodes,
		 s->topo.nr_nodes == 1 ? "" : "s", s->autonuma_state);
	rc = print_findings(d, &in, header);
out:
	free(env);
	nl_topology_free(&t);
	nl_touch_history_free(h);
	return rc;
}

/* The window starts before a started command runs: numastat's first reading and the
 * view's baseline come before its first allocation. */
static int on_attached(void *ctx, struct nl_session *s)
{
	struct doctor *d = ctx;

	if (nl_view_init(&d->view, s->coll) ||
	    (d->o.rq.set && nl_collector_on_requests(s->coll, nl_request_set_keep, &d->rq))) {
		nl_err("doctor: out of memory");
		return -1;
	}
	return add_interval(d);
}

static void session_opts(struct doctor *d, struct nl_session_opts *so)
{
	*so = (struct nl_session_opts){
		.who = "doctor",
		.pid = d->o.pid,
		.cgroup = d->o.cgroup,
		.cmd = d->o.cmd,
		/* JSON on stdout stays parseable: the command's output goes to a file */
		.cmd_output_file = d->o.json,
		.duration = d->o.duration,
		/* residency every second: a command that exits early keeps its last reading */
		.interval = d->o.duration < 1.0 ? d->o.duration : 1.0,
		.attached = on_attached,
		.ctx = d,
		.collect = { .stacks = true, .verbose = d->o.verbose,
			     .request = d->o.rq.set ? &d->o.rq.spec : NULL,
			     .max_inflight = d->o.rq.max_inflight,
			     .request_records = d->o.rq.set },
	};
}

int cmd_doctor(int argc, char **argv)
{
	struct doctor d;
	struct nl_session_opts so;
	struct nl_session_loop loop = { .tick = doctor_tick, .ctx = &d, .input_fd = -1 };
	enum nl_stop_reason why = NL_RUNNING;
	int failed = 0, rc = NL_EXIT_FAIL;

	memset(&d, 0, sizeof(d));
	d.sess.child.go_fd = -1;
	switch (parse_args(argc, argv, &d.o)) {
	case 0: break;
	case 1: return NL_EXIT_OK;
	default: return NL_EXIT_USAGE;
	}
	if (d.o.root)
		return judge_root(&d);
	if (!nl_have_bpf_privileges()) {
		nl_err("doctor: loading BPF programs needs root (or CAP_BPF and CAP_PERFMON): run it with sudo");
		return NL_EXIT_FAIL;
	}
	session_opts(&d, &so);
	if (nl_session_init(&d.sess, &so))
		return NL_EXIT_FAIL;
	if (nl_session_start(&d.sess))
		goto cleanup;
	why = nl_session_run(&d.sess, &loop, &failed);
	if (failed)
		goto cleanup;
	/* before detaching, which takes seconds in a slow guest: a started command may
	 * end meanwhile, and its /proc entries (allowed CPUs, devices, command line) with it */
	rc = judge_window(&d);
cleanup:
	nl_view_free(&d.view);
	nl_session_detach(&d.sess);
	nl_session_finish(&d.sess, why);
	nl_accum_free(&d.acc);
	nl_request_set_free(&d.rq);
	return rc;
}
