// tcptrace kernel side: the life of every TCP connection, IPv4 and IPv6: connect (active open),
// accept (passive open) and close (with duration and bytes), one record each.
//
// Compiled at run time by libbcc. The Java loader chooses the variant with -D flags:
//   PROBE_TRACEPOINT or PROBE_KPROBE   attach mode (same event struct either way)
//   RAW_TRACEPOINT                     tracepoint mode through the raw tracepoint: reads the socket at
//                                      the OFF_SOCK_* offsets instead of the record the kernel builds
//   TRANSPORT_RINGBUF                  BPF ring buffer; otherwise a per-CPU perf buffer
//   RINGBUF_PAGES, PENDING_MAX         sizes
//   PENDING_SLOT_BITS                  connects in SYN_SENT first in 2^bits slots (needs BPF atomics)
//   EXCLUDE_OWN_PID=pid                the tracer's own process, compared as a constant
//   FILTER_EXCLUDE_PIDS, FILTER_ONLY_PIDS, FILTER_UIDS, FILTER_DPORTS
//                                      consult the matching map (filled from Java after load)
//   FILTER_FAMILY=2|10                 only AF_INET or only AF_INET6
//   EVENT_CONNECT, EVENT_ACCEPT, EVENT_CLOSE, CONN_MAX
//                                      which records to write (tracepoint mode); connections tracked
//   OFF_TCP_SOCK_BYTES_RECEIVED, OFF_TCP_SOCK_BYTES_ACKED, OFF_SOCK_SK_FLAGS, OFF_SOCK_SK_ERR,
//   OFF_SOCK_SKC_*, OFF_SOCK_SK_PROTOCOL, OFF_INET_SOCK_INET_SPORT
//                                      struct tcp_sock/sock offsets from the running kernel's BTF
//                                      (close; sk_err: a connect's outcome, without it tcp_receive_reset)
//   OFF_TCP_SOCK_SRTT_US, OFF_TCP_SOCK_MDEV_US, OFF_TCP_SOCK_TOTAL_RETRANS, OFF_TCP_SOCK_SEGS_IN,
//   OFF_TCP_SOCK_SEGS_OUT              TCP health on close (and a connect's SYN retransmits), each
//                                      read only where the kernel's BTF has the member
//   OFF_SOCK_SKC_NET, OFF_NET_NS_INUM  the socket's network namespace (every event's netns, and the
//                                      listeners' key); without them netns is 0 and listeners are
//                                      keyed by port alone, as on a host without namespaces
//   UPDATE_INTERVAL_NS, SWEEP_BATCH    the sweep_updates program: an update record for each open connection
//                                      not reported for UPDATE_INTERVAL_NS (raw tracepoint mode)
//   SEED_OPEN, OFF_SOCK_COMMON_SKC_STATE, OFF_SOCK_SK_SOCKET, OFF_SOCKET_ALLOC_VFS_INODE, OFF_INODE_I_INO
//                                      bpf_iter__tcp: connections open before the start, put in `conns`
//   PROCESS_EVENTS                     bpf/process.bpf.c, appended to this text, emits process records
//   DNS_ANSWERS                        bpf/dns.bpf.c, appended to this text, copies DNS answers (dest_host)
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
#define TCP_FIN_WAIT1_ 4
#define TCP_CLOSE_WAIT_ 8
#define TCP_CLOSE_ 7
#define TCP_LISTEN_ 10

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
#define COUNTER_LOST_CONN_FULL 3    // connection map full: an established connection's close cannot be reported
#define COUNTER_LOST_PROCESS 4      // process.bpf.c: ring buffer had no room for a process record
#define COUNTER_LOST_PROCESS_ARGS 5 // process.bpf.c: exec_args map full, an exec's command line not kept
#define COUNTER_LOST_DNS 6          // dns.bpf.c: ring buffer had no room for a DNS answer
#define COUNTER_COUNT 7

// Record kinds: the first byte of every ring/perf buffer record.
#define RECORD_CONNECT 1
#define RECORD_ACCEPT 2
#define RECORD_CLOSE 3
#define RECORD_UPDATE 4

// event_t.flags
#define FLAG_PREEXISTING 1  // open before the tracer started: counts and duration run from its start-up scan

