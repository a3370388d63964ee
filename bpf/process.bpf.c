// tcptrace kernel side, part 2: process records for the process cache (io.tcptrace.process).
//
// Compiled as text appended after bpf/tcpconnect.bpf.c, which declares `events` (the ring
// buffer), `counters` and count(). Everything here is inside #ifdef PROCESS_EVENTS.
//
// -D constants (io.tcptrace.process.ProcessProbes.cflags):
//   PROCESS_EVENTS            turn this part on (needs TRANSPORT_RINGBUF)
//   PROCESS_CMDLINE           read command lines (tcptrace.cmdline=true); off: args_len is always 0
//   CMDLINE_MAX               bytes of command line kept (tcptrace.cmdline-max-bytes, default 1024)
//   PROCESS_PATH_MAX          bytes of executable path kept (default 512)
//   ARGV_MAX                  arguments read at most (default 128)
//   EXEC_ARGS_MAX             execve() calls in flight whose arguments can be kept (default 1024)
//   PROCESS_EXIT_GROUP_DEAD   sched_process_exit has the group_dead field (Linux 6.x)
//
// Records. Every ring-buffer record starts with a one-byte kind: 1-15 are connection records
// (tcpconnect.bpf.c), 16 exec, 17 fork, 18 exit. Little endian, natural alignment, offsets in
// bytes; the Java decoder is io.tcptrace.process.ProcessRecords.
//
//   exec (16), 56 + PROCESS_PATH_MAX + CMDLINE_MAX bytes (rounded up to 8):
//     0 u8  kind             16
//     1 u8  flags            1 args truncated, 2 args unknown (execve began before attach, or
//                            exec_args was full), 4 path truncated
//     2 u16 path_len         bytes of path, no NUL
//     4 u16 args_len         bytes of args: the arguments, each followed by a NUL
//     6 u16 args_offset      where args start (56 + PROCESS_PATH_MAX)
//     8 u32 pid              tgid after the exec
//    12 u32 old_tid          thread that called execve (differs from pid for a non-leader thread)
//    16 u64 ts_ns            bpf_ktime_get_ns()
//    24 u64 cgroup_id        cgroup v2 id of the process
//    32 u32 uid
//    36 u32 reserved
//    40 char comm[16]        the new comm (NUL-padded)
//    56 char path[PROCESS_PATH_MAX]   the file name given to execve (sched_process_exec's filename)
//     . char args[CMDLINE_MAX]
//
//   fork (17), 40 bytes: a new process (never a new thread, see below)
//     0 u8  kind             17
//     1 u8  reserved[3]
//     4 u32 parent_pid       tgid of the forking process
//     8 u32 child_pid        pid (= tgid) of the new process
//    12 u32 parent_tid       thread that forked
//    16 u64 ts_ns
//    24 char parent_comm[16]
//
//   exit (18), 32 bytes: the last thread of a process exited
//     0 u8  kind             18
//     1 u8  reserved[3]
//     4 u32 pid              tgid
//     8 u64 ts_ns
//    16 char comm[16]
//
// Threads. Fork records come from task:task_newtask, which fires for the same copy_process()
// as sched:sched_process_fork (in the parent, after the point of no return) but also carries
// clone_flags: a clone with CLONE_THREAD is a thread and emits nothing, so thread pools never
// reach the cache. Exit records are emitted only for group_dead (the process, not a thread).
//
// Command lines. argv lives in the caller's memory at sys_enter_execve(at); it is copied there
// into exec_args (keyed by thread, no struct offsets needed) and emitted with the exec record
// once the exec has succeeded (sched_process_exec). A failed execve deletes it at sys_exit.
//
// Wake-ups. Process records never wake the reader: it polls with a timeout anyway, and the ring
// keeps order, so an exec record is always read before the connection records that follow it.
//
// Loss. A record the ring buffer refuses counts COUNTER_LOST_PROCESS; arguments that could not
// be kept because exec_args was full count COUNTER_LOST_PROCESS_ARGS (the exec record then says
// "args unknown" and Java falls back to /proc).

#ifdef PROCESS_EVENTS
#ifndef TRANSPORT_RINGBUF
#error "PROCESS_EVENTS needs TRANSPORT_RINGBUF (process records share the ring buffer)"
#endif

