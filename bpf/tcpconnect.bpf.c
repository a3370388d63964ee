// tcptrace kernel side: one event per active TCP open (connect), IPv4 and IPv6.
//
// Compiled at run time by libbcc. The Java loader chooses the variant with -D flags:
//   PROBE_TRACEPOINT or PROBE_KPROBE   attach mode (same event struct either way)
//   TRANSPORT_RINGBUF                  BPF ring buffer; otherwise a per-CPU perf buffer
//   RINGBUF_PAGES, PENDING_MAX         sizes
//   FILTER_EXCLUDE_PIDS, FILTER_ONLY_PIDS, FILTER_UIDS, FILTER_DPORTS
//                                      consult the matching map (filled from Java after load)
//   FILTER_FAMILY=2|10                 only AF_INET or only AF_INET6
//
// Filters run before anything is stored or written, so an event that would be dropped
// anyway never takes buffer space. Every event that is not delivered is counted in
// `counters` (see COUNTER_*), which Java reads.

#include <uapi/linux/ptrace.h>
#ifdef PROBE_KPROBE
#include <net/sock.h>
#include <bcc/proto.h>
#endif

#define AF_INET_ 2
#define AF_INET6_ 10
#define IPPROTO_TCP_ 6
#define TCP_ESTABLISHED_ 1
#define TCP_SYN_SENT_ 2
#define TCP_SYN_RECV_ 3
#define TCP_CLOSE_ 7

#define OUTCOME_UNKNOWN 0
#define OUTCOME_ESTABLISHED 1
#define OUTCOME_REFUSED 2
#define OUTCOME_FAILED 3

#define PROBE_ID_TRACEPOINT 1
#define PROBE_ID_KPROBE 2

// Indexes into `counters`, a per-CPU array so increments never contend.
#define COUNTER_LOST_BUFFER_FULL 0  // ring/perf buffer had no room: event lost
#define COUNTER_LOST_UNTRACKED 1    // pending map full: connect seen but could not be completed
#define COUNTER_FILTERED 2          // dropped on purpose by a kernel-side filter
#define COUNTER_COUNT 3

// Wire format shared with the Java decoder (ConnectEventDecoder): 96 bytes, little endian.
struct event_t {
    u64 ts_ns;        // bpf_ktime_get_ns() when connect() began
    u64 latency_ns;   // connect() start to outcome; 0 in kprobe mode
    u64 cgroup_id;
    u32 pid;          // tgid
    u32 tid;
    u32 uid;
    u16 family;
    u16 sport;
    u16 dport;
    u8 outcome;
    u8 probe;
    u8 saddr[16];
    u8 daddr[16];
    char comm[16];
    u32 reserved;
};
_Static_assert(sizeof(struct event_t) == 96, "event_t must match ConnectEventDecoder");

BPF_PERCPU_ARRAY(counters, u64, COUNTER_COUNT);

#ifdef TRANSPORT_RINGBUF
BPF_RINGBUF_OUTPUT(events, RINGBUF_PAGES);
#else
BPF_PERF_OUTPUT(events);
#endif

#ifdef FILTER_EXCLUDE_PIDS
BPF_HASH(excluded_pids, u32, u8, 1024);
#endif
#ifdef FILTER_ONLY_PIDS
BPF_HASH(only_pids, u32, u8, 1024);
#endif
#ifdef FILTER_UIDS
BPF_HASH(only_uids, u32, u8, 1024);
#endif
#ifdef FILTER_DPORTS
BPF_HASH(only_dports, u16, u8, 1024);
#endif

static __always_inline void count(int index) {
    u64 *value = counters.lookup(&index);
    if (value)
        (*value)++;
}

// True when the connect must not become an event. Runs in the connecting task.
static __always_inline bool filtered_out(u32 pid, u32 uid, u16 family, u16 dport, bool check_dport) {
    if (family != AF_INET_ && family != AF_INET6_)
        return true;
#ifdef FILTER_FAMILY
    if (family != FILTER_FAMILY)
        return true;
#endif
#ifdef FILTER_EXCLUDE_PIDS
    if (excluded_pids.lookup(&pid))
        return true;
#endif
#ifdef FILTER_ONLY_PIDS
    if (!only_pids.lookup(&pid))
        return true;
#endif
#ifdef FILTER_UIDS
    if (!only_uids.lookup(&uid))
        return true;
#endif
#ifdef FILTER_DPORTS
    if (check_dport && !only_dports.lookup(&dport))
        return true;
#endif
    return false;
}

#ifdef TRANSPORT_RINGBUF
#ifndef RINGBUF_WAKEUP_EVERY
#define RINGBUF_WAKEUP_EVERY 64
#endif
BPF_PERCPU_ARRAY(wakeup_count, u32, 1);
#endif

