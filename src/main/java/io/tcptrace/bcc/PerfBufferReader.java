package io.tcptrace.bcc;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a BPF_PERF_OUTPUT map: one perf ring per online CPU, each registered in the map under
 * its CPU number so {@code perf_submit} finds it. For kernels without the BPF ring buffer (< 5.8).
 */
public final class PerfBufferReader implements EventReader {

    // Held in fields for the reader's whole life: a collected JNA callback crashes the JVM.
    private final LibBcc.PerfRawCallback rawCallback;
    private final LibBcc.PerfLostCallback lostCallback;
    private final List<Pointer> readers = new ArrayList<>();
    private final Memory readerArray;
    private int handled;

    public PerfBufferReader(BpfMap map, int pagesPerCpu, RecordHandler handler) {
        // The callback only decodes (the handler must not throw): nothing else runs on this native stack.
        this.rawCallback = (cookie, raw, size) -> {
            handled++;
            handler.onRecord(raw.getByteBuffer(0, size).order(ByteOrder.LITTLE_ENDIAN), 0, size);
        };
        // The program counts each refused perf_submit itself, exactly; perf's own report lags.
        this.lostCallback = (cookie, count) -> { };
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
    public int poll(int timeoutMs, int maxRecords) {
        handled = 0;
        LibBcc.perf_reader_poll(readers.size(), readerArray, timeoutMs);
        return handled;
    }

    @Override
    public double fill() {
        return 0;
    }

    @Override
    public void close() {
        readers.forEach(LibBcc::perf_reader_free);
        readers.clear();
    }
}
