package io.tcptrace.kernel.btf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The reader on the running kernel's BTF, checked against bpftool's (libbpf's) reading of the
 * same file: every type, every struct member, and each offset that {@link KernelOffsets} hands
 * to the BPF program.
 */
class VmlinuxBtfTest {
    private static final Path VMLINUX = KernelOffsets.VMLINUX_BTF;
    private static Btf btf;
    private static BpftoolDump dump;

    @BeforeAll
    static void read() throws Exception {
        requireBtfAndBpftool();
        long started = System.nanoTime();
        btf = Btf.read(VMLINUX);
        long parsed = System.nanoTime();
        KernelOffsets.from(btf);
        long resolved = System.nanoTime();
        System.out.printf("vmlinux BTF: %d types, %d KiB; read+index %d ms, 14 offsets %d ms (cold JVM)%n",
                btf.typeCount(), btf.byteSize() / 1024, (parsed - started) / 1_000_000, (resolved - parsed) / 1_000_000);
        dump = BpftoolDump.of(VMLINUX);
    }

    /** Like the kernel tests: skip without BTF or bpftool, fail instead under -Dtcptrace.requireKernel=true. */
    static void requireBtfAndBpftool() {
        String missing = null;
        if (!Files.isReadable(VMLINUX)) {
            missing = VMLINUX + " is missing (kernel without CONFIG_DEBUG_INFO_BTF)";
        } else if (!Files.isExecutable(Path.of("/usr/sbin/bpftool")) && !Files.isExecutable(Path.of("/usr/bin/bpftool"))) {
            missing = "bpftool is not installed (Debian package bpftool; ./tcptrace setup installs it)";
        }
        if (missing == null) {
            return;
        }
        if (Boolean.getBoolean("tcptrace.requireKernel")) {
            fail("BTF test cannot run: " + missing);
        }
        Assumptions.abort("BTF test skipped: " + missing);
    }

    @Test
    void everyTypeAndEveryMemberIsReadAsBpftoolReadsIt() {
        assertEquals(dump.typeCount(), btf.typeCount());
        long members = 0;
        for (int id = 1; id <= btf.typeCount(); id++) {
            BpftoolDump.Type t = dump.type(id);
            BtfKind kind = btf.kind(id);
            assertEquals(t.kind(), kind.name(), "kind of type " + id);
            assertEquals(t.name(), btf.name(id), "name of type " + id);
            switch (kind) {
                case INT, STRUCT, UNION, ENUM, ENUM64, FLOAT, DATASEC -> assertEquals(t.size(), btf.sizeOf(id), "size of " + t);
                case PTR, TYPEDEF, CONST, VOLATILE, RESTRICT, TYPE_TAG, VAR, FUNC, DECL_TAG ->
                        assertEquals(t.typeId(), btf.referencedType(id), "type referenced by " + t);
                case ARRAY -> assertEquals(t.nrElems(), btf.arrayLength(id), "length of " + t);
                default -> { }
            }
            if (kind.isComposite()) {
                assertEquals(t.members().size(), btf.vlen(id), "members of " + t);
                for (int i = 0; i < btf.vlen(id); i++) {
                    BpftoolDump.Member m = t.members().get(i);
                    String where = t.name() + "#" + id + " member " + i;
                    assertEquals(m.name(), btf.memberName(id, i), where);
                    assertEquals(m.typeId(), btf.memberType(id, i), where);
                    assertEquals(m.bitOffset(), btf.memberBitOffset(id, i), where);
                    assertEquals(m.bitfieldSize(), btf.memberBitfieldSize(id, i), where);
                    members++;
                }
            }
        }
        assertTrue(members > 50_000, "only " + members + " struct members compared");
    }

    @Test
    void kernelOffsetsAreBpftoolsOffsets() {
        Map<String, String> paths = new LinkedHashMap<>();
        paths.put("OFF_TCP_SOCK_BYTES_ACKED", "tcp_sock.bytes_acked");
        paths.put("OFF_TCP_SOCK_BYTES_RECEIVED", "tcp_sock.bytes_received");
        paths.put("OFF_SOCK_SKC_FAMILY", "sock.__sk_common.skc_family");
        paths.put("OFF_SOCK_SKC_NUM", "sock.__sk_common.skc_num");
        paths.put("OFF_SOCK_SKC_DPORT", "sock.__sk_common.skc_dport");
        paths.put("OFF_SOCK_SKC_RCV_SADDR", "sock.__sk_common.skc_rcv_saddr");
        paths.put("OFF_SOCK_SKC_DADDR", "sock.__sk_common.skc_daddr");
        paths.put("OFF_SOCK_SKC_V6_RCV_SADDR", "sock.__sk_common.skc_v6_rcv_saddr");
        paths.put("OFF_SOCK_SKC_V6_DADDR", "sock.__sk_common.skc_v6_daddr");
        paths.put("OFF_TASK_STRUCT_MM", "task_struct.mm");
        paths.put("OFF_TASK_STRUCT_TGID", "task_struct.tgid");
        paths.put("OFF_TASK_STRUCT_REAL_PARENT", "task_struct.real_parent");
        paths.put("OFF_MM_STRUCT_ARG_START", "mm_struct.arg_start");
        paths.put("OFF_MM_STRUCT_ARG_END", "mm_struct.arg_end");
        // Linux 6.13 moved sk_flags into sock_common as skc_flags.
        boolean oldLayout = dump.struct("sock").members().stream().anyMatch(m -> "sk_flags".equals(m.name()));
        paths.put("OFF_SOCK_SK_FLAGS", oldLayout ? "sock.sk_flags" : "sock.__sk_common.skc_flags");
        paths.put("OFF_SOCK_SK_ERR", "sock.sk_err");
        paths.put("OFF_SOCK_SK_PROTOCOL", "sock.sk_protocol");            // u16 since Linux 5.6
        paths.put("OFF_INET_SOCK_INET_SPORT", "inet_sock.inet_sport");
        paths.put("OFF_SOCK_SKC_NET", "sock.__sk_common.skc_net.net");   // a struct net * (CONFIG_NET_NS)
        paths.put("OFF_NET_NS_INUM", "net.ns.inum");
        paths.put("OFF_TCP_SOCK_SRTT_US", "tcp_sock.srtt_us");
        paths.put("OFF_TCP_SOCK_MDEV_US", "tcp_sock.mdev_us");
        paths.put("OFF_TCP_SOCK_TOTAL_RETRANS", "tcp_sock.total_retrans");
        paths.put("OFF_TCP_SOCK_SEGS_IN", "tcp_sock.segs_in");
        paths.put("OFF_TCP_SOCK_SEGS_OUT", "tcp_sock.segs_out");
        List<String> expected = new ArrayList<>();
        paths.forEach((macro, dotted) -> {
            int dot = dotted.indexOf('.');
            long bits = dump.bitOffset(dotted.substring(0, dot), dotted.substring(dot + 1));
            assertEquals(0, bits % 8, dotted);
            expected.add("-D" + macro + "=" + bits / 8);
        });
        assertEquals(expected, KernelOffsets.from(btf).cflags());
        assertEquals(KernelOffsets.from(btf), KernelOffsets.fromRunningKernel());
        // tcp_sock starts with its sock: the sock offsets apply to a tcp_sock pointer too.
        assertEquals(0, dump.bitOffset("tcp_sock", "inet_conn.icsk_inet.sk"));
        assertEquals(0, dump.bitOffset("sock", "__sk_common"));
    }

    @Test
    void everyMemberOfTheStructsTcptraceReadsResolvesAsInBpftool() {
        MemberResolver r = new MemberResolver(btf);
        int checked = 0;
        for (String struct : List.of("tcp_sock", "sock", "sock_common", "inet_sock", "task_struct", "mm_struct")) {
            for (String path : namedMembers(dump.struct(struct), "")) {
                BtfMember m = r.member(struct, path);
                String where = struct + "." + path;
                assertEquals(dump.bitOffset(struct, path), m.bitOffset(), where);
                assertEquals(dump.size(struct, path), m.size(), where);
                checked++;
            }
        }
        assertTrue(checked > 500, "only " + checked + " members checked");
        BtfMember deep = r.member("tcp_sock", "inet_conn.icsk_inet.sk.__sk_common.skc_dport");
        assertEquals(dump.bitOffset("sock_common", "skc_dport"), deep.bitOffset());
        assertEquals(r.member("sock_common.skc_num").bitOffset(), r.member("sock.__sk_common.skc_num").bitOffset());
    }

    /** Every member name reachable from a struct: direct, through anonymous members, and one level into named structs. */
    private static List<String> namedMembers(BpftoolDump.Type t, String prefix) {
        List<String> out = new ArrayList<>();
        for (BpftoolDump.Member m : t.members()) {
            BpftoolDump.Type inner = dump.unalias(m.typeId());
            boolean composite = inner.kind().equals("STRUCT") || inner.kind().equals("UNION");
            if (m.name().isEmpty()) {
                if (composite) {
                    out.addAll(namedMembers(inner, prefix));
                }
            } else {
                out.add(prefix + m.name());
                if (composite && prefix.isEmpty()) {
                    out.addAll(namedMembers(inner, m.name() + "."));
                }
            }
        }
        return out;
    }
}
