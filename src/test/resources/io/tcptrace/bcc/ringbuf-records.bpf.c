// MappedRingBufferTest's writer: one ring buffer record per fadvise64(-1, offset, len, 0) call of
// the test process whose offset carries the magic number in its high half. The test chooses each
// record through the call's arguments:
//   offset  MAGIC << 32 | sequence number
//   len     bits 0-7: size index into SIZES; bit 8: discard instead of submit;
//           bits 9-10: wake-up flag (0 BPF_RB_NO_WAKEUP, 1 BPF_RB_FORCE_WAKEUP, 2 none: adaptive)
// A record is [u32 seq][u32 size][size - 8 bytes of `pattern` from byte seq & 0xff], so the test
// can check every byte. fadvise64 on fd -1 fails with EBADF before doing anything.
//   RING_PAGES   the ring buffer's size in pages

#define MAGIC 0x74637074ULL
#define PATTERN_SIZE 4096

#define STAT_RESERVE_FAILED 0
#define STAT_SUBMITTED 1
#define STAT_DISCARDED 2

struct pattern_t {
    u8 bytes[PATTERN_SIZE];
};

BPF_RINGBUF_OUTPUT(events, RING_PAGES);
BPF_ARRAY(pattern, struct pattern_t, 1);
BPF_ARRAY(owner, u32, 1);
BPF_PERCPU_ARRAY(stats, u64, 3);

static __always_inline void bump(int index) {
    u64 *v = stats.lookup(&index);
    if (v)
        (*v)++;
}

// size is a constant at every call site once inlined: the verifier wants a known reserve size.
static __always_inline int emit(u32 size, u32 seq, bool discard, u64 flags) {
    int zero = 0;
    struct pattern_t *p = pattern.lookup(&zero);
    if (!p)
        return 0;
    u8 *r = events.ringbuf_reserve(size);
    if (!r) {
        bump(STAT_RESERVE_FAILED);
        return 0;
    }
    *(u32 *)r = seq;
    *(u32 *)(r + 4) = size;
    bpf_probe_read_kernel(r + 8, size - 8, &p->bytes[seq & 0xff]);
    if (discard) {
        events.ringbuf_discard(r, flags);
        bump(STAT_DISCARDED);
    } else {
        events.ringbuf_submit(r, flags);
        bump(STAT_SUBMITTED);
    }
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_enter_fadvise64) {
    u64 offset = args->offset;
    if ((offset >> 32) != MAGIC)
        return 0;
    int zero = 0;
    u32 *pid = owner.lookup(&zero);
    if (!pid || *pid != (u32)(bpf_get_current_pid_tgid() >> 32))
        return 0;
    u32 seq = (u32)offset;
    u64 op = args->len;
    bool discard = (op >> 8) & 1;
    u32 wake = (op >> 9) & 3;
    u64 flags = wake == 1 ? BPF_RB_FORCE_WAKEUP : wake == 0 ? BPF_RB_NO_WAKEUP : 0;
    // Keep in step with MappedRingBufferTest.SIZES.
    switch (op & 0xff) {
    case 0: return emit(12, seq, discard, flags);
    case 1: return emit(13, seq, discard, flags);
    case 2: return emit(61, seq, discard, flags);
    case 3: return emit(64, seq, discard, flags);
    case 4: return emit(250, seq, discard, flags);
    case 5: return emit(1001, seq, discard, flags);
    case 6: return emit(3333, seq, discard, flags);
    }
    return 0;
}
