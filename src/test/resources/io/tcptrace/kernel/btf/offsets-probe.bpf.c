// KernelOffsetsBpfTest's probe: when one of the test's two sockets reaches CLOSE, read struct
// members at the offsets KernelOffsets found in BTF (-DOFF_...), plus the current task's, and
// store them in `seen` for the test to compare with what it knows.
//   CLIENT_PORT, SERVER_PORT   the connection to watch (host order)
// Every slot is written once per socket, on the CPU where its close happens, so summing a slot
// over the CPUs gives the value.

#define TCP_CLOSE_ 7

// Client socket (closed by the test thread with an RST, so `current` is that thread; bound to
// an explicit port, which keeps skc_num set through the CLOSE transition).
#define S_CLIENT_CLOSES 0
#define S_CLIENT_RECEIVED 1
#define S_CLIENT_ACKED 2
#define S_CLIENT_NUM 3
#define S_CLIENT_DPORT 4
#define S_CLIENT_FAMILY 5
#define S_CLIENT_SADDR 6
#define S_CLIENT_DADDR 7
#define S_CLIENT_V6_SADDR_LO 8
#define S_CLIENT_V6_SADDR_HI 9
#define S_CLIENT_V6_DADDR_LO 10
#define S_CLIENT_V6_DADDR_HI 11
#define S_TASK_TGID 12
#define S_HELPER_TGID 13
#define S_PARENT_TGID 14
#define S_ARGS_LEN 15
// Accepted socket (closed in softirq when the RST arrives).
#define S_SERVER_CLOSES 16
#define S_SERVER_RECEIVED 17
#define S_COUNT 18

BPF_PERCPU_ARRAY(seen, u64, S_COUNT);

static inline void put(int slot, u64 value) {
    u64 *v = seen.lookup(&slot);
    if (v)
        *v += value;
}

static inline u64 read64(void *base, long off) {
    u64 v = 0;
    bpf_probe_read_kernel(&v, sizeof(v), base + off);
    return v;
}

static inline u64 read32(void *base, long off) {
    u32 v = 0;
    bpf_probe_read_kernel(&v, sizeof(v), base + off);
    return v;
}

static inline u64 read16(void *base, long off) {
    u16 v = 0;
    bpf_probe_read_kernel(&v, sizeof(v), base + off);
    return v;
}

TRACEPOINT_PROBE(sock, inet_sock_set_state) {
    if (args->protocol != 6 || args->newstate != TCP_CLOSE_)
        return 0;
    void *sk = (void *)args->skaddr;
    if (args->sport == SERVER_PORT && args->dport == CLIENT_PORT) {
        put(S_SERVER_CLOSES, 1);
        put(S_SERVER_RECEIVED, read64(sk, OFF_TCP_SOCK_BYTES_RECEIVED));
        return 0;
    }
    if (args->sport != CLIENT_PORT || args->dport != SERVER_PORT)
        return 0;
    put(S_CLIENT_CLOSES, 1);
    put(S_CLIENT_RECEIVED, read64(sk, OFF_TCP_SOCK_BYTES_RECEIVED));
    put(S_CLIENT_ACKED, read64(sk, OFF_TCP_SOCK_BYTES_ACKED));
    put(S_CLIENT_NUM, read16(sk, OFF_SOCK_SKC_NUM));
    put(S_CLIENT_DPORT, read16(sk, OFF_SOCK_SKC_DPORT));
    put(S_CLIENT_FAMILY, read16(sk, OFF_SOCK_SKC_FAMILY));
    put(S_CLIENT_SADDR, read32(sk, OFF_SOCK_SKC_RCV_SADDR));
    put(S_CLIENT_DADDR, read32(sk, OFF_SOCK_SKC_DADDR));
    put(S_CLIENT_V6_SADDR_LO, read64(sk, OFF_SOCK_SKC_V6_RCV_SADDR));
    put(S_CLIENT_V6_SADDR_HI, read64(sk, OFF_SOCK_SKC_V6_RCV_SADDR + 8));
    put(S_CLIENT_V6_DADDR_LO, read64(sk, OFF_SOCK_SKC_V6_DADDR));
    put(S_CLIENT_V6_DADDR_HI, read64(sk, OFF_SOCK_SKC_V6_DADDR + 8));

    void *task = (void *)bpf_get_current_task();
    put(S_TASK_TGID, read32(task, OFF_TASK_STRUCT_TGID));
    put(S_HELPER_TGID, bpf_get_current_pid_tgid() >> 32);
    void *parent = (void *)read64(task, OFF_TASK_STRUCT_REAL_PARENT);
    put(S_PARENT_TGID, read32(parent, OFF_TASK_STRUCT_TGID));
    void *mm = (void *)read64(task, OFF_TASK_STRUCT_MM);
    put(S_ARGS_LEN, read64(mm, OFF_MM_STRUCT_ARG_END) - read64(mm, OFF_MM_STRUCT_ARG_START));
    return 0;
}
