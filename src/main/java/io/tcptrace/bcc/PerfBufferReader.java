package io.tcptrace.bcc;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a BPF_PERF_OUTPUT map: one perf ring per online CPU, each registered in the map under
 * its CPU number so {@code perf_submit} finds it. For kernels without the BPF ring buffer (< 5.8).
 */
public final class PerfBufferReader implements EventReader {
    private static final Logger LOG = LoggerFactory.getLogger(PerfBufferReader.class);

    // Held in fields for the reader's whole life: a collected JNA callback crashes the JVM.
    private final LibBcc.PerfRawCallback rawCallback;
    private final LibBcc.PerfLostCallback lostCallback;
    private final AtomicLong lost = new AtomicLong();
    private final AtomicLong handlerFailures = new AtomicLong();
    private final List<Pointer> readers = new ArrayList<>();
    private final Memory readerArray;

    public PerfBufferReader(BpfMap map, int pagesPerCpu, RecordHandler handler) {
        this.rawCallback = (cookie, raw, size) -> {
            try {
                handler.onRecord(raw, size);
            } catch (Throwable t) {
                if (handlerFailures.getAndIncrement() == 0) {
                    LOG.error("perf buffer record handler failed; counting further failures", t);
                }
            }
        };
        this.lostCallback = (cookie, count) -> lost.addAndGet(count);
        List<Integer> cpus = CpuList.online();
        try {
            for (int cpu : cpus) {
                Pointer reader = LibBcc.bpf_open_perf_buffer(rawCallback, lostCallback, null, -1, cpu, pagesPerCpu);
                if (reader == null) {
                    throw new BccException("cannot open perf buffer on CPU " + cpu + ": "
                            + Errno.describe(Native.getLastError()));
                }
                readers.add(reader);
                map.put(cpu, LibBcc.perf_reader_fd(reader));
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        readerArray = new Memory((long) Native.POINTER_SIZE * readers.size());
        for (int i = 0; i < readers.size(); i++) {
            readerArray.setPointer((long) i * Native.POINTER_SIZE, readers.get(i));
        }
    }

    @Override
    public void poll(int timeoutMs) {
        LibBcc.perf_reader_poll(readers.size(), readerArray, timeoutMs);
    }

    @Override
    public void drain() {
        LibBcc.perf_reader_poll(readers.size(), readerArray, 0);
    }

    @Override
    public long kernelReportedLost() {
        return lost.get();
    }

    @Override
    public long handlerFailures() {
        return handlerFailures.get();
    }

    @Override
    public void close() {
        readers.forEach(LibBcc::perf_reader_free);
        readers.clear();
    }
}
