// tcptrace kernel side, part 3: DNS answers, for the names of connections' destinations (dest_host).
//
// Compiled as text appended after bpf/tcpconnect.bpf.c, which declares `events` (the ring
// buffer), `counters` and count(). Everything here is inside #ifdef DNS_ANSWERS.
//
// Where. A cgroup socket-buffer program at the cgroup2 root's ingress (BPF_CGROUP_INET_INGRESS,
// linked by Java): it runs for each packet the kernel delivers to a local socket of any process,
// after NAT was undone and in the receiving socket's network namespace. So an answer forwarded
// through this host to a container is seen once, by the container's socket, and never counts for
// the host's namespace (a tap on the wire would see it in both). It sees every way of reading a
// socket (read, recvmsg, io_uring) and every resolver (glibc, musl, Go, a local stub). Only
// packets from port 53 are copied; the program always lets the packet through.
//
// -D constants (io.tcptrace.names.DnsProbes.cflags):
//   DNS_ANSWERS        turn this part on (needs TRANSPORT_RINGBUF)
//   DNS_MESSAGE_MAX    bytes of a DNS message copied at most (longer ones are marked truncated)
//   DNS_PER_WINDOW     answers copied per CPU per 100 ms at most (default 2000)
//   OFF_SOCK_SKC_NET, OFF_NET_NS_INUM (tcpconnect.bpf.c's netns offsets): the answer's namespace
//
// Record (kind 20), 24 + length bytes, little endian; the Java decoder is io.tcptrace.names.DnsAnswers:
//     0 u8  kind             20
//     1 u8  flags            1 truncated: the message is longer than what was copied
//                            2 more: (TCP) another message follows in the segment, not copied
//     2 u8  ip_version       4 or 6
//     3 u8  transport        17 UDP, 6 TCP (the message without TCP's two-byte length)
//     4 u16 length           bytes of message that follow
//     6 u16 message_length   the whole message's length as the packet gives it
//     8 u32 netns            the receiving socket's network namespace (inode number); 0 unknown
//    12 u32 reserved
//    16 u64 ts_ns            bpf_ktime_get_ns()
//    24 u8  message[length]  the DNS message, from its header on
//
// What is copied: a response (QR) to one question with at least one answer record, from source
// port 53 to another port, delivered to a socket that is unconnected or connected to its sender.
// TCP: each segment that begins such a message (its two-byte length first); a message spread over
// several segments arrives truncated, and a second message in the same segment is flagged: both
// are counted, not parsed.
//
// Loss. At most DNS_PER_WINDOW answers per CPU per 100 ms are copied (20,000 a second each), so
// that connection records keep the ring; one over that, or one the ring refuses, counts
// COUNTER_LOST_DNS.

#ifdef DNS_ANSWERS
#ifndef TRANSPORT_RINGBUF
#error "DNS_ANSWERS needs TRANSPORT_RINGBUF (answers share the ring buffer)"
#endif
#ifndef DNS_MESSAGE_MAX
#define DNS_MESSAGE_MAX 1232
#endif

#define RECORD_DNS 20
#define DNS_FLAG_TRUNCATED 1
#define DNS_FLAG_MORE 2
#define DNS_HEADER_SIZE 12
#define ETH_P_IP_BE 0x0008     // htons(0x0800)
#define ETH_P_IPV6_BE 0xDD86   // htons(0x86DD)
#define IPPROTO_UDP_ 17
#define PORT_53_BE 0x3500      // htons(53)

struct dns_t {
    u8 kind;
    u8 flags;
    u8 ip_version;
    u8 transport;
    u16 length;
    u16 message_length;
    u32 netns;
    u32 reserved;
    u64 ts_ns;
    u8 message[DNS_MESSAGE_MAX];
};
_Static_assert(__builtin_offsetof(struct dns_t, flags) == 1, "dns flags");
_Static_assert(__builtin_offsetof(struct dns_t, ip_version) == 2, "dns ip_version");
_Static_assert(__builtin_offsetof(struct dns_t, transport) == 3, "dns transport");
_Static_assert(__builtin_offsetof(struct dns_t, length) == 4, "dns length");
_Static_assert(__builtin_offsetof(struct dns_t, message_length) == 6, "dns message_length");
_Static_assert(__builtin_offsetof(struct dns_t, netns) == 8, "dns netns");
_Static_assert(__builtin_offsetof(struct dns_t, ts_ns) == 16, "dns ts_ns");
_Static_assert(__builtin_offsetof(struct dns_t, message) == 24, "dns message");

