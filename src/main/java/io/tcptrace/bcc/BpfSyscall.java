package io.tcptrace.bcc;

import com.sun.jna.Memory;
import com.sun.jna.Native;

/**
 * The bpf(2) commands libbcc does not wrap, called directly: running a loaded program once
 * ({@code BPF_PROG_TEST_RUN}), reading a map's entries many at a time ({@code BPF_MAP_LOOKUP_BATCH}),
 * and BPF iterators ({@code BPF_LINK_CREATE}, {@code BPF_ITER_CREATE}).
 */
final class BpfSyscall {
    static final int BPF_PROG_TEST_RUN = 10;
    static final int BPF_MAP_LOOKUP_BATCH = 24;
    static final int BPF_LINK_CREATE = 28;
    static final int BPF_ITER_CREATE = 33;
    static final int BPF_TRACE_ITER = 28;   // enum bpf_attach_type
    static final int BPF_CGROUP_INET_INGRESS = 0;

    /** union bpf_attr's link_create member, zero-padded: prog_fd, target_fd, attach_type, flags, then target details. */
    static final int LINK_ATTR_SIZE = 64;
    static final int LINK_PROG_FD = 0;
    static final int LINK_TARGET_FD = 4;
    static final int LINK_ATTACH_TYPE = 8;

    /** union bpf_attr's test member, through batch_size. */
    static final int TEST_ATTR_SIZE = 80;
    static final int TEST_PROG_FD = 0;
    static final int TEST_RETVAL = 4;
    static final int TEST_CTX_SIZE_IN = 40;
    static final int TEST_CTX_IN = 48;

    /** union bpf_attr's batch member: in_batch, out_batch, keys, values (pointers), count, map_fd, elem_flags, flags. */
    static final int BATCH_ATTR_SIZE = 56;
    static final int BATCH_IN = 0;
    static final int BATCH_OUT = 8;
    static final int BATCH_KEYS = 16;
    static final int BATCH_VALUES = 24;
    static final int BATCH_COUNT = 32;
    static final int BATCH_MAP_FD = 36;

    private BpfSyscall() {
    }

    /** bpf(cmd, attr, size): 0, or the errno it failed with as a negative number. */
    static int call(int cmd, Memory attr, int size) {
        long rc = Libc.syscall(number(), cmd, attr, size);
        return rc == 0 ? 0 : -Native.getLastError();
    }

    /** bpf(cmd, attr, size) for the commands that return a new fd: the fd, or the negative errno. */
    static int fd(int cmd, Memory attr, int size) {
        long rc = Libc.syscall(number(), cmd, attr, size);
        return rc >= 0 ? (int) rc : -Native.getLastError();
    }

    private static long number() {
        String arch = System.getProperty("os.arch");
        return switch (arch) {
            case "amd64", "x86_64" -> 321;
            case "aarch64" -> 280;
            default -> throw new BccException("no bpf(2) syscall number known for " + arch);
        };
    }
}
