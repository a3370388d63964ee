package io.tcptrace.bcc;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads a BPF ring buffer map (BPF_RINGBUF_OUTPUT): one buffer shared by all CPUs, records in order. */
public final class RingBufferReader implements EventReader {
    private static final Logger LOG = LoggerFactory.getLogger(RingBufferReader.class);
    private static final int EINTR = 4;

    // Held in a field for the reader's whole life: a collected JNA callback crashes the JVM.
    private final LibBcc.RingSampleCallback callback;
    private final AtomicLong handlerFailures = new AtomicLong();
    private Pointer ring;

    public RingBufferReader(BpfMap map, RecordHandler handler) {
        this.callback = (ctx, data, size) -> {
            try {
                handler.onRecord(data, (int) size);
            } catch (Throwable t) {
                if (handlerFailures.getAndIncrement() == 0) {
                    LOG.error("ring buffer record handler failed; counting further failures", t);
                }
            }
            return 0;
        };
        this.ring = LibBcc.bpf_new_ringbuf(map.fd(), callback, null);
        if (ring == null) {
            throw new BccException("cannot open BPF ring buffer '" + map.name() + "': "
                    + Errno.describe(Native.getLastError()));
        }
    }

    @Override
    public void poll(int timeoutMs) {
        int n = LibBcc.bpf_poll_ringbuf(ring, timeoutMs);
        check(n, "poll");
        if (n == 0) {
            // The BPF program wakes the reader only every so many events; what arrived without a
            // wake-up is read here, once the wait has timed out, so a lone event waits at most timeoutMs.
            check(LibBcc.bpf_consume_ringbuf(ring), "consume");
        }
    }

    @Override
    public void drain() {
        check(LibBcc.bpf_consume_ringbuf(ring), "consume");
    }

    private static void check(int result, String what) {
        if (result < 0 && result != -EINTR) {
            throw new BccException("BPF ring buffer " + what + " failed: " + Errno.describe(-result));
        }
    }

    @Override
    public long kernelReportedLost() {
        return 0;
    }

    @Override
    public long handlerFailures() {
        return handlerFailures.get();
    }

    @Override
    public void close() {
        if (ring != null) {
            LibBcc.bpf_free_ringbuf(ring);
            ring = null;
        }
    }
}