// Too big for the program's 512-byte stack: one per CPU (the program cannot be preempted).
BPF_PERCPU_ARRAY(dns_scratch, struct dns_t, 1);

#ifndef DNS_PER_WINDOW
#define DNS_PER_WINDOW 2000   // answers copied per CPU per 100 ms: 20,000 a second
#endif
struct dns_budget_t {
    u64 window;   // bpf_ktime_get_ns() / 100 ms
    u32 used;
};
BPF_PERCPU_ARRAY(dns_budget, struct dns_budget_t, 1);

// bpf_probe_read_kernel by its number: BCC turns calls by name into the older bpf_probe_read where
// its own probe for the newer helper fails (it does without CAP_SYS_ADMIN), and a socket-buffer
// program may not call that one. Linux 5.5+, older than anything that can link this program.
static long (*dns_read_kernel)(void *dst, u32 size, const void *src) = (void *)BPF_FUNC_probe_read_kernel;

// The receiving socket's namespace. `sk` is the kernel's struct sock (bpf_sock is its view):
// its first bytes are read whole, since the verifier allows no arithmetic on a socket pointer.
static __always_inline u32 dns_netns(struct __sk_buff *skb) {
    u32 inum = 0;
#ifdef OFF_SOCK_SKC_NET
    struct bpf_sock *sk = skb->sk;
    if (!sk)
        return 0;
    u64 head[OFF_SOCK_SKC_NET / 8 + 1] = {};
    dns_read_kernel(head, sizeof(head), sk);
    u64 net = head[OFF_SOCK_SKC_NET / 8];
    if (net)
        dns_read_kernel(&inum, sizeof(inum), (void *)(net + OFF_NET_NS_INUM));
#endif
    return inum;
}

// A socket connected to a peer (glibc's and Go's resolvers connect theirs) takes answers from that
// peer only: a packet from elsewhere would be dropped by its socket lookup anyway, and must not name
// anything. An unconnected socket (musl, a local forwarder) takes the answer as it comes.
static __always_inline bool answers_its_peer(struct __sk_buff *skb, u8 *head, u8 version) {
    struct bpf_sock *sk = skb->sk;
    if (!sk)
        return false;
    if (sk->dst_port == 0)
        return true;
    // IPv6: the port only (LLVM folds the address's four loads into arithmetic on the socket
    // pointer, which the verifier refuses).
    if (version != 4)
        return sk->dst_port == *(u16 *)&head[40];
    return sk->dst_port == *(u16 *)&head[20] && sk->dst_ip4 == *(u32 *)&head[12];
}

