package io.tcptrace.kernel.btf;

import io.tcptrace.kernel.btf.BtfBlob.M;
import java.nio.ByteOrder;

/**
 * A BTF blob shaped like the kernel's structs that tcptrace reads, small enough to know every
 * offset by hand: anonymous unions of anonymous structs in sock_common (as in the kernel),
 * bitfields in both encodings, typedefs, qualifiers and one type of every other kind in front.
 *
 * <pre>
 * sock_common (56 bytes, kind_flag): union{u64 skc_addrpair; struct{__be32 skc_daddr; __be32 skc_rcv_saddr}} @0,
 *   u32 skc_hash @8, union{__u32 skc_portpair; struct{__be16 skc_dport; __u16 skc_num}} @12,
 *   unsigned short skc_family @16, u8 skc_reuse:4 @bit 144, u8 skc_reuseport:1 @bit 148,
 *   struct in6_addr skc_v6_daddr @24, skc_v6_rcv_saddr @40
 * sock (80): sock_common __sk_common @0, sock_common *sk_next @56, unsigned long sk_flags @64, int sk_err @72
 * tcp_sock (104): sock sk @0, const u64 bytes_acked @80, u64 bytes_received @88
 * task_struct (32, old bitfield encoding): unsigned int in_execve:3 @bit 34, mm_struct *mm @8,
 *   pid_t tgid @16, task_struct *real_parent @24
 * mm_struct (24): struct{unsigned long start_stack, arg_start, arg_end} @0
 * </pre>
 */
final class MiniKernel {
    boolean withBytesReceived = true;
    int bytesAckedSize = 8;
    int unsignedLongSize = 8;
    ByteOrder order = ByteOrder.LITTLE_ENDIAN;
    /** A second, different definition of struct sock_common (at bit 0 an u32 skc_num). */
    boolean conflictingSockCommon;

    byte[] build() {
        BtfBlob b = new BtfBlob(order);
        int u8 = b.integer("unsigned char", 1);
        int u16 = b.integer("short unsigned int", 2);
        int u32 = b.integer("unsigned int", 4);
        int u64 = b.integer("long long unsigned int", 8);
        int ulong = b.integer("long unsigned int", unsignedLongSize);
        int sint = b.integer("int", 4);
        b.everyOtherKind(sint);
        int be16 = b.typedef("__be16", u16);
        int u16t = b.typedef("__u16", u16);
        int be32 = b.typedef("__be32", u32);
        int u32t = b.typedef("__u32", u32);
        int u64t = b.typedef("u64", u64);
        int pid = b.typedef("pid_t", sint);
        int bytes16 = b.array(u8, sint, 16);
        int in6 = b.struct("in6_addr", 16, false, M.of("s6_addr", bytes16, 0));
        int addrs = b.struct(null, 8, false, M.of("skc_daddr", be32, 0), M.of("skc_rcv_saddr", be32, 32));
        int addrUnion = b.union(null, 8, M.of("skc_addrpair", u64t, 0), M.of(null, addrs, 0));
        int ports = b.struct(null, 4, false, M.of("skc_dport", be16, 0), M.of("skc_num", u16t, 16));
        int portUnion = b.union(null, 4, M.of("skc_portpair", u32t, 0), M.of(null, ports, 0));
        int common = b.struct("sock_common", 56, true,
                M.of(null, addrUnion, 0), M.of("skc_hash", u32, 64), M.of(null, portUnion, 96),
                M.of("skc_family", u16, 128), new M("skc_reuse", u8, 144, 4), new M("skc_reuseport", u8, 148, 1),
                M.of("skc_v6_daddr", in6, 192), M.of("skc_v6_rcv_saddr", in6, 320));
        if (conflictingSockCommon) {
            b.struct("sock_common", 4, false, M.of("skc_num", u32, 0));
        }
        int commonPtr = b.ptr(common);
        int sock = b.struct("sock", 80, false, M.of("__sk_common", common, 0), M.of("sk_next", commonPtr, 448),
                M.of("sk_flags", ulong, 512), M.of("sk_err", sint, 576));
        int acked = bytesAckedSize == 8 ? b.constOf(u64t) : u32t;
        M received = M.of("bytes_received", u64t, 704);
        M[] tcp = withBytesReceived
                ? new M[] {M.of("sk", sock, 0), M.of("bytes_acked", acked, 640), received}
                : new M[] {M.of("sk", sock, 0), M.of("bytes_acked", acked, 640)};
        b.struct("tcp_sock", 104, false, tcp);
        int args = b.struct(null, 3 * unsignedLongSize, false, M.of("start_stack", ulong, 0),
                M.of("arg_start", ulong, unsignedLongSize * 8), M.of("arg_end", ulong, unsignedLongSize * 16));
        int mm = b.struct("mm_struct", 3 * unsignedLongSize, false, M.of(null, args, 0));
        int threeBits = b.integer("unsigned int", 4, 3, 2);
        int mmPtr = b.ptr(mm);
        int taskPtr = b.ptr(b.type("task_struct", 7, 0, false, 0)); // FWD, like a self-reference
        b.struct("task_struct", 32, false, M.of("in_execve", threeBits, 32), M.of("mm", mmPtr, 64),
                M.of("tgid", pid, 128), M.of("real_parent", taskPtr, 192));
        return b.build();
    }

    Btf btf() {
        return Btf.parse(build(), "mini");
    }
}