// Copies a finished event into the output buffer, counting it if there is no room.
static __always_inline void submit(void *ctx, struct event_t *e) {
#ifdef TRANSPORT_RINGBUF
    // Wake the reader on every RINGBUF_WAKEUP_EVERY-th event of a CPU only: a wake-up per event
    // costs the connecting task an irq_work and the reader a syscall. The reader polls with a
    // short timeout anyway, so a lone event waits at most that long (pollTimeout, 100 ms).
    u32 zero = 0;
    u64 flags = BPF_RB_FORCE_WAKEUP;
    u32 *n = wakeup_count.lookup(&zero);
    if (n && ++(*n) % RINGBUF_WAKEUP_EVERY != 0)
        flags = BPF_RB_NO_WAKEUP;
    if (events.ringbuf_output(e, sizeof(*e), flags) != 0)
        count(COUNTER_LOST_BUFFER_FULL);
#else
    if (events.perf_submit(ctx, e, sizeof(*e)) != 0)
        count(COUNTER_LOST_BUFFER_FULL);
#endif
}

static __always_inline bool is_v4_mapped(const u8 *a) {
    u32 zero = 0;
    for (int i = 0; i < 10; i++)
        zero |= a[i];
    return zero == 0 && a[10] == 0xff && a[11] == 0xff;
}

// Dual-stack programs (Java, among many) connect to IPv4 hosts through AF_INET6 sockets
// with ::ffff:a.b.c.d addresses. On the wire that is IPv4, so report it as IPv4.
static __always_inline void unmap_v4(struct event_t *e) {
    if (e->family != AF_INET6_ || !is_v4_mapped(e->daddr))
        return;
    e->family = AF_INET_;
    __builtin_memcpy(&e->saddr, &e->saddr[12], 4);
    __builtin_memcpy(&e->daddr, &e->daddr[12], 4);
    __builtin_memset(&e->saddr[4], 0, 12);
    __builtin_memset(&e->daddr[4], 0, 12);
}

#ifdef PROBE_TRACEPOINT
// What only the connecting task knows, kept until the socket leaves SYN_SENT.
struct pending_t {
    u64 ts_ns;
    u64 cgroup_id;
    u32 pid;
    u32 tid;
    u32 uid;
    u8 reset;         // a RST arrived while in SYN_SENT: the peer refused
    char comm[16];
};

// Keyed by socket address. A plain hash, not LRU: an LRU would evict silently,
// whereas a failed insert here is counted as COUNTER_LOST_UNTRACKED.
BPF_HASH(pending, u64, struct pending_t, PENDING_MAX);

TRACEPOINT_PROBE(sock, inet_sock_set_state) {
    if (args->protocol != IPPROTO_TCP_)
        return 0;
    u64 sk = (u64)args->skaddr;

    if (args->oldstate == TCP_CLOSE_ && args->newstate == TCP_SYN_SENT_) {
        // Active open, in the connecting task: pid, uid and comm are right here,
        // but the source port is not chosen yet.
        u64 id = bpf_get_current_pid_tgid();
        u32 pid = id >> 32;
        u32 uid = bpf_get_current_uid_gid();
        u16 family = args->family;
        if (family == AF_INET6_ && is_v4_mapped(args->daddr_v6))
            family = AF_INET_;
        if (filtered_out(pid, uid, family, args->dport, true)) {
            count(COUNTER_FILTERED);
            return 0;
        }
        struct pending_t p = {};
        p.ts_ns = bpf_ktime_get_ns();
        p.cgroup_id = bpf_get_current_cgroup_id();
        p.pid = pid;
        p.tid = (u32)id;
        p.uid = uid;
        bpf_get_current_comm(&p.comm, sizeof(p.comm));
        if (pending.update(&sk, &p) != 0)
            count(COUNTER_LOST_UNTRACKED);
        return 0;
    }

    if (args->oldstate != TCP_SYN_SENT_)
        return 0;

    // Leaving SYN_SENT (often in softirq, where the current task is unrelated):
    // the source port is final and the outcome is known.
    struct pending_t *p = pending.lookup(&sk);
    if (!p)
        return 0;   // filtered at open, or opened before we attached
    struct event_t e = {};
    e.ts_ns = p->ts_ns;
    e.latency_ns = bpf_ktime_get_ns() - p->ts_ns;
    e.cgroup_id = p->cgroup_id;
    e.pid = p->pid;
    e.tid = p->tid;
    e.uid = p->uid;
    __builtin_memcpy(&e.comm, p->comm, sizeof(e.comm));
    if (args->newstate == TCP_ESTABLISHED_ || args->newstate == TCP_SYN_RECV_)
        e.outcome = OUTCOME_ESTABLISHED;
    else
        e.outcome = p->reset ? OUTCOME_REFUSED : OUTCOME_FAILED;
    pending.delete(&sk);

    e.probe = PROBE_ID_TRACEPOINT;
    e.family = args->family;
    e.sport = args->sport;
    e.dport = args->dport;
    if (args->family == AF_INET_) {
        __builtin_memcpy(&e.saddr, args->saddr, 4);
        __builtin_memcpy(&e.daddr, args->daddr, 4);
    } else {
        __builtin_memcpy(&e.saddr, args->saddr_v6, 16);
        __builtin_memcpy(&e.daddr, args->daddr_v6, 16);
        unmap_v4(&e);
    }
    submit(args, &e);
    return 0;
}

