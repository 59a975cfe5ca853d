/* placeholder until the topology module lands; replaced by the topo helper */
#include "commands.h"
#include "util.h"
int cmd_topo(int argc, char **argv) { nl_err("topo: not built yet"); return NL_EXIT_FAIL; }
