/* The subcommands. Each takes argv starting at its own name (argv[0] = "topo"), parses
 * its options with getopt_long, prints its help for -h/--help, and returns the process
 * exit status: 0 success, 1 runtime failure, 2 bad usage. */
#ifndef NL_COMMANDS_H
#define NL_COMMANDS_H

#define NL_EXIT_OK 0
#define NL_EXIT_FAIL 1
#define NL_EXIT_USAGE 2

struct nl_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

int cmd_topo(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_prove(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_exporter(int argc, char **argv);

extern const struct nl_command nl_commands[];

#endif
