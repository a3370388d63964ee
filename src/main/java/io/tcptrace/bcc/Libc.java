package io.tcptrace.bcc;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * The few libc calls the JDK does not offer: raw fds, mmap and epoll for the ring buffer, per-thread
 * priority, setenv for libbcc, and kernel clocks.
 */
public final class Libc {
    public static final int CLOCK_REALTIME = 0;
    public static final int CLOCK_MONOTONIC = 1;

    static {
        Native.register(Libc.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private Libc() {
    }

    static native int close(int fd);

    static native long read(int fd, Pointer buf, long count);

    public static final int O_RDONLY = 0;
    public static final int O_CLOEXEC = 0x80000;
    public static final int CLONE_NEWNET = 0x40000000;

    public static native int open(String path, int flags);

    /** Moves the calling thread into the namespace {@code fd} refers to (CAP_SYS_ADMIN for a network namespace). */
    public static native int setns(int fd, int nstype);

    public static int closeFd(int fd) {
        return close(fd);
    }

    /** syscall(2) with three integer-sized arguments (declared fixed: JNA's direct mapping has no varargs). */
    static native long syscall(long number, long a, Pointer b, long c);

    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int MAP_SHARED = 1;
    static final long MAP_FAILED = -1L;
    static final int EPOLL_CLOEXEC = 0x80000;
    static final int EPOLL_CTL_ADD = 1;
    static final int EPOLLIN = 1;
    public static final int PRIO_PROCESS = 0;

    static native Pointer mmap(Pointer addr, long length, int prot, int flags, int fd, long offset);

    static native int munmap(Pointer addr, long length);

    static final int MADV_DONTNEED = 4;

    static native int madvise(Pointer addr, long length, int advice);

    static native int epoll_create1(int flags);

    static native int epoll_ctl(int epfd, int op, int fd, Pointer event);

    static native int epoll_wait(int epfd, Pointer events, int maxEvents, int timeoutMs);

    static native int getpagesize();

    /** Nice values are per thread on Linux: PRIO_PROCESS with who 0 means the calling thread. */
    public static native int setpriority(int which, int who, int prio);

    public static native int getpriority(int which, int who);

    /** libbcc reads BCC_KERNEL_SOURCE with getenv(), so it must be in the process environment. */
    public static native int setenv(String name, String value, int overwrite);

    private static native int clock_gettime(int clockId, long[] timespec);

    /**
     * Hands free heap memory back to the kernel. Compiling the BPF program runs clang/LLVM inside
     * this process; glibc keeps what they freed (about 100 MB) unless asked to return it.
     */
    public static native int malloc_trim(long pad);

    /** Reads a clock as nanoseconds; CLOCK_MONOTONIC is what bpf_ktime_get_ns() returns. */
    public static long clockNanos(int clockId) {
        long[] ts = new long[2];
        if (clock_gettime(clockId, ts) != 0) {
            throw new BccException("clock_gettime(" + clockId + ") failed: errno " + Native.getLastError());
        }
        return ts[0] * 1_000_000_000L + ts[1];
    }
}