// Wire format shared with the Java decoder (io.tcptrace.kernel.RecordDecoder), little endian.
// Every offset the decoder reads is asserted below; RecordLayoutTest checks the two sides agree.
// src/dst: the side that initiated the connection and the side that accepted it, for every kind.
struct event_t {
    u8 kind;          // RECORD_*
    u8 outcome;       // connect: OUTCOME_*
    u8 probe;         // PROBE_ID_*
    u8 inbound;       // 1 when the remote side initiated (accept, and the close of such a connection)
    u16 family;
    u16 sport;        // initiator's port
    u16 dport;        // acceptor's port
    u8 flags;         // FLAG_*
    u8 reserved;
    u32 pid;          // tgid of the process that opened or accepted the connection
    u32 tid;
    u32 uid;
    u64 ts_ns;        // bpf_ktime_get_ns(): connect() began / established / closed
    u64 span_ns;      // connect: connect() to outcome (0 in kprobe mode); close: established to closed
    u64 cgroup_id;
    u64 bytes_in;     // close: bytes received
    u64 bytes_out;    // close: bytes sent and acknowledged
    u8 saddr[16];     // initiator's address
    u8 daddr[16];     // acceptor's address
    char comm[16];
    u32 netns;        // the socket's network namespace (inode number, as /proc/PID/ns/net); 0 unknown
    u32 retransmits;  // close: tcp_sock.total_retrans; connect: the SYN's retransmissions
    u32 srtt_us;      // close: smoothed round-trip time, microseconds
    u32 rttvar_us;    // close: its mean deviation, microseconds
    u32 segs_in;      // close: segments received, handshake included
    u32 segs_out;     // close: segments sent, handshake and retransmissions included
};
_Static_assert(sizeof(struct event_t) == 136, "event_t size");
_Static_assert(__builtin_offsetof(struct event_t, kind) == 0, "kind");
_Static_assert(__builtin_offsetof(struct event_t, outcome) == 1, "outcome");
_Static_assert(__builtin_offsetof(struct event_t, probe) == 2, "probe");
_Static_assert(__builtin_offsetof(struct event_t, inbound) == 3, "inbound");
_Static_assert(__builtin_offsetof(struct event_t, family) == 4, "family");
_Static_assert(__builtin_offsetof(struct event_t, sport) == 6, "sport");
_Static_assert(__builtin_offsetof(struct event_t, dport) == 8, "dport");
_Static_assert(__builtin_offsetof(struct event_t, flags) == 10, "flags");
_Static_assert(__builtin_offsetof(struct event_t, pid) == 12, "pid");
_Static_assert(__builtin_offsetof(struct event_t, tid) == 16, "tid");
_Static_assert(__builtin_offsetof(struct event_t, uid) == 20, "uid");
_Static_assert(__builtin_offsetof(struct event_t, ts_ns) == 24, "ts_ns");
_Static_assert(__builtin_offsetof(struct event_t, span_ns) == 32, "span_ns");
_Static_assert(__builtin_offsetof(struct event_t, cgroup_id) == 40, "cgroup_id");
_Static_assert(__builtin_offsetof(struct event_t, bytes_in) == 48, "bytes_in");
_Static_assert(__builtin_offsetof(struct event_t, bytes_out) == 56, "bytes_out");
_Static_assert(__builtin_offsetof(struct event_t, saddr) == 64, "saddr");
_Static_assert(__builtin_offsetof(struct event_t, daddr) == 80, "daddr");
_Static_assert(__builtin_offsetof(struct event_t, comm) == 96, "comm");
_Static_assert(__builtin_offsetof(struct event_t, netns) == 112, "netns");
_Static_assert(__builtin_offsetof(struct event_t, retransmits) == 116, "retransmits");
_Static_assert(__builtin_offsetof(struct event_t, srtt_us) == 120, "srtt_us");
_Static_assert(__builtin_offsetof(struct event_t, rttvar_us) == 124, "rttvar_us");
_Static_assert(__builtin_offsetof(struct event_t, segs_in) == 128, "segs_in");
_Static_assert(__builtin_offsetof(struct event_t, segs_out) == 132, "segs_out");

static __always_inline u32 read_u32(u64 sk, u64 offset) {
    u32 v = 0;
    bpf_probe_read_kernel(&v, sizeof(v), (void *)(sk + offset));
    return v;
}

// The network namespace of a socket: sk->__sk_common.skc_net.net->ns.inum. Two reads, done once
// per connection (its close takes the value kept in `conns`).
static __always_inline u32 netns_of(u64 sk) {
    u32 inum = 0;
#ifdef OFF_SOCK_SKC_NET
    u64 net = 0;
    bpf_probe_read_kernel(&net, sizeof(net), (void *)(sk + OFF_SOCK_SKC_NET));
    if (net)
        bpf_probe_read_kernel(&inum, sizeof(inum), (void *)(net + OFF_NET_NS_INUM));
#endif
    return inum;
}

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
#ifdef EXCLUDE_OWN_PID
    if (pid == EXCLUDE_OWN_PID)
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
#define RINGBUF_WAKEUP_EVERY 1024
#endif
BPF_PERCPU_ARRAY(wakeup_count, u32, 1);
#endif

