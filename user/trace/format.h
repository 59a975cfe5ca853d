/* The numalens trace file's on-disk constants: magics, fixed header layouts, section
 * ids, record types, field tags and the reader's limits. docs/trace-format.md is the
 * prose version of this file; change both together. Every multi-byte integer of a
 * fixed layout is little-endian; everything inside records and sections uses the
 * tagged encoding of codec.h. */
#ifndef NL_TRACE_FORMAT_H
#define NL_TRACE_FORMAT_H

/* ---- file header (24 bytes), then its sections ----
 *   0  char[8] magic "NLTRACE\0"
 *   8  u32     version (NL_TRACE_VERSION; a reader refuses another)
 *  12  u32     sections_len: bytes of sections that follow
 *  16  u32     nr_sections
 *  20  u32     crc32 of bytes 0..19, continued over the sections_len bytes
 * Each section: u32 id, u32 len, then len bytes of a tagged message. */
#define NL_TRACE_MAGIC "NLTRACE"  /* 7 characters and its NUL: 8 bytes */
#define NL_TRACE_MAGIC_LEN 8
/* Bumped only for changes an old reader cannot skip; new fields, sections and record
 * types are additions that keep the version. */
#define NL_TRACE_VERSION 1
#define NL_TRACE_HDR_LEN 24
#define NL_TRACE_SECTION_HDR_LEN 8

enum nl_trace_section {
	NL_SEC_TOPOLOGY = 1,
	NL_SEC_KERNEL_RELEASE,
	NL_SEC_HOSTNAME,
	NL_SEC_MACHINE,
	NL_SEC_CMDLINE,
	NL_SEC_TARGET,
	NL_SEC_SOURCES,
	NL_SEC_ENUM_NAMES,
	NL_SEC_CLOCK,
	NL_SEC_VERSION,
	NL_SEC_NUMA_BALANCING,
	NL_SEC_FILE,
	NL_SEC_REQUEST,        /* what delimits requests (--request/--usdt as given) */
};

/* ---- chunk header (36 bytes), then stored_len bytes ----
 *   0  u32 magic NL_TRACE_CHUNK_MAGIC ("NLCK" on disk)
 *   4  u32 compression (enum nl_trace_chunk_comp)
 *   8  u64 seq: 0 for the recording's first chunk, +1 each chunk, across rotated files
 *  16  u32 raw_len: bytes of records after decompression
 *  20  u32 stored_len: bytes that follow this header
 *  24  u32 nr_records
 *  28  u32 data_crc: crc32 of the stored_len bytes
 *  32  u32 hdr_crc: crc32 of bytes 0..31 */
#define NL_TRACE_CHUNK_MAGIC 0x4b434c4eu
#define NL_TRACE_CHUNK_HDR_LEN 36

enum nl_trace_chunk_comp {
	NL_CHUNK_NONE = 0,
	NL_CHUNK_ZLIB = 1, /* a zlib stream (RFC 1950), compress2() */
	NL_CHUNK_ZSTD = 2, /* one zstd frame with its content size */
};

/* ---- records: varint type, varint len, len bytes of a tagged message ---- */
enum nl_trace_record {
	NL_REC_INTERVAL = 1,
	NL_REC_SOURCES,
	NL_REC_EVENTS,
	NL_REC_THREAD,
	NL_REC_END,
	NL_REC_REQUESTS,       /* finished requests (--request/--usdt) */
};

/* ---- field tags, per message ---- */

/* Section payloads that hold one string (KERNEL_RELEASE .. TARGET, VERSION). */
#define NL_T_STRING_VALUE 1

