package io.tcptrace.bcc;

import com.sun.jna.Memory;
import java.util.OptionalLong;

/**
 * This process's id as the kernel's BPF helpers report it ({@code bpf_get_current_pid_tgid() >> 32},
 * a pid of the initial pid namespace), which is what every event's {@code process_id} is. In a
 * container with a pid namespace of its own, {@code getpid()} gives another number, and the
 * tracer could not recognise its own connections.
 *
 * <p>Asked of the kernel itself: a three-instruction raw tracepoint program that returns that
 * helper's upper half, run once with BPF_PROG_TEST_RUN, which runs it in the calling task (Linux
 * 5.10+). No compile, no map, nothing attached.
 */
public final class CallerTgid {
    private static final int BPF_FUNC_GET_CURRENT_PID_TGID = 14;

    private CallerTgid() {
    }

    /** The kernel's pid of this process; empty when the kernel cannot say (before 5.10, no CAP_BPF). */
    public static OptionalLong query() {
        LibBcc.requireLoaded();
        Memory insns = program();
        Memory log = new Memory(4096);
        log.setByte(0, (byte) 0);
        int fd = LibBcc.bcc_prog_load(LibBcc.BPF_PROG_TYPE_RAW_TRACEPOINT, "tcptrace_tgid", insns, (int) insns.size(),
                "GPL", 0, 0, log, 4096);
        if (fd < 0) {
            return OptionalLong.empty();
        }
        try {
            Memory attr = new Memory(BpfSyscall.TEST_ATTR_SIZE);
            attr.clear();
            attr.setInt(BpfSyscall.TEST_PROG_FD, fd);
            if (BpfSyscall.call(BpfSyscall.BPF_PROG_TEST_RUN, attr, BpfSyscall.TEST_ATTR_SIZE) != 0) {
                return OptionalLong.empty();
            }
            long tgid = attr.getInt(BpfSyscall.TEST_RETVAL) & 0xffffffffL;
            return tgid > 0 ? OptionalLong.of(tgid) : OptionalLong.empty();
        } finally {
            Libc.close(fd);
        }
    }

    /** r0 = bpf_get_current_pid_tgid(); r0 >>= 32; exit. struct bpf_insn: code, regs, off, imm. */
    static Memory program() {
        Memory m = new Memory(3 * 8);
        m.clear();
        m.setByte(0, (byte) 0x85);                            // BPF_JMP | BPF_CALL
        m.setInt(4, BPF_FUNC_GET_CURRENT_PID_TGID);
        m.setByte(8, (byte) 0x77);                            // BPF_ALU64 | BPF_RSH | BPF_K, dst r0
        m.setInt(12, 32);
        m.setByte(16, (byte) 0x95);                           // BPF_JMP | BPF_EXIT
        return m;
    }
}