// Copies a finished event into the output buffer, counting it if there is no room.
static __always_inline void submit(void *ctx, struct event_t *e) {
#ifdef TRANSPORT_RINGBUF
    // Wake the reader on every RINGBUF_WAKEUP_EVERY-th event of a CPU only: a wake-up costs the
    // connecting task an irq_work, whose self-IPI (an MSR write, a VM exit under a hypervisor)
    // measured 1.7% of a connect at every 64th. The reader polls with a short timeout anyway, so
    // a lone event waits at most that long (pollTimeout, 100 ms).
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
// Who owns a connection: the connecting task, or the owner of the listening socket.
struct owner_t {
    u64 cgroup_id;
    u32 pid;
    u32 tid;
    u32 uid;
    char comm[16];
};
// Java writes this struct too: io.tcptrace.kernel.ListenerSeed seeds `listeners` from /proc with
// listeners opened before the tracer attached. RecordLayoutTest checks its constants against these.
_Static_assert(sizeof(struct owner_t) == 40, "owner_t size");
_Static_assert(__builtin_offsetof(struct owner_t, cgroup_id) == 0, "owner cgroup_id");
_Static_assert(__builtin_offsetof(struct owner_t, pid) == 8, "owner pid");
_Static_assert(__builtin_offsetof(struct owner_t, tid) == 12, "owner tid");
_Static_assert(__builtin_offsetof(struct owner_t, uid) == 16, "owner uid");
_Static_assert(__builtin_offsetof(struct owner_t, comm) == 20, "owner comm");

// What only the connecting task knows, kept until the socket leaves SYN_SENT.
struct pending_t {
    u64 ts_ns;
    struct owner_t owner;
#ifndef OFF_SOCK_SK_ERR
    u8 reset;         // a RST arrived while in SYN_SENT: the peer refused
#endif
};

// An established connection, kept until it closes.
struct conn_t {
    u64 established_ns;
    u64 updated_ns;         // the last update record (sweep_updates); 0 before the first
    u64 acked_at_start;     // tcp_sock counters when established: the SYN's sequence number counts in them
    u64 received_at_start;
    struct owner_t owner;
    u32 netns;
    u8 inbound;
    u8 flags;               // FLAG_PREEXISTING for the ones bpf_iter__tcp put here
};
// Java reads these two from a batch read of `conns` (io.tcptrace.kernel.ConnectionSweep) to find
// the connections due an update; RecordLayoutTest checks its constants against these.
_Static_assert(__builtin_offsetof(struct conn_t, established_ns) == 0, "conn established_ns");
_Static_assert(__builtin_offsetof(struct conn_t, updated_ns) == 8, "conn updated_ns");

// Keyed by socket address. Plain hashes, not LRU: an LRU would evict silently, whereas a failed
// insert here is counted (COUNTER_LOST_UNTRACKED, COUNTER_LOST_CONN_FULL).
BPF_HASH(pending, u64, struct pending_t, PENDING_MAX);

#ifdef PENDING_SLOT_BITS
// Connects in SYN_SENT live first in a table of slots indexed by a hash of the socket's address,
// claimed with a compare-and-swap (BPF atomics: Java sets PENDING_SLOT_BITS only where the JIT and
// libbcc's LLVM have them); `pending` takes the ones whose slot is taken. The map's update and delete (bucket lock, free list, a helper call each) were a
// quarter of the program's cost on every connect; an array lookup is inlined by the verifier.
struct pending_slot_t {
    u64 sk;             // owner of the slot, 0 when free
    struct pending_t p;
};
BPF_ARRAY(pending_slots, struct pending_slot_t, 1 << PENDING_SLOT_BITS);

static __always_inline struct pending_slot_t *slot_of(u64 sk) {
    // Fibonacci hashing of the address without its low bits (sockets are cache-line aligned).
    u32 index = 0;
#if PENDING_SLOT_BITS > 0
    index = (u32)(((sk >> 6) * 0x9E3779B97F4A7C15ULL) >> (64 - PENDING_SLOT_BITS));
#endif
    return pending_slots.lookup(&index);
}
#endif

// Keeps the connect of `sk`: in its slot, or in `pending` when another socket holds the slot.
// False when both are full. A slot already owned by the same address is stale (the socket left
// SYN_SENT while the tracer was not attached) and is taken over, as the map's update overwrites.
static __always_inline bool pending_store(u64 sk, struct pending_t *p) {
#ifdef PENDING_SLOT_BITS
    struct pending_slot_t *s = slot_of(sk);
    if (s) {
        u64 owner = __sync_val_compare_and_swap(&s->sk, 0, sk);
        if (owner == 0 || owner == sk) {
            s->p = *p;
            return true;
        }
    }
#endif
    return pending.update(&sk, p) == 0;
}

// The connect kept for `sk`, or NULL.
static __always_inline struct pending_t *pending_find(u64 sk) {
#ifdef PENDING_SLOT_BITS
    struct pending_slot_t *s = slot_of(sk);
    if (s && s->sk == sk)
        return &s->p;
#endif
    return pending.lookup(&sk);
}

// Forgets the connect of `sk` once everything needed has been read from it. The open and the
// exit from SYN_SENT of one socket are ordered by the socket's lock, which is what makes the slot's
// data visible here; the exchange (fully ordered in BPF) keeps these reads before a new claimer's
// writes.
static __always_inline void pending_forget(u64 sk, struct pending_t *p) {
#ifdef PENDING_SLOT_BITS
    struct pending_slot_t *s = slot_of(sk);
    if (s && p == &s->p) {
        __sync_lock_test_and_set(&s->sk, 0);
        return;
    }
#endif
    pending.delete(&sk);
}
#if defined(EVENT_ACCEPT) || defined(EVENT_CLOSE)
BPF_HASH(conns, u64, struct conn_t, CONN_MAX);
// Listening sockets by network namespace and local port, learnt when listen() moves them to LISTEN
// in the owner's task: two containers listening on one port each have their own entry. Listeners
// that were already open when the tracer attached are seeded from /proc by Java (ListenerSeed, per
// namespace), with BPF_NOEXIST: what this program learnt itself always wins.
struct listener_key_t {
    u32 netns;
    u16 port;
    u16 pad;
};
_Static_assert(sizeof(struct listener_key_t) == 8, "listener_key_t size");
_Static_assert(__builtin_offsetof(struct listener_key_t, netns) == 0, "listener netns");
_Static_assert(__builtin_offsetof(struct listener_key_t, port) == 4, "listener port");
BPF_HASH(listeners, struct listener_key_t, struct owner_t, 4096);
#endif

// Makes src the initiator: the tracepoint gives local and remote; for an inbound connection the
// remote side initiated. Swaps values at fixed offsets (the verifier refuses a pointer chosen at
// run time between two stack arrays).
static __always_inline void swap_sides(struct event_t *e) {
    u16 port = e->sport;
    e->sport = e->dport;
    e->dport = port;
    u64 a0 = *(u64 *)&e->saddr[0], a1 = *(u64 *)&e->saddr[8];
    *(u64 *)&e->saddr[0] = *(u64 *)&e->daddr[0];
    *(u64 *)&e->saddr[8] = *(u64 *)&e->daddr[8];
    *(u64 *)&e->daddr[0] = a0;
    *(u64 *)&e->daddr[8] = a1;
}

// The socket as a state change shows it: local port in sport, remote in dport, local address in
// saddr. The classic tracepoint hands a record the kernel built for every change; the raw
// tracepoint hands only the socket, whose fields are read at BTF offsets, each only once the
// change turns out to need it (the kernel then builds no record at all). `have` says what is read.
struct sock_fields {
    u16 family;
    u16 sport;
    u16 dport;
    u8 have;          // HAVE_* bits
    u8 is_tcp;
    u8 saddr[16];
    u8 daddr[16];
};
#define HAVE_PROTOCOL 1
#define HAVE_REMOTE 2       // family and dport
#define HAVE_SPORT 4
#define HAVE_ADDRESSES 8
#define HAVE_ALL 15

#ifdef RAW_TRACEPOINT
static __always_inline u16 swap16(u16 v) {
    return (v >> 8) | (v << 8);
}

// Sockets found in `pending` or `conns` were TCP when stored: the protocol is read only for the
// others (SCTP and MPTCP sockets pass through the same tracepoint).
static __always_inline bool is_tcp(struct sock_fields *f, u64 sk) {
    if (!(f->have & HAVE_PROTOCOL)) {
        u16 protocol = 0;
        bpf_probe_read_kernel(&protocol, sizeof(protocol), (void *)(sk + OFF_SOCK_SK_PROTOCOL));
        f->is_tcp = protocol == IPPROTO_TCP_;
        f->have |= HAVE_PROTOCOL;
    }
    return f->is_tcp;
}

// skc_dport and skc_family sit side by side in sock_common on every kernel with the tracepoint:
// one read when the BTF offsets say so.
static __always_inline void read_remote(struct sock_fields *f, u64 sk) {
    if (f->have & HAVE_REMOTE)
        return;
    f->have |= HAVE_REMOTE;
    u16 dport_be = 0;
#if OFF_SOCK_SKC_FAMILY == OFF_SOCK_SKC_DPORT + 4
    u16 v[3] = {};
    bpf_probe_read_kernel(v, sizeof(v), (void *)(sk + OFF_SOCK_SKC_DPORT));
    dport_be = v[0];
    f->family = v[2];
#else
    bpf_probe_read_kernel(&dport_be, sizeof(dport_be), (void *)(sk + OFF_SOCK_SKC_DPORT));
    bpf_probe_read_kernel(&f->family, sizeof(f->family), (void *)(sk + OFF_SOCK_SKC_FAMILY));
#endif
    f->dport = swap16(dport_be);
}

// inet_sport as the tracepoint's record has it, not skc_num: inet_put_port() has already cleared
// that when a socket moves to CLOSE.
static __always_inline void read_sport(struct sock_fields *f, u64 sk) {
    if (f->have & HAVE_SPORT)
        return;
    f->have |= HAVE_SPORT;
    u16 sport_be = 0;
    bpf_probe_read_kernel(&sport_be, sizeof(sport_be), (void *)(sk + OFF_INET_SOCK_INET_SPORT));
    f->sport = swap16(sport_be);
}

static __always_inline void read_addresses(struct sock_fields *f, u64 sk) {
    if (f->have & HAVE_ADDRESSES)
        return;
    f->have |= HAVE_ADDRESSES;
    read_remote(f, sk);
    if (f->family == AF_INET_) {
#if OFF_SOCK_SKC_RCV_SADDR == OFF_SOCK_SKC_DADDR + 4
        u32 pair[2] = {};   // skc_addrpair: remote, then local
        bpf_probe_read_kernel(pair, sizeof(pair), (void *)(sk + OFF_SOCK_SKC_DADDR));
        __builtin_memcpy(f->daddr, &pair[0], 4);
        __builtin_memcpy(f->saddr, &pair[1], 4);
#else
        bpf_probe_read_kernel(f->saddr, 4, (void *)(sk + OFF_SOCK_SKC_RCV_SADDR));
        bpf_probe_read_kernel(f->daddr, 4, (void *)(sk + OFF_SOCK_SKC_DADDR));
#endif
    } else {
        bpf_probe_read_kernel(f->saddr, 16, (void *)(sk + OFF_SOCK_SKC_V6_RCV_SADDR));
        bpf_probe_read_kernel(f->daddr, 16, (void *)(sk + OFF_SOCK_SKC_V6_DADDR));
    }
}
#else
// The classic tracepoint's entry copied everything from the record and checked the protocol.
static __always_inline bool is_tcp(struct sock_fields *f, u64 sk) {
    return true;
}
static __always_inline void read_remote(struct sock_fields *f, u64 sk) {
}
static __always_inline void read_sport(struct sock_fields *f, u64 sk) {
}
static __always_inline void read_addresses(struct sock_fields *f, u64 sk) {
}
#endif

// Local side into src, remote into dest, then swapped for inbound.
static __always_inline void fill_addresses(struct event_t *e, struct sock_fields *f, u64 sk, bool inbound) {
    read_addresses(f, sk);
    read_sport(f, sk);
    e->family = f->family;
    e->sport = f->sport;
    e->dport = f->dport;
    __builtin_memcpy(e->saddr, f->saddr, 16);
    __builtin_memcpy(e->daddr, f->daddr, 16);
    if (inbound)
        swap_sides(e);
    if (f->family != AF_INET_)
        unmap_v4(e);
}

static __always_inline void fill_owner(struct event_t *e, struct owner_t *o) {
    e->cgroup_id = o->cgroup_id;
    e->pid = o->pid;
    e->tid = o->tid;
    e->uid = o->uid;
    __builtin_memcpy(&e->comm, o->comm, sizeof(e->comm));
}

static __always_inline void current_owner(struct owner_t *o) {
    u64 id = bpf_get_current_pid_tgid();
    o->pid = id >> 32;
    o->tid = (u32)id;
    o->uid = bpf_get_current_uid_gid();
    o->cgroup_id = bpf_get_current_cgroup_id();
    bpf_get_current_comm(&o->comm, sizeof(o->comm));
}

#ifdef EVENT_CLOSE
#define TCP_FIN_WAIT2_ 5
#define TCP_TIME_WAIT_ 6
#define TCP_LAST_ACK_ 9
#define TCP_CLOSING_ 11

static __always_inline u64 read_u64(u64 sk, u64 offset) {
    u64 v = 0;
    bpf_probe_read_kernel(&v, sizeof(v), (void *)(sk + offset));
    return v;
}

// The kernel's own TCP counters, as tcp_info reports them: srtt_us and mdev_us are kept scaled
// (8x and 4x) for the estimator's integer arithmetic.
static __always_inline void read_health(struct event_t *e, u64 sk) {
#ifdef OFF_TCP_SOCK_SRTT_US
    e->srtt_us = read_u32(sk, OFF_TCP_SOCK_SRTT_US) >> 3;
#endif
#ifdef OFF_TCP_SOCK_MDEV_US
    e->rttvar_us = read_u32(sk, OFF_TCP_SOCK_MDEV_US) >> 2;
#endif
#ifdef OFF_TCP_SOCK_TOTAL_RETRANS
    e->retransmits = read_u32(sk, OFF_TCP_SOCK_TOTAL_RETRANS);
#endif
#ifdef OFF_TCP_SOCK_SEGS_IN
    e->segs_in = read_u32(sk, OFF_TCP_SOCK_SEGS_IN);
#endif
#ifdef OFF_TCP_SOCK_SEGS_OUT
    e->segs_out = read_u32(sk, OFF_TCP_SOCK_SEGS_OUT);
#endif
}

static __always_inline void start_counts(struct conn_t *c, u64 sk) {
    c->acked_at_start = read_u64(sk, OFF_TCP_SOCK_BYTES_ACKED);
    c->received_at_start = read_u64(sk, OFF_TCP_SOCK_BYTES_RECEIVED);
}

// enum sock_flags: set by tcp_fin() when the peer's FIN is received (the same value since Linux 2.6).
#define SOCK_DONE_ 1

// bytes_acked and bytes_received count sequence space, so a FIN acknowledged or received adds one:
// the state the socket closes from tells whether our FIN was acknowledged; SOCK_DONE whether the
// peer's FIN arrived. The state cannot tell that: a socket closed while in FIN_WAIT2 is handed to
// a time-wait socket (FIN_WAIT2 -> CLOSE) both when the peer's FIN arrives and, for a socket the
// process already closed, as soon as our FIN is acknowledged, before the peer's FIN.
// A counter below its start cannot belong to this socket's life (only an entry left from before a
// re-attach could do that, and attach clears them): 0, never an unsigned wrap to ~1.8e19.
static __always_inline u64 since(u64 now, u64 start) {
    return now >= start ? now - start : 0;
}

static __always_inline void close_counts(struct event_t *e, struct conn_t *c, u64 sk, int oldstate) {
    u64 acked = since(read_u64(sk, OFF_TCP_SOCK_BYTES_ACKED), c->acked_at_start);
    u64 received = since(read_u64(sk, OFF_TCP_SOCK_BYTES_RECEIVED), c->received_at_start);
    bool fin_acked = oldstate == TCP_FIN_WAIT2_ || oldstate == TCP_LAST_ACK_ || oldstate == TCP_CLOSING_
                     || oldstate == TCP_TIME_WAIT_;
    bool fin_received = (read_u64(sk, OFF_SOCK_SK_FLAGS) >> SOCK_DONE_) & 1;
    e->bytes_out = acked > 0 && fin_acked ? acked - 1 : acked;
    e->bytes_in = received > 0 && fin_received ? received - 1 : received;
}
#endif

#define ECONNREFUSED_ 111

// The peer refused: it answered the SYN with a reset (or an ICMP port unreachable). tcp_reset()
// and tcp_v4_err()/tcp_v6_err() store ECONNREFUSED in sk_err before moving the socket to CLOSE,
// which saves a second tracepoint per connect; without BTF, tcp_receive_reset marks it instead.
static __always_inline bool connect_refused(struct pending_t *p, u64 sk) {
#ifdef OFF_SOCK_SK_ERR
    int err = 0;
    bpf_probe_read_kernel(&err, sizeof(err), (void *)(sk + OFF_SOCK_SK_ERR));
    return err == ECONNREFUSED_;
#else
    return p->reset;
#endif
}

// One state change of a TCP socket, from either entry point below.
static __always_inline int on_state_change(void *ctx, u64 sk, int oldstate, int newstate, struct sock_fields *f) {
    if (oldstate == TCP_CLOSE_ && newstate == TCP_SYN_SENT_) {
        // Active open, in the connecting task: pid, uid and comm are right here,
        // but the source port is not chosen yet.
        if (!is_tcp(f, sk))
            return 0;
        read_remote(f, sk);
        u64 id = bpf_get_current_pid_tgid();
        u32 pid = id >> 32;
        u32 uid = bpf_get_current_uid_gid();
        u16 family = f->family;
        if (family == AF_INET6_) {
            read_addresses(f, sk);
            if (is_v4_mapped(f->daddr))
                family = AF_INET_;
        }
        if (filtered_out(pid, uid, family, f->dport, true)) {
            count(COUNTER_FILTERED);
            return 0;
        }
        struct pending_t p = {};
        p.ts_ns = bpf_ktime_get_ns();
        p.owner.cgroup_id = bpf_get_current_cgroup_id();
        p.owner.pid = pid;
        p.owner.tid = (u32)id;
        p.owner.uid = uid;
        bpf_get_current_comm(&p.owner.comm, sizeof(p.owner.comm));
        if (!pending_store(sk, &p))
            count(COUNTER_LOST_UNTRACKED);
        return 0;
    }

#if defined(EVENT_ACCEPT) || defined(EVENT_CLOSE)
    if (newstate == TCP_LISTEN_) {
        // listen(), in the owner's task: remember who owns the port. Kernels that set the source
        // port only after this state change give 0 here: then read the bound port from the socket.
        if (!is_tcp(f, sk))
            return 0;
        struct owner_t o = {};
        current_owner(&o);
        read_sport(f, sk);
        struct listener_key_t key = {.netns = netns_of(sk), .port = f->sport};
        if (key.port == 0)
            bpf_probe_read_kernel(&key.port, sizeof(key.port), (void *)(sk + OFF_SOCK_SKC_NUM));
        listeners.update(&key, &o);
        return 0;
    }
    if (oldstate == TCP_LISTEN_) {
        // A child cloned from the listener starts as LISTEN -> SYN_RECV: only LISTEN -> CLOSE ends it.
        // Several sockets can listen on one port (SO_REUSEPORT workers, separate IPv4 and IPv6
        // sockets): one closing forgets the port only if its owner is the one remembered.
        if (newstate == TCP_CLOSE_ && is_tcp(f, sk)) {
            read_sport(f, sk);
            struct listener_key_t key = {.netns = netns_of(sk), .port = f->sport};
            struct owner_t *o = listeners.lookup(&key);
            if (o && o->pid == bpf_get_current_pid_tgid() >> 32)
                listeners.delete(&key);
        }
        return 0;
    }

    if (oldstate == TCP_SYN_RECV_ && newstate == TCP_ESTABLISHED_) {
        // Passive open completed (softirq: the current task is unrelated). The listener's
        // owner is the process that will accept it.
        if (!is_tcp(f, sk))
            return 0;
        read_sport(f, sk);
        // The child socket shares its listener's namespace: the listener of this namespace's port.
        struct listener_key_t key = {.netns = netns_of(sk), .port = f->sport};
        struct owner_t unknown = {};
        struct owner_t *o = listeners.lookup(&key);
        if (!o)
            o = &unknown;
        struct event_t e = {};
        fill_addresses(&e, f, sk, 1);   // IPv4-mapped addresses become IPv4 here, before the filter
        e.netns = key.netns;
        if (filtered_out(o->pid, o->uid, e.family, key.port, true)) {
            count(COUNTER_FILTERED);
            return 0;
        }
        u64 now = bpf_ktime_get_ns();
#ifdef EVENT_CLOSE
        struct conn_t c = {};
        c.established_ns = now;
        c.owner = *o;
        c.netns = key.netns;
        c.inbound = 1;
        start_counts(&c, sk);
        if (conns.update(&sk, &c) != 0)
            count(COUNTER_LOST_CONN_FULL);
#endif
#ifdef EVENT_ACCEPT
        e.kind = RECORD_ACCEPT;
        e.probe = PROBE_ID_TRACEPOINT;
        e.inbound = 1;
        e.ts_ns = now;
        fill_owner(&e, o);
        submit(ctx, &e);
#endif
        return 0;
    }

#ifdef EVENT_CLOSE
    if (newstate == TCP_CLOSE_ && oldstate != TCP_SYN_SENT_) {
        struct conn_t *c = conns.lookup(&sk);
        if (!c)
            return 0;   // never established, filtered, or established before we attached
        struct event_t e = {};
        e.kind = RECORD_CLOSE;
        e.probe = PROBE_ID_TRACEPOINT;
        e.inbound = c->inbound;
        e.flags = c->flags;
        e.ts_ns = bpf_ktime_get_ns();
        e.span_ns = since(e.ts_ns, c->established_ns);
        e.netns = c->netns;
        fill_owner(&e, &c->owner);
        close_counts(&e, c, sk, oldstate);
        read_health(&e, sk);
        fill_addresses(&e, f, sk, c->inbound);
        conns.delete(&sk);
        submit(ctx, &e);
        return 0;
    }
#endif
#endif // EVENT_ACCEPT || EVENT_CLOSE

    if (oldstate != TCP_SYN_SENT_)
        return 0;

    // Leaving SYN_SENT (often in softirq, where the current task is unrelated):
    // the source port is final and the outcome is known.
    struct pending_t *p = pending_find(sk);
    if (!p)
        return 0;   // filtered at open, or opened before we attached
    struct event_t e = {};
    e.kind = RECORD_CONNECT;
    e.ts_ns = p->ts_ns;
    e.span_ns = bpf_ktime_get_ns() - p->ts_ns;
    e.netns = netns_of(sk);
    fill_owner(&e, &p->owner);
    bool established = newstate == TCP_ESTABLISHED_ || newstate == TCP_SYN_RECV_;
    if (established)
        e.outcome = OUTCOME_ESTABLISHED;
    else
        e.outcome = connect_refused(p, sk) ? OUTCOME_REFUSED : OUTCOME_FAILED;
#ifdef OFF_TCP_SOCK_TOTAL_RETRANS
    // Still in SYN_SENT's accounting: every retransmission so far was of the SYN.
    e.retransmits = read_u32(sk, OFF_TCP_SOCK_TOTAL_RETRANS);
#endif
#ifdef EVENT_CLOSE
    if (established) {
        struct conn_t c = {};
        c.established_ns = e.ts_ns + e.span_ns;
        c.owner = p->owner;
        c.netns = e.netns;
        start_counts(&c, sk);
        if (conns.update(&sk, &c) != 0)
            count(COUNTER_LOST_CONN_FULL);
    }
#endif
    pending_forget(sk, p);
#ifdef EVENT_CONNECT
    e.probe = PROBE_ID_TRACEPOINT;
    fill_addresses(&e, f, sk, 0);
    submit(ctx, &e);
#endif
    return 0;
}

#if defined(UPDATE_INTERVAL_NS) && defined(EVENT_CLOSE) && defined(RAW_TRACEPOINT)
// One socket's update record, if it is still open and due (Java chose it from a batch read that
// may be a moment old).
static __always_inline void update_one(void *ctx, u64 sk, u64 now) {
    struct conn_t *c = conns.lookup(&sk);
    if (!c)
        return;
    u64 last = c->updated_ns ? c->updated_ns : c->established_ns;
    if (now - last < UPDATE_INTERVAL_NS)
        return;
    c->updated_ns = now;
    struct event_t e = {};
    e.kind = RECORD_UPDATE;
    e.probe = PROBE_ID_TRACEPOINT;
    e.inbound = c->inbound;
    e.flags = c->flags;
    e.ts_ns = now;
    e.span_ns = since(now, c->established_ns);
    e.netns = c->netns;
    fill_owner(&e, &c->owner);
    e.bytes_out = since(read_u64(sk, OFF_TCP_SOCK_BYTES_ACKED), c->acked_at_start);
    e.bytes_in = since(read_u64(sk, OFF_TCP_SOCK_BYTES_RECEIVED), c->received_at_start);
    read_health(&e, sk);
    struct sock_fields f = {};
    fill_addresses(&e, &f, sk, c->inbound);
    submit(ctx, &e);
}

// Attached nowhere: Java (io.tcptrace.kernel.ConnectionSweep) runs it with BPF_PROG_TEST_RUN,
// args[0] the number of sockets that follow in args[1..11] (the most a raw tracepoint's context
// holds), which Java found due in a batch read of `conns`. Written out, not looped: each socket's
// part reads its argument at a fixed offset, which every verifier accepts (Linux 6.1's refused
// both a loop of 64 over a map, as too complex, and the pointer LLVM makes of a loop over the
// arguments).
_Static_assert(SWEEP_BATCH == 11, "sweep_updates takes 11 sockets");
int sweep_updates(struct bpf_raw_tracepoint_args *ctx) {
    u64 n = ctx->args[0];
    u64 now = bpf_ktime_get_ns();
    if (n >= 1) update_one(ctx, ctx->args[1], now);
    if (n >= 2) update_one(ctx, ctx->args[2], now);
    if (n >= 3) update_one(ctx, ctx->args[3], now);
    if (n >= 4) update_one(ctx, ctx->args[4], now);
    if (n >= 5) update_one(ctx, ctx->args[5], now);
    if (n >= 6) update_one(ctx, ctx->args[6], now);
    if (n >= 7) update_one(ctx, ctx->args[7], now);
    if (n >= 8) update_one(ctx, ctx->args[8], now);
    if (n >= 9) update_one(ctx, ctx->args[9], now);
    if (n >= 10) update_one(ctx, ctx->args[10], now);
    if (n >= 11) update_one(ctx, ctx->args[11], now);
    return 0;
}
#endif

#if defined(SEED_OPEN) && defined(EVENT_CLOSE) && defined(RAW_TRACEPOINT)
// The kernel's TCP socket iterator (Linux 5.9+) gives every TCP socket of one network namespace:
// the one Java was in when it created the iterator (io.tcptrace.kernel.OpenConnectionSeed, once per
// namespace at start). Its context, as the kernel declares it.
struct bpf_iter__tcp {
    void *meta;
    void *sk_common;
    u32 uid;
};

// Owners of open sockets by socket inode, written by Java from /proc before the iterators run.
BPF_HASH(seed_owners, u64, struct owner_t, 65536);

// Connections open before the start, as the program would have tracked them had it seen their
// handshake: counted from now (FLAG_PREEXISTING), with the owner /proc named. One that the program
// tracks already (its handshake seen since the attach) is left as it is.
int bpf_iter__tcp(struct bpf_iter__tcp *ctx) {
    u64 sk = (u64)ctx->sk_common;
    if (!sk)
        return 0;
    u8 state = 0;
    bpf_probe_read_kernel(&state, sizeof(state), (void *)(sk + OFF_SOCK_COMMON_SKC_STATE));
    // full sockets past the handshake and not closed (time-wait and request sockets are smaller structs)
    if (state != TCP_ESTABLISHED_ && state != TCP_CLOSE_WAIT_ && state != TCP_FIN_WAIT1_
            && state != TCP_FIN_WAIT2_ && state != TCP_LAST_ACK_ && state != TCP_CLOSING_)
        return 0;
    if (conns.lookup(&sk))
        return 0;
    struct conn_t c = {};
    c.established_ns = bpf_ktime_get_ns();
    c.flags = FLAG_PREEXISTING;
    c.netns = netns_of(sk);
    u64 socket = 0, ino = 0;
    bpf_probe_read_kernel(&socket, sizeof(socket), (void *)(sk + OFF_SOCK_SK_SOCKET));
    if (socket) {
        bpf_probe_read_kernel(&ino, sizeof(ino), (void *)(socket + OFF_SOCKET_ALLOC_VFS_INODE + OFF_INODE_I_INO));
        struct owner_t *o = seed_owners.lookup(&ino);
        if (o)
            c.owner = *o;
    }
    struct sock_fields f = {};
    read_sport(&f, sk);
    struct listener_key_t key = {.netns = c.netns, .port = f.sport};
    c.inbound = listeners.lookup(&key) ? 1 : 0;   // its local port is one this namespace listens on
    // the filters, as at a connect (the remote port) or an accept (the listening port)
    read_addresses(&f, sk);
    u16 family = f.family == AF_INET6_ && is_v4_mapped(f.daddr) ? AF_INET_ : f.family;
    if (filtered_out(c.owner.pid, c.owner.uid, family, c.inbound ? f.sport : f.dport, true))
        return 0;
    start_counts(&c, sk);
    if (conns.insert(&sk, &c) != 0 && !conns.lookup(&sk))
        count(COUNTER_LOST_CONN_FULL);
    return 0;
}
#endif

// The state changes on_state_change acts on; every other one returns before reading anything.
static __always_inline bool wanted(int oldstate, int newstate) {
    if (oldstate == TCP_SYN_SENT_ || (oldstate == TCP_CLOSE_ && newstate == TCP_SYN_SENT_))
        return true;
#if defined(EVENT_ACCEPT) || defined(EVENT_CLOSE)
    if (newstate == TCP_LISTEN_ || (oldstate == TCP_LISTEN_ && newstate == TCP_CLOSE_)
        || (oldstate == TCP_SYN_RECV_ && newstate == TCP_ESTABLISHED_))
        return true;
#endif
#ifdef EVENT_CLOSE
    if (newstate == TCP_CLOSE_)
        return true;
#endif
    return false;
}

#ifdef RAW_TRACEPOINT
// trace_inet_sock_set_state(const struct sock *sk, const int oldstate, const int newstate)
RAW_TRACEPOINT_PROBE(inet_sock_set_state) {
    int oldstate = (int)ctx->args[1];
    int newstate = (int)ctx->args[2];
    if (!wanted(oldstate, newstate))
        return 0;
    struct sock_fields f = {};
    return on_state_change(ctx, ctx->args[0], oldstate, newstate, &f);
}
#else
TRACEPOINT_PROBE(sock, inet_sock_set_state) {
    if (args->protocol != IPPROTO_TCP_ || !wanted(args->oldstate, args->newstate))
        return 0;
    struct sock_fields f = {};
    f.family = args->family;
    f.sport = args->sport;
    f.dport = args->dport;
    f.have = HAVE_ALL;
    f.is_tcp = 1;
    // bpf_probe_read_kernel, not a plain copy: clang turns that into loads through a moved context
    // pointer, which the verifier refuses.
    if (args->family == AF_INET_) {
        bpf_probe_read_kernel(f.saddr, 4, args->saddr);
        bpf_probe_read_kernel(f.daddr, 4, args->daddr);
    } else {
        bpf_probe_read_kernel(f.saddr, 16, args->saddr_v6);
        bpf_probe_read_kernel(f.daddr, 16, args->daddr_v6);
    }
    return on_state_change(args, (u64)args->skaddr, args->oldstate, args->newstate, &f);
}
#endif

#ifndef OFF_SOCK_SK_ERR
// tcp_reset() fires this before it moves the socket to CLOSE: that tells a refused
// connect from one that timed out, was unreachable or was abandoned.
TRACEPOINT_PROBE(tcp, tcp_receive_reset) {
    struct pending_t *p = pending_find((u64)args->skaddr);
    if (p)
        p->reset = 1;
    return 0;
}
#endif
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
    e.kind = RECORD_CONNECT;
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
    e.netns = netns_of((u64)sk);
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
