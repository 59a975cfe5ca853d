#include "collect/symbolize.h"

#include <elfutils/libdwfl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"

#define NR_BUCKETS 61

/* One line of /proc/PID/maps. */
struct map_range {
	uint64_t start, end, pgoff;
	char *path; /* NULL for anonymous memory; "[vdso]", "[heap]", "/usr/bin/app", ... */
};

/* One line of a perf JIT map: "START SIZE name", hex numbers. */
struct perf_sym {
	uint64_t start, size;
	char *name;
};

struct proc_cache {
	uint32_t pid;
	uint64_t exe_ino;       /* /proc/PID/exe's inode when the mappings were read */
	Dwfl *dwfl;
	struct map_range *maps; /* sorted by start, as the kernel prints them */
	int nr_maps;
	/* The perf map is re-read when it changes: JITs append to it as they compile. */
	bool perf_present;
	struct timespec perf_mtime;
	off_t perf_size;
	struct perf_sym *perf_syms; /* sorted by start */
	int nr_perf_syms;
	struct proc_cache *next;
};

struct nl_symbolizer {
	struct proc_cache *buckets[NR_BUCKETS];
};

static const Dwfl_Callbacks proc_callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
};

static void free_maps(struct map_range *m, int nr)
{
	for (int i = 0; i < nr; i++)
		free(m[i].path);
	free(m);
}

static void free_perf_syms(struct proc_cache *c)
{
	for (int i = 0; i < c->nr_perf_syms; i++)
		free(c->perf_syms[i].name);
	free(c->perf_syms);
	c->perf_syms = NULL;
	c->nr_perf_syms = 0;
	c->perf_present = false;
}

static void free_cache(struct proc_cache *c)
{
	if (!c)
		return;
	if (c->dwfl)
		dwfl_end(c->dwfl);
	free_maps(c->maps, c->nr_maps);
	free_perf_syms(c);
	free(c);
}

/* Parses /proc/PID/maps. -ESRCH when the process is gone. */
static int read_maps(uint32_t pid, struct map_range **out, int *nr)
{
	char rel[64], *buf, *line, *save = NULL;
	struct map_range *m = NULL;
	int n = 0, cap = 0, err = 0;

	snprintf(rel, sizeof(rel), "/proc/%u/maps", pid);
	buf = nl_read_file(NULL, rel);
	if (!buf)
		return errno == ENOENT || errno == ESRCH ? -ESRCH : -(errno ? errno : EIO);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long start, end, pgoff;
		int pos = -1;

		if (sscanf(line, "%llx-%llx %*s %llx %*s %*u %n", &start, &end, &pgoff, &pos) != 3 ||
		    pos < 0) {
			err = -EIO;
			goto fail;
		}
		if (n == cap) {
			int ncap = cap ? cap * 2 : 64;
			struct map_range *nm = realloc(m, (size_t)ncap * sizeof(*m));
			if (!nm) {
				err = -ENOMEM;
				goto fail;
			}
			m = nm;
			cap = ncap;
		}
		m[n].start = start;
		m[n].end = end;
		m[n].pgoff = pgoff;
		m[n].path = NULL;
		if (line[pos]) {
			m[n].path = strdup(line + pos);
			if (!m[n].path) {
				err = -ENOMEM;
				goto fail;
			}
		}
		n++;
	}
	free(buf);
	*out = m;
	*nr = n;
	return 0;
fail:
	free_maps(m, n);
	free(buf);
	return err;
}

/* The inode of the process's executable, 0 when unknown (kernel thread, gone). */
static uint64_t exe_inode(uint32_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	return stat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

/* Reads the mappings and reports them to a fresh Dwfl. */
static int load_process(struct proc_cache *c)
{
	struct map_range *maps;
	Dwfl *dwfl;
	int nr, err;

	err = read_maps(c->pid, &maps, &nr);
	if (err)
		return err;
	c->exe_ino = exe_inode(c->pid);
	if (nr == 0) { /* a zombie has no address space left */
		free(maps);
		return -ESRCH;
	}
	dwfl = dwfl_begin(&proc_callbacks);
	if (!dwfl) {
		free_maps(maps, nr);
		return -ENOMEM;
	}
	dwfl_report_begin(dwfl);
	err = dwfl_linux_proc_report(dwfl, (pid_t)c->pid);
	if (dwfl_report_end(dwfl, NULL, NULL) != 0 && err == 0)
		err = -1;
	if (err) {
		/* positive: an errno reading /proc; -1: a libdwfl error */
		err = err > 0 ? (err == ENOENT ? -ESRCH : -err) : -EIO;
		dwfl_end(dwfl);
		free_maps(maps, nr);
		return err;
	}
	if (c->dwfl)
		dwfl_end(c->dwfl);
	free_maps(c->maps, c->nr_maps);
	c->dwfl = dwfl;
	c->maps = maps;
	c->nr_maps = nr;
	return 0;
}

static const struct map_range *find_map(const struct proc_cache *c, uint64_t addr)
{
	int lo = 0, hi = c->nr_maps - 1;

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		const struct map_range *m = &c->maps[mid];
		if (addr < m->start)
			hi = mid - 1;
		else if (addr >= m->end)
			lo = mid + 1;
		else
			return m;
	}
	return NULL;
}

