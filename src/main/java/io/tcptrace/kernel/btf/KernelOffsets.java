package io.tcptrace.kernel.btf;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Byte offsets of the kernel struct members the BPF program reads, taken from the running
 * kernel's BTF rather than from headers, which may belong to another kernel (Debian 6.1 headers
 * on a 6.18 kernel put {@code tcp_sock.bytes_received} somewhere else entirely). The program
 * receives them as {@code -DOFF_...=n} ({@link #cflags()}) and reads
 * {@code bpf_probe_read_kernel(&v, sizeof(v), (void *)sk + OFF_TCP_SOCK_BYTES_RECEIVED)}.
 *
 * <p>{@code sock*} offsets are from the start of {@code struct sock} (its {@code __sk_common} is
 * at 0, so they are also {@code sock_common}'s). All {@code tcp_sock} offsets are from the start
 * of {@code struct tcp_sock}, which begins with its {@code struct sock}, so both apply to the same
 * pointer.
 */
public record KernelOffsets(
        long tcpSockBytesAcked,
        long tcpSockBytesReceived,
        long sockSkcFamily,
        long sockSkcNum,
        long sockSkcDport,
        long sockSkcRcvSaddr,
        long sockSkcDaddr,
        long sockSkcV6RcvSaddr,
        long sockSkcV6Daddr,
        long taskStructMm,
        long taskStructTgid,
        long taskStructRealParent,
        long mmStructArgStart,
        long mmStructArgEnd,
        long sockSkFlags,
        long sockSkErr,
        long sockSkProtocol,
        long inetSockInetSport,
        long sockSkcNet,
        long netNsInum,
        long tcpSockSrttUs,
        long tcpSockMdevUs,
        long tcpSockTotalRetrans,
        long tcpSockSegsIn,
        long tcpSockSegsOut,
        long sockSkcState,
        long sockSkSocket,
        long socketAllocVfsInode,
        long inodeIno) {

    /**
     * An optional offset the kernel does not have as plain bytes: {@code sk_protocol} was a bitfield
     * before Linux 5.6. Without the optional ones the tracepoint is attached classic.
     */
    public static final long ABSENT = -1;

    public static final Path VMLINUX_BTF = Path.of("/sys/kernel/btf/vmlinux");
    private static final Logger LOG = LoggerFactory.getLogger(KernelOffsets.class);
    private static final int POINTER = -1;
    private static final int UNSIGNED_LONG = -2;
    private static final int ANY_SIZE = -3;   // a struct member whose start is all that is read through
    private static final String BYTES = "close events' byte counts need it: leave close out of tcptrace.events";
    private static final String SOCK = "kprobe mode reads it: use probe=tracepoint";
    private static final String PROCESS = "the process fields (parent process, command line) need it";
    private static final String OUTCOME = "a connect's outcome reads it: use a kernel with BTF";

    private static KernelOffsets running;
    private static BtfException unavailable;

    /**
     * The offsets of the running kernel, read once per JVM from {@link #VMLINUX_BTF} (the
     * kernel does not change under a running process).
     *
     * @throws BtfException with a one-line message when BTF is missing or lacks a member
     */
    public static synchronized KernelOffsets fromRunningKernel() {
        if (running == null && unavailable != null) {
            throw unavailable;
        }
        if (running == null) {
            if (!Files.exists(VMLINUX_BTF)) {
                throw new BtfException("the kernel has no BTF (" + VMLINUX_BTF + " is missing: it was built without "
                        + "CONFIG_DEBUG_INFO_BTF), so tcptrace cannot learn its struct offsets for close events' byte "
                        + "counts and kprobe mode: run a kernel built with CONFIG_DEBUG_INFO_BTF=y (most distributions' "
                        + "kernels are), or leave close out of tcptrace.events");
            }
            long started = System.nanoTime();
            try {
                Btf btf = Btf.read(VMLINUX_BTF);
                running = from(btf);
                LOG.info("struct offsets from kernel BTF ({} types, {} KiB) in {} ms", btf.typeCount(),
                        btf.byteSize() / 1024, (System.nanoTime() - started) / 1_000_000);
            } catch (BtfException e) {
                unavailable = e;   // read once: the answer does not change while the JVM runs
                throw e;
            }
        }
        return running;
    }

    /** The offsets as found in {@code btf}. */
    public static KernelOffsets from(Btf btf) {
        MemberResolver r = new MemberResolver(btf);
        int ptr = btf.pointerSize();
        return new KernelOffsets(
                offset(r, ptr, "tcp_sock", "bytes_acked", 8, BYTES),
                offset(r, ptr, "tcp_sock", "bytes_received", 8, BYTES),
                offset(r, ptr, "sock", "__sk_common.skc_family", 2, SOCK),
                offset(r, ptr, "sock", "__sk_common.skc_num", 2, SOCK),
                offset(r, ptr, "sock", "__sk_common.skc_dport", 2, SOCK),
                offset(r, ptr, "sock", "__sk_common.skc_rcv_saddr", 4, SOCK),
                offset(r, ptr, "sock", "__sk_common.skc_daddr", 4, SOCK),
                offset(r, ptr, "sock", "__sk_common.skc_v6_rcv_saddr", 16, SOCK),
                offset(r, ptr, "sock", "__sk_common.skc_v6_daddr", 16, SOCK),
                offset(r, ptr, "task_struct", "mm", POINTER, PROCESS),
                offset(r, ptr, "task_struct", "tgid", 4, PROCESS),
                offset(r, ptr, "task_struct", "real_parent", POINTER, PROCESS),
                offset(r, ptr, "mm_struct", "arg_start", UNSIGNED_LONG, PROCESS),
                offset(r, ptr, "mm_struct", "arg_end", UNSIGNED_LONG, PROCESS),
                sockFlags(r, ptr),
                offset(r, ptr, "sock", "sk_err", 4, OUTCOME),
                optionalOffset(r, ptr, "sock", "sk_protocol", 2),
                optionalOffset(r, ptr, "inet_sock", "inet_sport", 2),
                optionalOffset(r, ptr, "sock", "__sk_common.skc_net.net", POINTER),
                optionalOffset(r, ptr, "net", "ns.inum", 4),
                optionalOffset(r, ptr, "tcp_sock", "srtt_us", 4),
                optionalOffset(r, ptr, "tcp_sock", "mdev_us", 4),
                optionalOffset(r, ptr, "tcp_sock", "total_retrans", 4),
                optionalOffset(r, ptr, "tcp_sock", "segs_in", 4),
                optionalOffset(r, ptr, "tcp_sock", "segs_out", 4),
                optionalOffset(r, ptr, "sock", "__sk_common.skc_state", 1),
                optionalOffset(r, ptr, "sock", "sk_socket", POINTER),
                optionalOffset(r, ptr, "socket_alloc", "vfs_inode", ANY_SIZE),
                optionalOffset(r, ptr, "inode", "i_ino", UNSIGNED_LONG));
    }

    /** True when the raw tracepoint can read what the tracepoint's record would hold. */
    public boolean rawTracepointReadable() {
        return sockSkProtocol != ABSENT && inetSockInetSport != ABSENT;
    }

    /**
     * True when the program can name a socket's network namespace: {@code sock_common.skc_net} holds
     * a {@code struct net *} (a kernel built without CONFIG_NET_NS has an empty struct there) and
     * {@code net.ns.inum} is the number /proc/PID/ns/net shows.
     */
    public boolean netnsReadable() {
        return sockSkcNet != ABSENT && netNsInum != ABSENT;
    }

    /**
     * The two offsets that name a socket's network namespace, alone: kprobe mode gets these and no
     * others (it reads the rest through the kernel's headers). Empty where {@link #netnsReadable()} is false.
     */
    public List<String> netnsCflags() {
        return netnsReadable()
                ? List.of(define("OFF_SOCK_SKC_NET", sockSkcNet), define("OFF_NET_NS_INUM", netNsInum))
                : List.of();
    }

    /**
     * True when the program can find the connections open before the start (bpf_iter__tcp): a
     * socket's state, and the inode of its socket file, by which /proc names its process.
     */
    public boolean openConnectionsReadable() {
        return sockSkcState != ABSENT && sockSkSocket != ABSENT && socketAllocVfsInode != ABSENT && inodeIno != ABSENT;
    }

    /** The -D flags of those offsets; empty where {@link #openConnectionsReadable()} is false. */
    public List<String> openConnectionsCflags() {
        return openConnectionsReadable() ? List.of(define("OFF_SOCK_COMMON_SKC_STATE", sockSkcState),
                define("OFF_SOCK_SK_SOCKET", sockSkSocket), define("OFF_SOCKET_ALLOC_VFS_INODE", socketAllocVfsInode),
                define("OFF_INODE_I_INO", inodeIno)) : List.of();
    }

    /** True when {@link #fromRunningKernel()} has offsets to give (the kernel has usable BTF). */
    public static boolean available() {
        try {
            fromRunningKernel();
            return true;
        } catch (BtfException e) {
            return false;
        }
    }

    /** The offsets as clang {@code -D} flags for the BPF program. */
    public List<String> cflags() {
        List<String> flags = new ArrayList<>(List.of(
                define("OFF_TCP_SOCK_BYTES_ACKED", tcpSockBytesAcked),
                define("OFF_TCP_SOCK_BYTES_RECEIVED", tcpSockBytesReceived),
                define("OFF_SOCK_SKC_FAMILY", sockSkcFamily),
                define("OFF_SOCK_SKC_NUM", sockSkcNum),
                define("OFF_SOCK_SKC_DPORT", sockSkcDport),
                define("OFF_SOCK_SKC_RCV_SADDR", sockSkcRcvSaddr),
                define("OFF_SOCK_SKC_DADDR", sockSkcDaddr),
                define("OFF_SOCK_SKC_V6_RCV_SADDR", sockSkcV6RcvSaddr),
                define("OFF_SOCK_SKC_V6_DADDR", sockSkcV6Daddr),
                define("OFF_TASK_STRUCT_MM", taskStructMm),
                define("OFF_TASK_STRUCT_TGID", taskStructTgid),
                define("OFF_TASK_STRUCT_REAL_PARENT", taskStructRealParent),
                define("OFF_MM_STRUCT_ARG_START", mmStructArgStart),
                define("OFF_MM_STRUCT_ARG_END", mmStructArgEnd),
                define("OFF_SOCK_SK_FLAGS", sockSkFlags),
                define("OFF_SOCK_SK_ERR", sockSkErr)));
        if (rawTracepointReadable()) {
            flags.add(define("OFF_SOCK_SK_PROTOCOL", sockSkProtocol));
            flags.add(define("OFF_INET_SOCK_INET_SPORT", inetSockInetSport));
        }
        flags.addAll(netnsCflags());
        health().forEach((macro, offset) -> {
            if (offset != ABSENT) {
                flags.add(define(macro, offset));
            }
        });
        return flags;
    }

    /**
     * The tcp_sock counters of close and update events' TCP health, by the macro the program reads
     * each through; {@link #ABSENT} for those the kernel lacks (their fields are then left out).
     */
    public Map<String, Long> health() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("OFF_TCP_SOCK_SRTT_US", tcpSockSrttUs);
        m.put("OFF_TCP_SOCK_MDEV_US", tcpSockMdevUs);
        m.put("OFF_TCP_SOCK_TOTAL_RETRANS", tcpSockTotalRetrans);
        m.put("OFF_TCP_SOCK_SEGS_IN", tcpSockSegsIn);
        m.put("OFF_TCP_SOCK_SEGS_OUT", tcpSockSegsOut);
        return m;
    }

    private static String define(String macro, long value) {
        return "-D" + macro + "=" + value;
    }

    /**
     * sock's flags word (bit SOCK_DONE: the peer's FIN arrived). Recent kernels (6.18 here) keep it
     * in sock_common as {@code skc_flags}, {@code sk_flags} being a macro; older ones in sock.
     */
    private static long sockFlags(MemberResolver r, int pointerSize) {
        try {
            return offset(r, pointerSize, "sock", "__sk_common.skc_flags", UNSIGNED_LONG, BYTES);
        } catch (BtfException newLayout) {
            try {
                return offset(r, pointerSize, "sock", "sk_flags", UNSIGNED_LONG, BYTES);
            } catch (BtfException oldLayout) {
                throw new BtfException("struct sock has neither __sk_common.skc_flags nor sk_flags of "
                        + pointerSize + " bytes in the kernel's BTF (" + r.source() + "); " + BYTES, oldLayout);
            }
        }
    }

    /** Like {@link #offset}, but {@link #ABSENT} where the member is missing or not {@code size} plain bytes (POINTER: a pointer's). */
    private static long optionalOffset(MemberResolver r, int pointerSize, String struct, String path, int size) {
        try {
            return offset(r, pointerSize, struct, path, size, "optional");
        } catch (BtfException e) {
            return ABSENT;
        }
    }

    /**
     * The member's byte offset, checked to have the size the BPF program reads: a kernel that
     * changed a member's type must fail here, not feed the program half a value.
     */
    private static long offset(MemberResolver r, int pointerSize, String struct, String path, int expectedSize,
            String neededFor) {
        BtfMember m;
        try {
            m = r.member(struct, path);
        } catch (BtfException e) {
            throw new BtfException(e.getMessage() + "; " + neededFor, e);
        }
        long expected = expectedSize == ANY_SIZE ? m.size() : expectedSize < 0 ? pointerSize : expectedSize;
        if (m.isBitfield() || m.size() != expected) {
            throw new BtfException(struct + "." + path + " is " + (m.isBitfield() ? "a " + m.bitfieldBits()
                    + "-bit bitfield" : m.size() + " bytes") + " in the kernel's BTF (" + r.source()
                    + ") where tcptrace reads " + expected + " bytes; " + neededFor);
        }
        return m.byteOffset();
    }
}