int dns_answers(struct __sk_buff *skb) {
    // The packet starts at its IP header here. One load covers the common IPv4 header (no
    // options) or the IPv6 header, and the source and destination ports after it.
    u8 head[44];
    u32 l4;
    u8 protocol;
    u8 version;
    if (skb->protocol == ETH_P_IP_BE) {
        if (bpf_skb_load_bytes(skb, 0, head, 24) != 0)
            return 1;
        l4 = (head[0] & 0x0f) * 4;
        protocol = head[9];
        version = 4;
        if (l4 != 20 && bpf_skb_load_bytes(skb, l4, &head[20], 4) != 0)
            return 1;
        if (*(u16 *)&head[20] != PORT_53_BE || *(u16 *)&head[22] == PORT_53_BE)
            return 1;
    } else if (skb->protocol == ETH_P_IPV6_BE) {
        if (bpf_skb_load_bytes(skb, 0, head, 44) != 0)
            return 1;
        l4 = 40;
        protocol = head[6];   // extension headers are not followed: DNS answers carry none
        version = 6;
        if (*(u16 *)&head[40] != PORT_53_BE || *(u16 *)&head[42] == PORT_53_BE)
            return 1;
    } else {
        return 1;
    }
    u32 message;
    if (protocol == IPPROTO_UDP_) {
        message = l4 + 8;
    } else if (protocol == IPPROTO_TCP_) {
        u8 offset = 0;
        if (bpf_skb_load_bytes(skb, l4 + 12, &offset, 1) != 0)
            return 1;
        message = l4 + (offset >> 4) * 4 + 2;   // after the two-byte length that opens a message
    } else {
        return 1;
    }
    if (skb->len < message + DNS_HEADER_SIZE)
        return 1;   // a bare ACK, or no message at all
    // A response (QR) to one question with at least one answer, else nothing to learn from it:
    // this also passes over a TCP segment that continues a message (its bytes are no header).
    u8 header[DNS_HEADER_SIZE];
    if (bpf_skb_load_bytes(skb, message, header, DNS_HEADER_SIZE) != 0)
        return 1;
    if (!(header[2] & 0x80) || header[4] != 0 || header[5] != 1 || (header[6] == 0 && header[7] == 0))
        return 1;
    if (!answers_its_peer(skb, head, version))
        return 1;
    // Connection events first: at most DNS_PER_WINDOW answers per CPU in each 100 ms are copied, so
    // that a flood of port-53 packets cannot crowd connects, accepts and closes out of the ring.
    // (BCC 0.26 cannot ask the ring how full it is: it has no ringbuf_query method.)
    u32 zero = 0;
    struct dns_budget_t *budget = dns_budget.lookup(&zero);
    if (!budget)
        return 1;
    u64 window = bpf_ktime_get_ns() / 100000000ULL;
    if (budget->window != window) {
        budget->window = window;
        budget->used = 0;
    }
    if (budget->used >= DNS_PER_WINDOW) {
        count(COUNTER_LOST_DNS);
        return 1;
    }
    budget->used++;
    struct dns_t *d = dns_scratch.lookup(&zero);
    if (!d)
        return 1;
    // 64-bit arithmetic throughout: the verifier must see the copy's length bounded in the very
    // register passed to the helper (a 32-bit compare on a copy of it does not count).
    u64 available = skb->len - message;
    u64 whole = available;
    if (protocol == IPPROTO_TCP_) {
        u16 prefix = 0;
        if (bpf_skb_load_bytes(skb, message - 2, &prefix, 2) != 0)
            return 1;
        whole = (prefix >> 8) | ((prefix & 0xff) << 8);
    }
    u64 length = available < whole ? available : whole;
    d->flags = length < whole || length > DNS_MESSAGE_MAX ? DNS_FLAG_TRUNCATED : 0;
    if (available > whole)
        d->flags |= DNS_FLAG_MORE;   // TCP: another message follows in this segment, not copied
    if (length > DNS_MESSAGE_MAX)
        length = DNS_MESSAGE_MAX;
    length &= 0x7ff;   // no change (DNS_MESSAGE_MAX < 2048); it proves the bound to the verifier
    if (length < DNS_HEADER_SIZE)
        return 1;
    if (bpf_skb_load_bytes(skb, message, d->message, length) != 0)
        return 1;
    d->kind = RECORD_DNS;
    d->ip_version = version;
    d->transport = protocol;
    d->length = length;
    d->message_length = whole > 0xffff ? 0xffff : whole;
    d->netns = dns_netns(skb);
    d->reserved = 0;
    d->ts_ns = bpf_ktime_get_ns();
    u64 size = __builtin_offsetof(struct dns_t, message) + length;
    // No wake-up: the reader polls with a short timeout, and ring order puts this answer before the
    // connect that uses it.
    if (events.ringbuf_output(d, size, BPF_RB_NO_WAKEUP) != 0)
        count(COUNTER_LOST_DNS);
    return 1;
}
#endif // DNS_ANSWERS
