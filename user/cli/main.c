/* numalens entry point: dispatches to subcommands, perf-style. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "common/util.h"

const struct nl_command nl_commands[] = {
	{ "topo", "topology: nodes, CPUs, memory, distances, huge pages, devices, AutoNUMA state", cmd_topo },
	{ "top", "per-process NUMA view, refreshed: per-node CPU, faults, remote ratio, placement, diagnosis", cmd_top },
	{ "record", "record the same figures to a trace file, for report and export later or elsewhere", cmd_record },
	{ "report", "the tables of top, a timeline or JSON, from a trace file", cmd_report },
	{ "prove", "does AutoNUMA change a command's p99? runs it with numa_balancing off and on, and compares", cmd_prove },
	{ "doctor", "findings with their evidence and the exact fix: first-touch bug, remote binds, AutoNUMA, devices, huge pages", cmd_doctor },
	{ "export", "a trace file as Chrome trace events (Perfetto), CSV, or folded stacks", cmd_export },
	{ "exporter", "daemon: Prometheus metrics at /metrics or a textfile, and a flight recorder of the last seconds", cmd_exporter },
	{ NULL, NULL, NULL },
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: numalens [-V|--version] [-h|--help] COMMAND [OPTIONS]\n"
		"\n"
		"numalens is an eBPF NUMA access profiler: who touches memory on which node,\n"
		"from which node, and what AutoNUMA does about it.\n"
		"\n"
		"  -h, --help     this help\n"
		"  -V, --version  numalens's version\n"
		"\n"
		"commands:\n");
	for (const struct nl_command *c = nl_commands; c->name; c++)
		fprintf(out, "  %-8s %s\n", c->name, c->summary);
	fprintf(out, "\n'numalens help COMMAND' or 'numalens COMMAND --help' explains a command's options.\n");
}

static const struct nl_command *find_command(const char *name)
{
	for (const struct nl_command *c = nl_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

int main(int argc, char **argv)
{
	const struct nl_command *cmd;

	if (argc < 2) {
		usage(stderr);
		return NL_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("numalens %s\n", NUMALENS_VERSION);
		return NL_EXIT_OK;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return NL_EXIT_OK;
	}
	if (!strcmp(argv[1], "help")) {
		if (argc < 3) {
			usage(stdout);
			return NL_EXIT_OK;
		}
		cmd = find_command(argv[2]);
		if (!cmd) {
			nl_err("no such command '%s' (try 'numalens help')", argv[2]);
			return NL_EXIT_USAGE;
		}
		char *hargv[] = { (char *)cmd->name, "--help", NULL };
		return cmd->run(2, hargv);
	}
	if (argv[1][0] == '-') {
		nl_err("unknown option '%s' (try 'numalens --help')", argv[1]);
		return NL_EXIT_USAGE;
	}
	cmd = find_command(argv[1]);
	if (!cmd) {
		nl_err("unknown command '%s' (try 'numalens help')", argv[1]);
		return NL_EXIT_USAGE;
	}
	return cmd->run(argc - 1, argv + 1);
}