#ifndef CMDLINE_MAX
#define CMDLINE_MAX 1024
#endif
#ifndef PROCESS_PATH_MAX
#define PROCESS_PATH_MAX 512
#endif
#ifndef ARGV_MAX
#define ARGV_MAX 128
#endif
#ifndef EXEC_ARGS_MAX
#define EXEC_ARGS_MAX 1024
#endif

#define KIND_EXEC 16
#define KIND_FORK 17
#define KIND_EXIT 18

#define EXEC_ARGS_TRUNCATED 1
#define EXEC_ARGS_UNKNOWN 2
#define EXEC_PATH_TRUNCATED 4

#define CLONE_THREAD_ 0x00010000

#ifdef PROCESS_CMDLINE
#define ARGS_BYTES CMDLINE_MAX
#else
#define ARGS_BYTES 0
#endif

struct exec_record_t {
    u8 kind;
    u8 flags;
    u16 path_len;
    u16 args_len;
    u16 args_offset;
    u32 pid;
    u32 old_tid;
    u64 ts_ns;
    u64 cgroup_id;
    u32 uid;
    u32 reserved;
    char comm[16];
    char path[PROCESS_PATH_MAX];
    char args[ARGS_BYTES];
};
_Static_assert(__builtin_offsetof(struct exec_record_t, path) == 56, "exec record header is 56 bytes");

struct fork_record_t {
    u8 kind;
    u8 reserved[3];
    u32 parent_pid;
    u32 child_pid;
    u32 parent_tid;
    u64 ts_ns;
    char parent_comm[16];
};
_Static_assert(sizeof(struct fork_record_t) == 40, "fork record is 40 bytes");

struct exit_record_t {
    u8 kind;
    u8 reserved[3];
    u32 pid;
    u64 ts_ns;
    char comm[16];
};
_Static_assert(sizeof(struct exit_record_t) == 32, "exit record is 32 bytes");

#ifdef PROCESS_CMDLINE
// Arguments of an execve() in flight. Twice CMDLINE_MAX so that a string read at any offset
// below CMDLINE_MAX with a constant size of CMDLINE_MAX stays inside the buffer (the verifier
// checks the worst case); only the first CMDLINE_MAX bytes are emitted.
struct exec_args_t {
    u32 len;
    u32 flags;
    char args[2 * CMDLINE_MAX];
};
// A plain hash: a full map is counted (COUNTER_LOST_PROCESS_ARGS), an LRU would evict silently.
BPF_HASH(exec_args, u32, struct exec_args_t, EXEC_ARGS_MAX);
// One all-zero value to create entries from (too big for the BPF stack); never written.
BPF_ARRAY(exec_args_zero, struct exec_args_t, 1);

static __always_inline void keep_argv(const char *const *argv) {
    u32 tid = (u32)bpf_get_current_pid_tgid();
    u32 zero = 0;
    struct exec_args_t *empty = exec_args_zero.lookup(&zero);
    if (!empty)
        return;
    if (exec_args.update(&tid, empty) != 0) {
        count(COUNTER_LOST_PROCESS_ARGS);
        return;
    }
    struct exec_args_t *a = exec_args.lookup(&tid);
    if (!a)
        return;
    u32 off = 0;
    u32 flags = EXEC_ARGS_TRUNCATED;   // cleared when argv's NULL terminator is reached
    for (int i = 0; i < ARGV_MAX; i++) {
        const char *arg = NULL;
        if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i]) != 0) {
            flags = EXEC_ARGS_TRUNCATED;   // unreadable (paged out): keep what was read
            break;
        }
        if (!arg) {
            flags = 0;
            break;
        }
        if (off >= CMDLINE_MAX)
            break;
        long n = bpf_probe_read_user_str(&a->args[off], CMDLINE_MAX, arg);
        if (n <= 0)
            break;
        off += n;
    }
    if (off > CMDLINE_MAX) {
        off = CMDLINE_MAX;
        flags = EXEC_ARGS_TRUNCATED;
    }
    a->len = off;
    a->flags = flags;
}

TRACEPOINT_PROBE(syscalls, sys_enter_execve) {
    keep_argv((const char *const *)args->argv);
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_enter_execveat) {
    keep_argv((const char *const *)args->argv);
    return 0;
}