enum { /* TOPOLOGY section */
	NL_T_TOPO_NODES = 1, /* list of node */
};
enum { /* node */
	NL_T_NODE_ID = 1,
	NL_T_NODE_CPUS,      /* packed list of CPU numbers */
	NL_T_NODE_MEM_KB,
	NL_T_NODE_DISTANCE,  /* signed vector indexed by node id */
};
enum { /* SOURCES section and record */
	NL_T_SOURCES_LIST = 1, /* list of source */
};
enum { /* source */
	NL_T_SOURCE_NAME = 1,
	NL_T_SOURCE_ACTIVE,
	NL_T_SOURCE_DETAIL,
};
enum { /* ENUM_NAMES section */
	NL_T_NAMES_MIGRATE = 1, /* list of enum_name */
	NL_T_NAMES_TLB,
};
enum { /* enum_name */
	NL_T_ENUM_INDEX = 1,
	NL_T_ENUM_NAME,
};
enum { /* CLOCK section */
	NL_T_CLOCK_REALTIME = 1,
	NL_T_CLOCK_MONO,
	NL_T_CLOCK_INTERVAL,
	NL_T_CLOCK_RESIDENCY_INTERVAL,
};
enum { /* NUMA_BALANCING section */
	NL_T_NUMA_BALANCING = 1, /* sint */
};
enum { /* FILE section */
	NL_T_FILE_RECORDING_ID = 1,
	NL_T_FILE_PART,
	NL_T_FILE_FIRST_SEQ,
};