static int cmp_perf_sym(const void *a, const void *b)
{
	const struct perf_sym *x = a, *y = b;
	return (x->start > y->start) - (x->start < y->start);
}

/* Loads /tmp/perf-PID.map if it appeared or changed since the last look. Lines that
 * do not parse are skipped, as perf does. */
static int refresh_perf_map(struct proc_cache *c)
{
	char path[64], *buf, *line, *save = NULL;
	struct perf_sym *syms = NULL;
	int n = 0, cap = 0;
	struct stat st;

	snprintf(path, sizeof(path), "/tmp/perf-%u.map", c->pid);
	if (stat(path, &st) != 0) {
		free_perf_syms(c);
		return 0;
	}
	if (c->perf_present && st.st_size == c->perf_size &&
	    st.st_mtim.tv_sec == c->perf_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == c->perf_mtime.tv_nsec)
		return 0;
	buf = nl_read_file(NULL, path);
	if (!buf)
		return errno == ENOMEM ? -ENOMEM : 0; /* vanished or unreadable: as absent */
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long start, size;
		int pos = -1;

		if (sscanf(line, "%llx %llx %n", &start, &size, &pos) != 2 || pos < 0 || !line[pos])
			continue;
		if (n == cap) {
			int ncap = cap ? cap * 2 : 64;
			struct perf_sym *ns = realloc(syms, (size_t)ncap * sizeof(*syms));
			if (!ns)
				goto nomem;
			syms = ns;
			cap = ncap;
		}
		syms[n].start = start;
		syms[n].size = size;
		syms[n].name = strdup(line + pos);
		if (!syms[n].name)
			goto nomem;
		n++;
	}
	free(buf);
	qsort(syms, (size_t)n, sizeof(*syms), cmp_perf_sym);
	free_perf_syms(c);
	c->perf_syms = syms;
	c->nr_perf_syms = n;
	c->perf_present = true;
	c->perf_size = st.st_size;
	c->perf_mtime = st.st_mtim;
	return 0;
nomem:
	for (int i = 0; i < n; i++)
		free(syms[i].name);
	free(syms);
	free(buf);
	return -ENOMEM;
}

/* The last entry starting at or below addr, if it covers addr. Later entries win
 * when a JIT reuses memory: perf's convention too. */
