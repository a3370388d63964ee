package io.tcptrace.kernel.btf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The reader against blobs written by {@link BtfBlob}, whose every offset is known by construction. */
class BtfTest {

    private static MemberResolver resolver(MiniKernel k) {
        return new MemberResolver(k.btf());
    }

    @Test
    void findsMembersInsideAnonymousUnionsOfAnonymousStructs() {
        MemberResolver r = resolver(new MiniKernel());
        assertEquals(0, r.member("sock.__sk_common.skc_daddr").byteOffset());
        assertEquals(4, r.member("sock.__sk_common.skc_rcv_saddr").byteOffset());
        assertEquals(12, r.member("sock.__sk_common.skc_dport").byteOffset());
        assertEquals(14, r.member("sock.__sk_common.skc_num").byteOffset());
        assertEquals(14, r.member("sock_common.skc_num").byteOffset());
        assertEquals(16, r.member("sock.__sk_common.skc_family").byteOffset());
        assertEquals(8, r.member("sock.__sk_common.skc_addrpair").size());
        assertEquals(2, r.member("sock.__sk_common.skc_num").size());
        assertEquals(16, r.member("mm_struct.arg_end").byteOffset());
    }

    @Test
    void followsNamedStructMembersAndSizesThroughTypedefsQualifiersAndArrays() {
        MemberResolver r = resolver(new MiniKernel());
        BtfMember v6 = r.member("sock", "__sk_common.skc_v6_rcv_saddr");
        assertEquals(40, v6.byteOffset());
        assertEquals(16, v6.size());
        assertEquals(24, r.member("tcp_sock.sk.__sk_common.skc_v6_daddr").byteOffset());
        assertEquals(8, r.member("tcp_sock.bytes_acked").size(), "const u64 through a typedef");
        assertEquals(88, r.member("tcp_sock.bytes_received").byteOffset());
        assertEquals(72, r.member("sock.sk_err").byteOffset());
        assertEquals(16, r.member("tcp_sock.sk.__sk_common.skc_v6_daddr.s6_addr").size());
        assertEquals(8, r.member("task_struct.mm").size(), "pointer size = unsigned long");
        assertEquals(4, r.member("task_struct.tgid").size());
        assertEquals(24, r.member("task_struct.real_parent").byteOffset());
    }

    @Test
    void bitfieldsInBothEncodingsHaveBitOffsetsAndNoByteOffset() {
        MemberResolver r = resolver(new MiniKernel());
        BtfMember reuseport = r.member("sock.__sk_common.skc_reuseport");
        assertEquals(148, reuseport.bitOffset());
        assertEquals(1, reuseport.bitfieldBits());
        assertEquals(4, r.member("sock_common.skc_reuse").bitfieldBits());
        BtfMember legacy = r.member("task_struct.in_execve");
        assertEquals(34, legacy.bitOffset(), "member offset + the int's own bit offset");
        assertEquals(3, legacy.bitfieldBits());
        BtfException e = assertThrows(BtfException.class, legacy::byteOffset);
        assertTrue(e.getMessage().contains("task_struct.in_execve is a bitfield"), e.getMessage());
        assertFalse(r.member("task_struct.tgid").isBitfield());
    }

    @Test
    void everyKindIsIndexedSoTypesAfterThemKeepTheirIds() {
        Btf btf = new MiniKernel().btf();
        int[] counts = new int[20];
        for (int id = 1; id <= btf.typeCount(); id++) {
            counts[btf.kind(id).code()]++;
        }
        for (BtfKind k : BtfKind.values()) {
            assertTrue(counts[k.code()] > 0, "the blob has no " + k);
        }
        assertEquals(1, btf.findByName(BtfKind.STRUCT, "tcp_sock").length);
        assertEquals("tcp_sock", btf.name(btf.findByName(BtfKind.STRUCT, "tcp_sock")[0]));
        assertEquals(1, btf.findByName(BtfKind.FWD, "task_struct").length);
        assertEquals(0, btf.findByName(BtfKind.STRUCT, "tcp_soc").length, "names match whole, not by prefix");
    }

    @Test
    void bigEndianBlobGivesTheSameAnswers() {
        MiniKernel big = new MiniKernel();
        big.order = ByteOrder.BIG_ENDIAN;
        assertEquals(KernelOffsets.from(new MiniKernel().btf()), KernelOffsets.from(big.btf()));
    }

    @Test
    void pointerSizeIsTheKernelsUnsignedLong() {
        MiniKernel k32 = new MiniKernel();
        k32.unsignedLongSize = 4;
        Btf btf = k32.btf();
        assertEquals(4, btf.pointerSize());
        assertEquals(4, new MemberResolver(btf).member("task_struct.mm").size());
        assertEquals(8, new MemberResolver(btf).member("mm_struct.arg_end").byteOffset());
    }

