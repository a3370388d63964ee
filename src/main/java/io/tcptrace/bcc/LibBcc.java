package io.tcptrace.bcc;

import com.sun.jna.Callback;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import com.sun.jna.StringArray;

/**
 * The part of libbcc 0.26 ({@code libbcc.so.0}, Debian/Ubuntu package {@code libbpfcc}) that
 * tcptrace calls, direct-mapped with JNA. Signatures follow bcc's {@code bcc_common.h},
 * {@code libbpf.h} and {@code perf_reader.h}; {@code size_t} and {@code uint64_t} are Java longs.
 *
 * <p>Direct mapping (static natives) rather than an interface proxy: it is several times
 * cheaper per call, which matters on the poll path. Use it through {@link BpfModule},
 * {@link PerfBufferReader} and {@link RingBufferReader}, which own the native resources.
 */
final class LibBcc {
    static final String SONAME = "libbcc.so.0";

    static final int BPF_PROG_TYPE_KPROBE = 2;
    static final int BPF_PROG_TYPE_TRACEPOINT = 5;
    static final int BPF_PROG_TYPE_CGROUP_SKB = 8;
    static final int BPF_PROG_TYPE_RAW_TRACEPOINT = 17;
    static final int BPF_PROG_TYPE_TRACING = 26;
    static final int BPF_PROBE_ENTRY = 0;
    static final int BPF_PROBE_RETURN = 1;
    static final long BPF_ANY = 0;
    static final long BPF_NOEXIST = 1;

    private static final Throwable LOAD_ERROR;

    static {
        Throwable error = null;
        try {
            Native.register(LibBcc.class, NativeLibrary.getInstance(SONAME));
        } catch (UnsatisfiedLinkError e) {
            error = e;
        }
        LOAD_ERROR = error;
    }

    private LibBcc() {
    }

    /** Throws a {@link BccException} naming the fix when libbcc could not be loaded. */
    static void requireLoaded() {
        if (LOAD_ERROR != null) {
            throw new BccException(SONAME + " could not be loaded (" + LOAD_ERROR.getMessage()
                    + "): install the BCC library (Debian/Ubuntu package 'libbpfcc'), for example with ./tcptrace setup");
        }
    }

    /** perf_reader_raw_cb: one record from a perf buffer; {@code raw} is reused after return. */
    public interface PerfRawCallback extends Callback {
        void invoke(Pointer cookie, Pointer raw, int size);
    }

    /** perf_reader_lost_cb: the kernel overwrote {@code lost} records on this CPU. */
    public interface PerfLostCallback extends Callback {
        void invoke(Pointer cookie, long lost);
    }

    // bcc_common.h
    static native Pointer bpf_module_create_c_from_string(String text, int flags, StringArray cflags, int ncflags,
            boolean allowRlimit, String devName);

    static native void bpf_module_destroy(Pointer module);

    static native Pointer bpf_function_start(Pointer module, String name);

    static native long bpf_function_size(Pointer module, String name);

    static native String bpf_module_license(Pointer module);

    static native int bpf_module_kern_version(Pointer module);

    static native int bpf_table_fd(Pointer module, String name);

    static native long bpf_table_key_size(Pointer module, String name);

    static native long bpf_table_leaf_size(Pointer module, String name);

    static native long bpf_table_max_entries(Pointer module, String name);

    static native int bcc_func_load(Pointer module, int progType, String name, Pointer insns, int progLen,
            String license, int kernVersion, int logLevel, Pointer logBuf, int logBufSize, String devName,
            int attachType);

    // libbpf.h (bcc's)
    static native int bcc_prog_load(int progType, String name, Pointer insns, int progLen, String license,
            int kernVersion, int logLevel, Pointer logBuf, int logBufSize);

    static native int bpf_attach_tracepoint(int progFd, String category, String name);

    static native int bpf_attach_raw_tracepoint(int progFd, String name);

    static native int bpf_attach_kprobe(int progFd, int attachType, String evName, String fnName, long fnOffset,
            int maxactive);

    static native int bpf_detach_kprobe(String evName);

    static native int bpf_close_perf_event_fd(int fd);

    static native int bpf_update_elem(int fd, Pointer key, Pointer value, long flags);

    static native int bpf_lookup_elem(int fd, Pointer key, Pointer value);

    static native int bpf_get_next_key(int fd, Pointer key, Pointer nextKey);

    static native int bpf_delete_elem(int fd, Pointer key);

    static native Pointer bpf_open_perf_buffer(PerfRawCallback rawCb, PerfLostCallback lostCb, Pointer cookie,
            int pid, int cpu, int pageCnt);

    // perf_reader.h
    static native int perf_reader_poll(int numReaders, Pointer readers, int timeoutMs);

    static native void perf_reader_free(Pointer reader);

    static native int perf_reader_fd(Pointer reader);
}