// A failed exec never reaches sched_process_exec: forget its arguments. After a successful
// one this finds nothing (sched_process_exec took them).
TRACEPOINT_PROBE(syscalls, sys_exit_execve) {
    u32 tid = (u32)bpf_get_current_pid_tgid();
    exec_args.delete(&tid);
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_exit_execveat) {
    u32 tid = (u32)bpf_get_current_pid_tgid();
    exec_args.delete(&tid);
    return 0;
}
#endif // PROCESS_CMDLINE

TRACEPOINT_PROBE(sched, sched_process_exec) {
    struct exec_record_t *r = events.ringbuf_reserve(sizeof(struct exec_record_t));
    if (!r) {
        count(COUNTER_LOST_PROCESS);
        return 0;
    }
    u64 id = bpf_get_current_pid_tgid();
    r->kind = KIND_EXEC;
    r->flags = 0;
    r->args_offset = __builtin_offsetof(struct exec_record_t, args);
    r->pid = id >> 32;
    r->old_tid = args->old_pid;
    r->ts_ns = bpf_ktime_get_ns();
    r->cgroup_id = bpf_get_current_cgroup_id();
    r->uid = bpf_get_current_uid_gid();
    r->reserved = 0;
    bpf_get_current_comm(&r->comm, sizeof(r->comm));

    u32 loc = args->data_loc_filename;
    long n = bpf_probe_read_kernel_str(&r->path, PROCESS_PATH_MAX, (char *)args + (loc & 0xFFFF));
    r->path_len = n > 0 ? n - 1 : 0;
    if ((loc >> 16) > PROCESS_PATH_MAX)
        r->flags |= EXEC_PATH_TRUNCATED;

    r->args_len = 0;
#ifdef PROCESS_CMDLINE
    u32 old_tid = args->old_pid;
    struct exec_args_t *a = exec_args.lookup(&old_tid);
    if (a) {
        u32 len = a->len;
        if (len > CMDLINE_MAX)
            len = CMDLINE_MAX;
        bpf_probe_read_kernel(&r->args, CMDLINE_MAX, &a->args);
        r->args_len = len;
        r->flags |= a->flags & EXEC_ARGS_TRUNCATED;
        exec_args.delete(&old_tid);
    } else {
        r->flags |= EXEC_ARGS_UNKNOWN;
    }
#endif
    events.ringbuf_submit(r, BPF_RB_NO_WAKEUP);
    return 0;
}

TRACEPOINT_PROBE(task, task_newtask) {
    if (args->clone_flags & CLONE_THREAD_)
        return 0;   // a thread of the same process: nothing for the process cache
    u64 id = bpf_get_current_pid_tgid();
    struct fork_record_t r = {};
    r.kind = KIND_FORK;
    r.parent_pid = id >> 32;
    r.parent_tid = (u32)id;
    r.child_pid = args->pid;
    r.ts_ns = bpf_ktime_get_ns();
    bpf_get_current_comm(&r.parent_comm, sizeof(r.parent_comm));
    if (events.ringbuf_output(&r, sizeof(r), BPF_RB_NO_WAKEUP) != 0)
        count(COUNTER_LOST_PROCESS);
    return 0;
}

TRACEPOINT_PROBE(sched, sched_process_exit) {
    u64 id = bpf_get_current_pid_tgid();
#ifdef PROCESS_CMDLINE
    // A thread killed inside execve() never reaches sys_exit_execve.
    u32 tid = (u32)id;
    exec_args.delete(&tid);
#endif
#ifdef PROCESS_EXIT_GROUP_DEAD
    if (!args->group_dead)
        return 0;
#else
    // Older kernels do not say whether the whole group died: take the leader's exit.
    if ((u32)id != (u32)(id >> 32))
        return 0;
#endif
    struct exit_record_t r = {};
    r.kind = KIND_EXIT;
    r.pid = id >> 32;
    r.ts_ns = bpf_ktime_get_ns();
    bpf_get_current_comm(&r.comm, sizeof(r.comm));
    if (events.ringbuf_output(&r, sizeof(r), BPF_RB_NO_WAKEUP) != 0)
        count(COUNTER_LOST_PROCESS);
    return 0;
}
#endif // PROCESS_EVENTS