// tcp_reset() fires this before it moves the socket to CLOSE: that tells a refused
// connect from one that timed out, was unreachable or was abandoned.
TRACEPOINT_PROBE(tcp, tcp_receive_reset) {
    u64 sk = (u64)args->skaddr;
    struct pending_t *p = pending.lookup(&sk);
    if (p)
        p->reset = 1;
    return 0;
}
#endif // PROBE_TRACEPOINT

#ifdef PROBE_KPROBE
// The classic BCC tcpconnect design: remember the socket at entry, emit on a 0 return.
// Reads struct sock fields, so it needs kernel headers matching the running kernel.
struct connecting_t {
    struct sock *sk;
    u64 ts_ns;
};
BPF_HASH(connecting, u32, struct connecting_t, PENDING_MAX);

int kprobe_connect_entry(struct pt_regs *ctx, struct sock *sk, struct sockaddr *uaddr) {
    u64 id = bpf_get_current_pid_tgid();
    u32 pid = id >> 32;
    u32 tid = (u32)id;
    u32 uid = bpf_get_current_uid_gid();
    u16 socket_family = sk->__sk_common.skc_family;
    // The IP version comes from the destination (sockaddr_in/in6 are UAPI: family at 0, sin6_addr
    // at 8): an AF_INET6 socket connecting to ::ffff:a.b.c.d is IPv4, as in tracepoint mode.
    u16 addr_family = 0;
    bpf_probe_read_kernel(&addr_family, sizeof(addr_family), uaddr);
    u16 family = addr_family;
    if (addr_family == AF_INET6_) {
        u8 daddr[16];
        bpf_probe_read_kernel(daddr, sizeof(daddr), (u8 *)uaddr + 8);
        if (is_v4_mapped(daddr))
            family = AF_INET_;
    }
    // For a mapped address tcp_v6_connect calls tcp_v4_connect on the same socket. With only
    // tcp_v4_connect probed (ipVersion=4) that inner call is the one to trace; otherwise the
    // outer one already was, and its entry is completed by the inner return.
#if !defined(FILTER_FAMILY) || FILTER_FAMILY != AF_INET_
    if (socket_family == AF_INET6_ && addr_family == AF_INET_)
        return 0;
#endif
    // The destination port is not in sk yet at entry; it is checked on return.
    if (filtered_out(pid, uid, family, 0, false)) {
        count(COUNTER_FILTERED);
        return 0;
    }
    struct connecting_t c = {.sk = sk, .ts_ns = bpf_ktime_get_ns()};
    if (connecting.update(&tid, &c) != 0)
        count(COUNTER_LOST_UNTRACKED);
    return 0;
}

int kprobe_connect_return(struct pt_regs *ctx) {
    u64 id = bpf_get_current_pid_tgid();
    u32 tid = (u32)id;
    struct connecting_t *c = connecting.lookup(&tid);
    if (!c)
        return 0;
    struct sock *sk = c->sk;
    u64 ts = c->ts_ns;
    connecting.delete(&tid);
    if (PT_REGS_RC(ctx) != 0)
        return 0;   // connect() failed before sending a SYN: no connection attempt

    struct event_t e = {};
    e.ts_ns = ts;
    e.pid = id >> 32;
    e.tid = tid;
    e.uid = bpf_get_current_uid_gid();
    e.cgroup_id = bpf_get_current_cgroup_id();
    bpf_get_current_comm(&e.comm, sizeof(e.comm));
    e.probe = PROBE_ID_KPROBE;
    e.outcome = OUTCOME_UNKNOWN;
    // sk came out of a map, so bcc does not rewrite sk->... here: read explicitly.
    u16 dport_be = 0;
    bpf_probe_read_kernel(&e.family, sizeof(e.family), &sk->__sk_common.skc_family);
    bpf_probe_read_kernel(&e.sport, sizeof(e.sport), &sk->__sk_common.skc_num);
    bpf_probe_read_kernel(&dport_be, sizeof(dport_be), &sk->__sk_common.skc_dport);
    e.dport = ntohs(dport_be);
    if (e.family == AF_INET_) {
        bpf_probe_read_kernel(&e.saddr, 4, &sk->__sk_common.skc_rcv_saddr);
        bpf_probe_read_kernel(&e.daddr, 4, &sk->__sk_common.skc_daddr);
    } else {
        bpf_probe_read_kernel(&e.saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32);
        bpf_probe_read_kernel(&e.daddr, 16, &sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32);
        unmap_v4(&e);
    }
    if (filtered_out(e.pid, e.uid, e.family, e.dport, true)) {
        count(COUNTER_FILTERED);
        return 0;
    }
    submit(ctx, &e);
    return 0;
}
#endif // PROBE_KPROBE