static const struct perf_sym *find_perf_sym(const struct proc_cache *c, uint64_t addr)
{
	const struct perf_sym *best = NULL;
	int lo = 0, hi = c->nr_perf_syms - 1;

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		if (c->perf_syms[mid].start <= addr) {
			best = &c->perf_syms[mid];
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	if (best && addr - best->start < best->size)
		return best;
	return NULL;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static int set_frame(struct nl_frame *f, char *symbol, const char *module)
{
	f->symbol = symbol;
	f->module = strdup(module);
	if (!f->module) {
		free(symbol);
		f->symbol = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* Anonymous or non-ELF memory: the perf JIT map, else [jit] / [anon]. */
static int resolve_jit(struct proc_cache *c, uint64_t ip, uint64_t addr, struct nl_frame *f,
		       const char *fallback_module)
{
	const struct perf_sym *ps;
	char *sym = NULL;
	int err = refresh_perf_map(c);

	if (err)
		return err;
	ps = c->perf_present ? find_perf_sym(c, addr) : NULL;
	if (ps) {
		if (asprintf(&sym, "%s+0x%" PRIx64, ps->name, ip - ps->start) < 0)
			return -ENOMEM;
		return set_frame(f, sym, "[jit]");
	}
	if (fallback_module)
		return 1; /* not a JIT address: the caller labels it */
	return set_frame(f, NULL, c->perf_present ? "[jit]" : "[anon]");
}

/* An ELF file without a symbol for addr: "[file+0xADDR]", the address in the file. */
static int label_in_file(Dwfl_Module *mod, const struct map_range *m, uint64_t ip,
			 struct nl_frame *f)
{
	GElf_Addr bias = 0;
	uint64_t rel;
	char *sym;

	if (mod && dwfl_module_getelf(mod, &bias))
		rel = ip - bias;
	else
		rel = ip - m->start + m->pgoff; /* no ELF: the offset in the file */
	if (asprintf(&sym, "[%s+0x%" PRIx64 "]", base_name(m->path), rel) < 0)
		return -ENOMEM;
	return set_frame(f, sym, m->path);
}

/* What finds the frame again on another machine: the file offset of ip in its mapping
 * and the module's GNU build-id (a trace is symbolized where it was recorded, but the
 * pair lets a later tool look the address up in the very same binary). */
static int file_identity(Dwfl_Module *mod, const struct map_range *m, uint64_t ip,
			 struct nl_frame *f)
{
	const unsigned char *bits;
	GElf_Addr vaddr;
	int len;

	if (!m->path || m->path[0] != '/')
		return 0;
	f->file_offset = ip - m->start + m->pgoff;
	f->has_offset = true;
	len = mod ? dwfl_module_build_id(mod, &bits, &vaddr) : 0;
	if (len <= 0 || len > 64)
		return 0;
	f->build_id = malloc((size_t)len * 2 + 1);
	if (!f->build_id)
		return -ENOMEM;
	for (int i = 0; i < len; i++)
		snprintf(f->build_id + 2 * i, 3, "%02x", bits[i]);
	return 0;
}

static int resolve_symbol(struct proc_cache *c, uint64_t ip, uint64_t addr,
			  const struct map_range *m, Dwfl_Module *mod, struct nl_frame *f);

static int resolve_one(struct proc_cache *c, uint64_t ip, bool is_return_address,
		       struct nl_frame *f)
{
	/* A return address may be one past the caller's last instruction. */
	uint64_t addr = is_return_address ? ip - 1 : ip;
	const struct map_range *m = find_map(c, addr);
	Dwfl_Module *mod;
	int err;

	f->ip = ip;
	f->symbol = NULL;
	f->module = NULL;
	f->build_id = NULL;
	f->has_offset = false;
	if (!m)
		return 1; /* the caller may re-read the mappings */
	mod = dwfl_addrmodule(c->dwfl, addr);
	err = resolve_symbol(c, ip, addr, m, mod, f);
	if (err)
		return err;
	return file_identity(mod, m, ip, f);
}

static int resolve_symbol(struct proc_cache *c, uint64_t ip, uint64_t addr,
			  const struct map_range *m, Dwfl_Module *mod, struct nl_frame *f)
{
	int err;

	if (mod) {
		GElf_Off off;
		GElf_Sym sym;
		const char *name = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
		const char *module = m->path;

		if (!module) /* Dwfl knows it, /proc/PID/maps has no name: use Dwfl's */
			module = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
		if (name) {
			char *s;
			if (asprintf(&s, "%s+0x%" PRIx64, name, (uint64_t)off + (ip - addr)) < 0)
				return -ENOMEM;
			return set_frame(f, s, module ? module : "[unknown]");
		}
	}
	/* No symbol: anonymous memory and non-ELF files (memfd JITs) may be in the perf map. */
	if (!m->path || strncmp(m->path, "[anon", 5) == 0)
		return resolve_jit(c, ip, addr, f, NULL);
	err = resolve_jit(c, ip, addr, f, m->path);
	if (err <= 0)
		return err;
	if (m->path[0] != '/') /* [vdso], [heap], [stack]: no file to give an offset in */
		return set_frame(f, NULL, m->path);
	return label_in_file(mod, m, ip, f);
}

static struct proc_cache **bucket_of(struct nl_symbolizer *s, uint32_t pid)
{
	return &s->buckets[pid % NR_BUCKETS];
}

static struct proc_cache *lookup(struct nl_symbolizer *s, uint32_t pid)
{
	for (struct proc_cache *c = *bucket_of(s, pid); c; c = c->next)
		if (c->pid == pid)
			return c;
	return NULL;
}

struct nl_symbolizer *nl_symbolizer_new(void)
{
	return calloc(1, sizeof(struct nl_symbolizer));
}

void nl_stack_release(struct nl_stack *st)
{
	for (int i = 0; i < st->nr; i++) {
		free(st->frames[i].symbol);
		free(st->frames[i].module);
		free(st->frames[i].build_id);
		st->frames[i].symbol = NULL;
		st->frames[i].module = NULL;
		st->frames[i].build_id = NULL;
	}
	st->nr = 0;
	st->cut = false;
}

/* True for the frame that starts the program (glibc's __libc_start_call_main /
 * __libc_start_main, or _start). Nothing calls it with a frame pointer, so what a
 * frame-pointer walk finds past it is stale stack contents, not callers. */
static bool is_process_entry(const struct nl_frame *f)
{
	static const char *const entry[] = { "__libc_start_call_main", "__libc_start_main", "_start" };

	if (!f->symbol)
		return false;
	size_t len = strcspn(f->symbol, "+");
	for (size_t i = 0; i < NL_ARRAY_SIZE(entry); i++)
		if (strlen(entry[i]) == len && strncmp(f->symbol, entry[i], len) == 0)
			return true;
	return false;
}

/* pid's cache entry, loaded (and *loaded set) when there was none. */
static int cached(struct nl_symbolizer *s, uint32_t pid, struct proc_cache **out, bool *loaded)
{
	struct proc_cache *c = lookup(s, pid);
	int err;

	*loaded = false;
	if (c) {
		*out = c;
		return 0;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->pid = pid;
	err = load_process(c);
	if (err) {
		free_cache(c);
		return err;
	}
	c->next = *bucket_of(s, pid);
	*bucket_of(s, pid) = c;
	*out = c;
	*loaded = true;
	return 0;
}

int nl_symbolizer_dwfl(struct nl_symbolizer *s, uint32_t pid, uint64_t exe_ino,
		       struct Dwfl **out)
{
	struct proc_cache *c;
	bool loaded;
	int err;

	if (!s || !out)
		return -EINVAL;
	err = cached(s, pid, &c, &loaded);
	if (err)
		return err;
	if (exe_ino && c->exe_ino && exe_ino != c->exe_ino) {
		/* the process exec'd: since we read it (re-read), or since the sample */
		if (loaded || exe_inode(pid) != exe_ino)
			return -ESTALE;
		err = load_process(c);
		if (err)
			return err;
		if (c->exe_ino != exe_ino)
			return -ESTALE;
	}
	*out = c->dwfl;
	return 0;
}

bool nl_frame_is_process_entry(const struct nl_frame *f)
{
	return is_process_entry(f);
}

int nl_symbolize(struct nl_symbolizer *s, uint32_t pid, const uint64_t *ips, int n,
		 struct nl_stack *out)
{
	struct proc_cache *c;
	bool reloaded = false;
	int err = 0;

	if (!s || !out || (n > 0 && !ips) || n < 0)
		return -EINVAL;
	out->nr = 0;
	out->cut = false;
	err = cached(s, pid, &c, &reloaded);
	if (err)
		return err;
	if (n > NL_MAX_FRAMES)
		n = NL_MAX_FRAMES;
	for (int i = 0; i < n && ips[i]; i++) {
		struct nl_frame *f = &out->frames[i];

		err = resolve_one(c, ips[i], i > 0, f);
		if (err == 1 && !reloaded) {
			/* in no known mapping: maybe mapped since we looked (dlopen, JIT) */
			reloaded = true;
			if (load_process(c) == 0)
				err = resolve_one(c, ips[i], i > 0, f);
		}
		if (err == 1) { /* still in no mapping: not a frame, and the chain ends here */
			out->cut = true;
			break;
		}
		if (err)
			goto fail;
		out->nr = i + 1;
		if (is_process_entry(f))
			break;
	}
	return 0;
fail:
	nl_stack_release(out);
	return err < 0 ? err : -EIO;
}

void nl_symbolizer_forget(struct nl_symbolizer *s, uint32_t pid)
{
	for (struct proc_cache **pp = bucket_of(s, pid); *pp; pp = &(*pp)->next) {
		if ((*pp)->pid == pid) {
			struct proc_cache *c = *pp;
			*pp = c->next;
			free_cache(c);
			return;
		}
	}
}

void nl_symbolizer_free(struct nl_symbolizer *s)
{
	if (!s)
		return;
	for (int b = 0; b < NR_BUCKETS; b++) {
		struct proc_cache *c = s->buckets[b];
		while (c) {
			struct proc_cache *next = c->next;
			free_cache(c);
			c = next;
		}
	}
	free(s);
}