enum { /* INTERVAL record: struct nl_snapshot */
	NL_T_SNAP_CUMULATIVE = 1,
	NL_T_SNAP_SEQ,
	NL_T_SNAP_MONO_NS,
	NL_T_SNAP_INTERVAL_NS,
	NL_T_SNAP_TIMESTAMP_NS,
	NL_T_SNAP_LOST_EVENTS,
	NL_T_SNAP_NUMA_BALANCING, /* sint */
	NL_T_SNAP_PROCS,          /* list of process */
	NL_T_SNAP_AUTONUMA_STATE,
	NL_T_SNAP_VMSTAT,         /* vmstat_check */
	NL_T_SNAP_VM_NOW,         /* vm_totals */
	NL_T_SNAP_VM_OPEN,        /* vm_totals */
	NL_T_SNAP_BPF_SYS,        /* bpf_totals */
	NL_T_SNAP_NUMASTAT_VALID,
	NL_T_SNAP_NUMASTAT,       /* list of numastat */
	NL_T_SNAP_REQUESTS,       /* rq_stats */
	NL_T_SNAP_VM_PRE,         /* vm_totals */
};
enum { /* rq_stats: struct nl_rq_stats */
	NL_T_RQS_VALID = 1,
	NL_T_RQS_HIST,            /* vector by log-linear bucket (numalens.h) */
	NL_T_RQS_COUNT,
	NL_T_RQS_EXITED,
	NL_T_RQS_DROPS,           /* vector by enum nl_rq_drop */
	NL_T_RQS_SUM_NS,          /* the histogram's latencies summed */
};
enum { /* process */
	NL_T_PROC_PID = 1,
	NL_T_PROC_COMM,
	NL_T_PROC_COUNTS,
	NL_T_PROC_RESIDENT,       /* vector by node id */
	NL_T_PROC_RESIDENT_KNOWN,
	NL_T_PROC_VMAS,           /* list of vma */
	NL_T_PROC_THREADS,        /* list of thread */
	NL_T_PROC_DIAG,
	NL_T_PROC_FOLLOWED,
	NL_T_PROC_RESIDENT_HUGE,      /* vector by node id: hugetlb pages */
	NL_T_PROC_RESIDENT_HUGE_KB,   /* vector by node id */
};
enum { /* thread */
	NL_T_THR_TID = 1,
	NL_T_THR_SERIAL,
	NL_T_THR_COMM,
	NL_T_THR_COUNTS,
	NL_T_THR_STACK,           /* stack; present (even empty) = non-NULL */
	NL_T_THR_STACK_PAGES,
	NL_T_THR_EXITED,
};
enum { /* stack */
	NL_T_STACK_FRAMES = 1,    /* list of frame */
	NL_T_STACK_CUT,           /* bool */
};
enum { /* frame */
	NL_T_FRAME_IP = 1,
	NL_T_FRAME_SYMBOL,        /* absent = NULL; "" is written */
	NL_T_FRAME_MODULE,
	NL_T_FRAME_BUILD_ID,
	NL_T_FRAME_FILE_OFFSET,
	NL_T_FRAME_HAS_OFFSET,
};
enum { /* vma */
	NL_T_VMA_START = 1,
	NL_T_VMA_POLICY,
	NL_T_VMA_NAME,            /* absent = NULL */
	NL_T_VMA_PAGES,           /* vector by node id */
	NL_T_VMA_PAGE_SIZE,
};
enum { /* diagnosis */
	NL_T_DIAG_KIND = 1,       /* sint */
	NL_T_DIAG_MEM_NODE,       /* sint */
	NL_T_DIAG_CPU_NODE,       /* sint */
	NL_T_DIAG_RESIDENT_SHARE, /* double */
	NL_T_DIAG_CPU_SHARE,      /* double */
	NL_T_DIAG_INIT_TID,
	NL_T_DIAG_INIT_COMM,
	NL_T_DIAG_TEXT,
	NL_T_DIAG_FIX,
};
enum { /* counts: struct nl_counts */
	NL_T_C_FAULTS = 1,              /* matrix [cpu node][mem node] */
	NL_T_C_FAULTS_UNRESOLVED,
	NL_T_C_HINT_FAULTS,             /* matrix */
	NL_T_C_FIRST_TOUCH_PAGES,       /* vector by node id */
	NL_T_C_CPU_NS,                  /* vector by node id */
	NL_T_C_NODE_MIGRATIONS,
	NL_T_C_MIGRATED_PAGES,          /* matrix [from][to] */
	NL_T_C_MIGRATE_STALL_NS,
	NL_T_C_NUMA_TASK_MOVES,
	NL_T_C_HINT_PAGES,
	NL_T_C_HINT_LOCAL,
	NL_T_C_HINT_MIGRATED_PAGES,
	NL_T_C_HINT_MIGRATE_FAIL,
	NL_T_C_MIGRATE_FAIL,
	NL_T_C_MIGRATE_PAGES_BY_REASON, /* vector by enum migrate_reason index */
	NL_T_C_MIGRATE_FAIL_BY_REASON,
	NL_T_C_MIGRATE_STALL_BY_REASON,
	NL_T_C_MIGRATE_STALL_HIST,      /* vector by log2(ns) bucket */
	NL_T_C_NUMA_TASK_SWAPS,
	NL_T_C_NUMA_TASK_STICKS,
	NL_T_C_TLB_SHOOTDOWNS,          /* vector by enum tlb_flush_reason index */
	NL_T_C_TLB_AUTONUMA_SENT,
	NL_T_C_TLB_AUTONUMA_RECV,
	NL_T_C_IPI_COUNT,
	NL_T_C_IPI_NS,
	NL_T_C_IPI_AUTONUMA_NS,
	NL_T_C_NUMA_SCAN_COUNT,
	NL_T_C_NUMA_SCAN_NS,
	NL_T_C_FAULTS_MAPPED,           /* matrix, a subset of faults */
};
enum { /* vmstat_check: struct nl_vmstat_check */
	NL_T_VC_VALID = 1,
	NL_T_VC_HINT_FAULTS,
	NL_T_VC_HINT_FAULTS_LOCAL,
	NL_T_VC_PAGES_MIGRATED,
	NL_T_VC_PGMIGRATE_SUCCESS,
	NL_T_VC_PGMIGRATE_FAIL,
	NL_T_VC_BPF_VALID,
	NL_T_VC_BPF_LOCAL_EXACT,
	NL_T_VC_BPF_HINT_FAULTS,
	NL_T_VC_BPF_HINT_FAULTS_LOCAL,
	NL_T_VC_BPF_PAGES_MIGRATED,
	NL_T_VC_BPF_PGMIGRATE_SUCCESS,
	NL_T_VC_BPF_PGMIGRATE_FAIL,
	NL_T_VC_DISAGREE,
	NL_T_VC_NOTE,
};
enum { /* vm_totals: struct nl_vm_totals */
	NL_T_VM_HAVE_NUMA = 1,
	NL_T_VM_HAVE_PGMIGRATE,
	NL_T_VM_HINT_FAULTS,
	NL_T_VM_HINT_FAULTS_LOCAL,
	NL_T_VM_PAGES_MIGRATED,
	NL_T_VM_PGMIGRATE_SUCCESS,
	NL_T_VM_PGMIGRATE_FAIL,
};
enum { /* bpf_totals: struct nl_bpf_totals */
	NL_T_BPF_VALID = 1,
	NL_T_BPF_LOCAL_EXACT,
	NL_T_BPF_HINT_FAULTS,
	NL_T_BPF_HINT_FAULTS_LOCAL,
	NL_T_BPF_PAGES_MIGRATED,
	NL_T_BPF_PGMIGRATE_SUCCESS,
	NL_T_BPF_PGMIGRATE_FAIL,
};
enum { /* numastat: one node's struct nl_numastat */
	NL_T_NS_NODE = 1,
	NL_T_NS_NUMA_HIT,
	NL_T_NS_NUMA_MISS,
	NL_T_NS_NUMA_FOREIGN,
	NL_T_NS_INTERLEAVE_HIT,
	NL_T_NS_LOCAL_NODE,
	NL_T_NS_OTHER_NODE,
};
enum { /* EVENTS record */
	NL_T_EVENTS_LIST = 1,    /* list of event */
};
enum { /* event: struct nl_event */
	NL_T_EV_TS_NS = 1,
	NL_T_EV_TYPE,
	NL_T_EV_TID,
	NL_T_EV_TGID,
	NL_T_EV_CPU,
	NL_T_EV_A,
	NL_T_EV_B,
	NL_T_EV_V0,
	NL_T_EV_V1,
	NL_T_EV_V2,
};
enum { /* REQUESTS record */
	NL_T_REQUESTS_LIST = 1,  /* list of request */
};
enum { /* request: struct nl_request */
	NL_T_RQ_START_NS = 1,
	NL_T_RQ_LATENCY_NS,
	NL_T_RQ_CAUSES,          /* vector by enum nl_rq_cause */
	NL_T_RQ_MIGRATE_BY_REASON, /* vector by enum migrate_reason index */
	NL_T_RQ_TID,
	NL_T_RQ_TGID,
	NL_T_RQ_HINT_FAULTS,
	NL_T_RQ_MIGRATE_CALLS,
	NL_T_RQ_MIGRATED_PAGES,
	NL_T_RQ_NUMA_MOVES,
	NL_T_RQ_IPIS,
	NL_T_RQ_RECLAIMS,
	NL_T_RQ_CPU_START,
	NL_T_RQ_CPU_END,
	NL_T_RQ_FLAGS,
	NL_T_RQ_DEPTH_MAX,
};
enum { /* THREAD record */
	NL_T_THREAD_KIND = 1,
	NL_T_THREAD_MONO_NS,
	NL_T_THREAD_TID,
	NL_T_THREAD_PID,
	NL_T_THREAD_COMM,
};
enum { /* END record */
	NL_T_END_CONTINUED = 1,  /* the recording continues in the next file (rotation) */
	NL_T_END_CHUNKS,         /* chunks of the whole recording so far, this one included */
	NL_T_END_RECORDS,        /* records so far, this END excluded */
};