    @Test
    void unknownStructMemberOrPointerStepIsOneLineNamingIt() {
        MemberResolver r = resolver(new MiniKernel());
        assertMessage(assertThrows(BtfException.class, () -> r.member("tcp_sockx.bytes_acked")),
                "struct tcp_sockx is not in the kernel's BTF (mini)");
        assertMessage(assertThrows(BtfException.class, () -> r.member("tcp_sock.bytes_sent")),
                "struct tcp_sock has no member bytes_sent in the kernel's BTF (mini)");
        assertMessage(assertThrows(BtfException.class, () -> r.member("sock.__sk_common.skc_nope")),
                "sock.__sk_common (a struct 'sock_common') has no member skc_nope in the kernel's BTF (mini)");
        assertMessage(assertThrows(BtfException.class, () -> r.member("sock.sk_next.skc_num")),
                "sock.sk_next is a pointer, not a struct or union, in mini: the path sock.sk_next.skc_num cannot go through it");
        assertThrows(IllegalArgumentException.class, () -> r.member("sock..skc_num"));
        assertThrows(IllegalArgumentException.class, () -> r.member("sock"));
    }

    @Test
    void structsOfOneNameMustAgree() {
        MiniKernel k = new MiniKernel();
        k.conflictingSockCommon = true;
        MemberResolver r = resolver(k);
        assertEquals(16, r.member("sock_common.skc_family").byteOffset(), "only one definition has skc_family");
        BtfException e = assertThrows(BtfException.class, () -> r.member("sock_common.skc_num"));
        assertTrue(e.getMessage().contains("several definitions"), e.getMessage());
    }

    @Test
    void kernelOffsetsRenderAsDefines() {
        assertEquals(List.of("-DOFF_TCP_SOCK_BYTES_ACKED=80", "-DOFF_TCP_SOCK_BYTES_RECEIVED=88",
                "-DOFF_SOCK_SKC_FAMILY=16", "-DOFF_SOCK_SKC_NUM=14", "-DOFF_SOCK_SKC_DPORT=12",
                "-DOFF_SOCK_SKC_RCV_SADDR=4", "-DOFF_SOCK_SKC_DADDR=0", "-DOFF_SOCK_SKC_V6_RCV_SADDR=40",
                "-DOFF_SOCK_SKC_V6_DADDR=24", "-DOFF_TASK_STRUCT_MM=8", "-DOFF_TASK_STRUCT_TGID=16",
                "-DOFF_TASK_STRUCT_REAL_PARENT=24", "-DOFF_MM_STRUCT_ARG_START=8", "-DOFF_MM_STRUCT_ARG_END=16",
                "-DOFF_SOCK_SK_FLAGS=64", "-DOFF_SOCK_SK_ERR=72"),
                KernelOffsets.from(new MiniKernel().btf()).cflags());
    }

    @Test
    void missingMemberSaysWhichAndWhatToDo() {
        MiniKernel k = new MiniKernel();
        k.withBytesReceived = false;
        assertMessage(assertThrows(BtfException.class, () -> KernelOffsets.from(k.btf())),
                "struct tcp_sock has no member bytes_received in the kernel's BTF (mini); "
                        + "close events' byte counts need it: leave close out of tcptrace.events");
    }

    @Test
    void memberOfAnotherSizeThanTheProgramReadsIsRefused() {
        MiniKernel k = new MiniKernel();
        k.bytesAckedSize = 4;
        assertMessage(assertThrows(BtfException.class, () -> KernelOffsets.from(k.btf())),
                "tcp_sock.bytes_acked is 4 bytes in the kernel's BTF (mini) where tcptrace reads 8 bytes; "
                        + "close events' byte counts need it: leave close out of tcptrace.events");
    }

    @Test
    void malformedBlobsAreRefusedWithTheReason() {
        byte[] good = new MiniKernel().build();
        byte[] magic = good.clone();
        magic[0] = 0x7F;
        assertMessage(assertThrows(BtfException.class, () -> Btf.parse(magic, "x")),
                "malformed BTF in x: magic is 0x7feb, not 0xeb9f: not a BTF file");
        byte[] version = good.clone();
        version[2] = 2;
        assertTrue(assertThrows(BtfException.class, () -> Btf.parse(version, "x")).getMessage()
                .contains("BTF version 2"));
        assertTrue(assertThrows(BtfException.class, () -> Btf.parse(Arrays.copyOf(good, good.length - 40), "x"))
                .getMessage().contains("past the file"));
        assertTrue(assertThrows(BtfException.class, () -> Btf.parse(new byte[10], "x")).getMessage()
                .contains("shorter than a BTF header"));
        // Shorten the type section by 4 bytes (and the string offset with it): the last type is cut.
        ByteBuffer cut = ByteBuffer.wrap(good.clone()).order(ByteOrder.LITTLE_ENDIAN);
        cut.putInt(12, cut.getInt(12) - 4);
        assertTrue(assertThrows(BtfException.class, () -> Btf.parse(cut.array(), "x")).getMessage()
                .contains("past the end of the type section"));
        ByteBuffer unknown = ByteBuffer.wrap(good.clone()).order(ByteOrder.LITTLE_ENDIAN);
        unknown.putInt(24 + 4, 25 << 24);
        assertMessage(assertThrows(BtfException.class, () -> Btf.parse(unknown.array(), "x")),
                "malformed BTF in x: type 1 has unknown kind 25 (a newer BTF than this reader knows)");
    }

    private static void assertMessage(Exception e, String expected) {
        assertEquals(expected, e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }
}
