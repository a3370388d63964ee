package io.tcptrace.bcc;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/** The few libc calls the JDK does not offer: closing raw fds, setenv for libbcc, and kernel clocks. */
public final class Libc {
    public static final int CLOCK_REALTIME = 0;
    public static final int CLOCK_MONOTONIC = 1;

    static {
        Native.register(Libc.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private Libc() {
    }

    static native int close(int fd);

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
