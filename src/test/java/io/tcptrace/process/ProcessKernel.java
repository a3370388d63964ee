package io.tcptrace.process;

import io.tcptrace.bcc.BpfMap;
import io.tcptrace.bcc.BpfModule;
import io.tcptrace.bcc.CpuList;
import io.tcptrace.bcc.MappedRingBuffer;
import io.tcptrace.kernel.KernelHeaders;
import io.tcptrace.kernel.btf.KernelOffsets;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * bpf/tcpconnect.bpf.c with bpf/process.bpf.c appended, compiled the way the tracer will
 * (tracepoint mode, ring buffer), with only the process tracepoints attached. Every record read
 * (read from the ring's memory mapping, as the tracer does) goes to the registered decoders; exec headers are also kept raw, so tests can check the
 * kernel's cgroup id and uid against the documented layout.
 */
final class ProcessKernel implements AutoCloseable {
    static final Path CACHE = Path.of(System.getProperty("java.io.tmpdir"), "tcptrace-test-cache");

    /** Fields of an exec record's header, decoded here from the documented offsets. */
    record ExecHeader(int pid, int oldTid, long cgroupId, int uid, int flags) {
    }

    final BpfModule module;
    final BpfMap counters;
    final List<ProcessRecords> decoders = new CopyOnWriteArrayList<>();
    final Map<Integer, ExecHeader> execs = new ConcurrentHashMap<>();
    /** Fork records by parent pid (offset 4 of a kind 17 record). */
    final Map<Integer, Integer> forksByParent = new ConcurrentHashMap<>();
    private final MappedRingBuffer reader;
    long otherKinds;

    ProcessKernel(ProcessSettings settings, int ringPages) throws IOException {
        KernelHeaders.prepare(CACHE);
        String source = resource("/bpf/tcpconnect.bpf.c") + "\n" + ProcessProbes.source();
        // the whole connection program, every record kind, so the fragment is proven to fit beside it
        List<String> flags = new ArrayList<>(List.of("-DPROBE_TRACEPOINT", "-DTRANSPORT_RINGBUF",
                "-DRINGBUF_PAGES=" + ringPages, "-DPENDING_MAX=1024", "-DEVENT_CONNECT", "-DEVENT_ACCEPT",
                "-DEVENT_CLOSE", "-DCONN_MAX=1024"));
        flags.addAll(KernelOffsets.fromRunningKernel().cflags());
        flags.addAll(ProcessProbes.cflags(settings));
        module = BpfModule.compile(source, "tcpconnect.bpf.c+process.bpf.c", flags);
        try {
            counters = module.map("counters");
            reader = new MappedRingBuffer(module.map("events"), (ByteBuffer buf, int off, int size) -> {
                int kind = buf.get(off) & 0xFF;
                if (kind == ProcessRecords.KIND_EXEC) {
                    execs.put(buf.getInt(off + 8), new ExecHeader(buf.getInt(off + 8), buf.getInt(off + 12),
                            buf.getLong(off + 24), buf.getInt(off + 32), buf.get(off + 1) & 0xFF));
                }
                if (kind == ProcessRecords.KIND_FORK) {
                    forksByParent.merge(buf.getInt(off + 4), 1, Integer::sum);
                }
                boolean taken = false;
                for (ProcessRecords d : decoders) {
                    taken |= d.accept(buf, off, size);
                }
                if (!taken) {
                    otherKinds++;
                }
            });
            ProcessProbes.attach(module, settings);
        } catch (RuntimeException e) {
            module.close();
            throw e;
        }
    }

    void poll(int timeoutMs) {
        reader.poll(timeoutMs, Integer.MAX_VALUE);
    }

    /** Polls until {@code done} holds or five seconds pass; returns whether it holds. */
    boolean pollUntil(java.util.function.BooleanSupplier done) {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < deadline) {
            poll(20);
            if (done.getAsBoolean()) {
                return true;
            }
        }
        return done.getAsBoolean();
    }

    long counter(int index) {
        return counters.sumPerCpu(index, CpuList.possibleCount());
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = ProcessKernel.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Override
    public void close() {
        try {
            reader.close();
        } finally {
            module.close();
        }
    }
}