/* ---- limits: what the writer refuses to write and the reader refuses to read ----
 * Each bounds what a hostile file can make the reader allocate; a real recording stays
 * far below them (the kernel's own limits are cited). */
#define NL_TRACE_MAX_CHUNK (64u << 20)        /* raw bytes of one chunk */
#define NL_TRACE_MAX_SECTIONS_LEN (16u << 20) /* all header sections */
#define NL_TRACE_MAX_SECTIONS 1024
#define NL_TRACE_MAX_STRING (1u << 20)        /* one string (a source's detail, argv) */
#define NL_TRACE_MAX_PROCS (1u << 22)         /* PID_MAX_LIMIT, include/linux/threads.h */
#define NL_TRACE_MAX_THREADS (1u << 22)       /* per process, PID_MAX_LIMIT again */
#define NL_TRACE_MAX_VMAS (1u << 20)          /* per process; vm.max_map_count is 65530 */
#define NL_TRACE_MAX_CPUS (1u << 16)          /* per node */
#define NL_TRACE_MAX_EVENTS (1u << 16)        /* per EVENTS record; the writer splits */
#define NL_TRACE_MAX_REQUESTS (1u << 16)      /* per REQUESTS record; the writer splits */
#define NL_TRACE_MAX_ENTRIES 4096             /* nodes, sources, enum names, numastat */
#define NL_TRACE_MAX_SPARSE 65536             /* entries of one vector or matrix */
#define NL_TRACE_MAX_DEPTH 16                 /* nested messages */
/* Memory one returned item may take (structs, strings, stacks): a hostile list of
 * empty entries costs ~2.5 KiB of struct per byte of file; this caps the product. */
#define NL_TRACE_MAX_ITEM_BYTES (1ull << 30)

#endif
