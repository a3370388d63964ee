package io.tcptrace.bcc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import io.tcptrace.KernelTestSupport;
import io.tcptrace.kernel.KernelHeaders;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link MappedRingBuffer} against the real kernel: a BPF program of this test
 * (ringbuf-records.bpf.c) writes one record per fadvise64 call the test makes, of the size,
 * sequence number and flags the test chooses, into a ring buffer of 4 pages; every byte read is
 * checked against what the program wrote.
 */
class MappedRingBufferTest {
    /** The record sizes the program writes, by index (ringbuf-records.bpf.c's switch). */
    private static final int[] SIZES = {12, 13, 61, 64, 250, 1001, 3333};
    private static final int RING_PAGES = 4;
    private static final long MAGIC = 0x74637074L;
    private static final int DISCARD = 1 << 8;
    private static final int NO_WAKEUP = 0;
    private static final int FORCE_WAKEUP = 1 << 9;
    private static final int PATTERN_SIZE = 4096;
    private static final byte[] PATTERN = new byte[PATTERN_SIZE];
    private static final Path CACHE = Path.of(System.getProperty("java.io.tmpdir"), "tcptrace-test-cache");

    private static BpfModule module;
    private static BpfMap events;
    private static BpfMap stats;

    private final List<Rec> read = new ArrayList<>();
    private MappedRingBuffer reader;
    private int seq;
    private long wrapped;

    /** One record as read: its header fields, its bytes after the header, where it lay in the data area. */
    private record Rec(int seq, int size, int length, byte[] payload, int offset) {
    }

    static {
        Native.register(MappedRingBufferTest.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    /** glibc's wrapper of the fadvise64 system call (not variadic, the same on every architecture). */
    private static native int posix_fadvise(int fd, long offset, long len, int advice);

    @BeforeAll
    static void load() throws IOException {
        KernelTestSupport.requireKernel();
        new Random(42).nextBytes(PATTERN);
        KernelHeaders.prepare(CACHE);
        String source;
        try (InputStream in = MappedRingBufferTest.class.getResourceAsStream("ringbuf-records.bpf.c")) {
            source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        module = BpfModule.compile(source, "ringbuf-records.bpf.c", List.of("-DRING_PAGES=" + RING_PAGES));
        module.map("owner").put(0, ProcessHandle.current().pid());
        BpfMap pattern = module.map("pattern");
        Memory key = new Memory(4);
        key.setInt(0, 0);
        Memory value = new Memory(PATTERN_SIZE);
        value.write(0, PATTERN, 0, PATTERN_SIZE);
        assertEquals(0, LibBcc.bpf_update_elem(pattern.fd(), key, value, 0), "pattern map update");
        events = module.map("events");
        stats = module.map("stats");
        module.attachTracepoint("syscalls", "sys_enter_fadvise64", "tracepoint__syscalls__sys_enter_fadvise64");
    }

    @AfterAll
    static void unload() {
        if (module != null) {
            module.close();
        }
    }

    @BeforeEach
    void open() {
        reader = new MappedRingBuffer(events, this::onRecord);
        while (reader.poll(0, 1024) > 0) {
            // what an earlier test left
        }
        read.clear();
        wrapped = 0;
    }

    @AfterEach
    void close() {
        if (reader != null) {
            reader.close();
        }
    }

    @Test
    void recordsOfEverySizeArriveWholeAndInOrder() {
        List<Integer> sizes = new ArrayList<>();
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < SIZES.length; i++) {
                write(i, NO_WAKEUP);
                sizes.add(SIZES[i]);
            }
            assertEquals(SIZES.length, reader.poll(0, 1024));
        }
        assertEquals(0, reader.available());
        assertEquals(sizes, read.stream().map(Rec::length).toList(), "each record's length, in order");
        checkAll(IntStream.range(0, sizes.size()).boxed().toList());
    }

    @Test
    void theDataAreaWrapsManyTimesAndRecordsAcrossItsEndStayWhole() {
        long dataSize = events.maxEntries();
        assertEquals(RING_PAGES * 4096L, dataSize);
        long failedBefore = stat(0);
        long bytes = 0;
        List<Integer> expected = new ArrayList<>();
        // Read after every third record: at most 3 * 3344 bytes wait, less than the ring holds.
        for (int i = 0; bytes < 80 * dataSize; i++) {
            int index = (i * 5 + i / 7) % SIZES.length;
            write(index, NO_WAKEUP);
            expected.add(seq - 1);
            bytes += aligned(SIZES[index]);
            if (i % 3 == 2) {
                reader.poll(0, 1024);
            }
        }
        reader.poll(0, 1024);
        assertEquals(failedBefore, stat(0), "the kernel never found the ring full");
        assertEquals(0, reader.available());
        checkAll(expected);
        assertTrue(wrapped >= 20, "records lying across the end of the data area: " + wrapped);
    }

    @Test
    void discardedRecordsAreSkippedAndTheirSpaceReleased() {
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            boolean discard = i % 3 == 1 || i == 39;   // the last one too: nothing after it moves the position
            write(i % SIZES.length, discard ? DISCARD : NO_WAKEUP);
            if (!discard) {
                expected.add(seq - 1);
            }
            if (i % 4 == 3) {
                reader.poll(0, 1024);
            }
        }
        reader.poll(0, 1024);
        assertEquals(0, reader.available(), "discarded records' space is given back too");
        checkAll(expected);
    }

    @Test
    void theConsumerPositionMovesOnlyPastRecordsHandedOn() {
        int first = seq;
        int[] sizes = new int[10];
        for (int i = 0; i < 10; i++) {
            sizes[i] = SIZES[(i * 3) % SIZES.length];
            write((i * 3) % SIZES.length, i == 1 ? DISCARD : NO_WAKEUP);
        }
        long all = IntStream.of(sizes).mapToLong(MappedRingBufferTest::aligned).sum();
        assertEquals(all, reader.available());
        // what the poll thread's priority policy reads: the share of the data area the kernel filled
        assertEquals((double) all / (RING_PAGES * 4096L), reader.fill(), 1e-12);

        // Records 0, (1 discarded), 2 and 3 handed on: the position is just past record 3.
        assertEquals(3, reader.poll(0, 3));
        assertEquals(List.of(first, first + 2, first + 3), seqs());
        assertEquals(all - IntStream.range(0, 4).mapToLong(i -> aligned(sizes[i])).sum(), reader.available());

        assertEquals(3, reader.poll(0, 3));
        assertEquals(all - IntStream.range(0, 7).mapToLong(i -> aligned(sizes[i])).sum(), reader.available());

        // A new reader on the same map sees exactly what the first left: the position is in the kernel's page.
        reader.close();
        reader = new MappedRingBuffer(events, this::onRecord);
        assertEquals(3, reader.poll(0, 100));
        assertEquals(0, reader.available());
        assertEquals(0.0, reader.fill());
        checkAll(List.of(first, first + 2, first + 3, first + 4, first + 5, first + 6, first + 7, first + 8,
                first + 9));
    }

    @Test
    void aForcedWakeUpEndsALongWaitAtOnce() throws Exception {
        long started = System.nanoTime();
        writeLater(300, FORCE_WAKEUP);
        assertEquals(1, reader.poll(20_000, 100));
        long waitedMs = (System.nanoTime() - started) / 1_000_000;
        assertTrue(waitedMs >= 250 && waitedMs < 5_000, "woken after " + waitedMs + " ms");

        // Without a wake-up the same record waits for the timeout: the quick return above was the wake-up's.
        started = System.nanoTime();
        writeLater(300, NO_WAKEUP);
        assertEquals(1, reader.poll(2_000, 100));
        waitedMs = (System.nanoTime() - started) / 1_000_000;
        assertTrue(waitedMs >= 1_900, "returned after " + waitedMs + " ms without a wake-up");
        checkAll(List.of(seq - 2, seq - 1));
    }

    @Test
    void closingWhileTheKernelWritesUnmapsEverything() throws Exception {
        reader.close();
        reader = null;
        List<String> before = mappings();
        long epollBefore = KernelTestSupport.openFds("[eventpoll]");

        MappedRingBuffer r = new MappedRingBuffer(events, this::onRecord);
        List<String> open = mappings();
        assertEquals(before.size() + 2, open.size(), "consumer page and data area mapped: " + open);
        assertEquals(epollBefore + 1, KernelTestSupport.openFds("[eventpoll]"));

        AtomicBoolean writing = new AtomicBoolean(true);
        int[] written = new int[1];
        Thread writer = new Thread(() -> {
            for (int s = 1_000_000; writing.get(); s++) {
                trigger(s, s % SIZES.length | FORCE_WAKEUP);
                written[0]++;
            }
        }, "ringbuf-test-writer");
        writer.start();
        try {
            int handed = 0;
            for (int i = 0; i < 20; i++) {
                handed += r.poll(50, 16);
            }
            assertTrue(handed > 0, "records read while the kernel writes");
            r.close();
            assertEquals(before, mappings(), "nothing of the ring buffer stays mapped");
            assertEquals(epollBefore, KernelTestSupport.openFds("[eventpoll]"), "epoll fd closed");
            Thread.sleep(200);   // the kernel goes on writing into the map, now unmapped here
            r.close();           // closing twice is harmless
        } finally {
            writing.set(false);
            writer.join();
        }
        assertTrue(written[0] > 0);

        // The map itself is untouched: a new reader maps it again and reads whole records.
        reader = new MappedRingBuffer(events, this::onRecord);
        while (reader.poll(0, 1024) > 0) {
            // the writer's last records
        }
        read.clear();
        write(4, NO_WAKEUP);
        assertEquals(1, reader.poll(0, 10));
        checkAll(List.of(seq - 1));
    }

    // --- helpers ---

    private void onRecord(ByteBuffer data, int offset, int length) {
        byte[] payload = new byte[Math.max(0, length - 8)];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = data.get(offset + 8 + i);
        }
        // A record that runs past the end of the data area reaches the handler copied whole,
        // in a buffer of its own rather than the mapped data area.
        if (data.capacity() != events.maxEntries()) {
            wrapped++;
        }
        read.add(new Rec(data.getInt(offset), data.getInt(offset + 4), length, payload, offset));
    }

    /** Writes one record through the program: size index and flags as in ringbuf-records.bpf.c. */
    private void write(int sizeIndex, int flags) {
        trigger(seq++, sizeIndex | flags);
    }

    private static void trigger(int seq, long op) {
        int rc = posix_fadvise(-1, MAGIC << 32 | (seq & 0xffffffffL), op, 0);
        if (rc != 9) {   // EBADF: the probe saw the call, the kernel did nothing
            throw new AssertionError("fadvise64 returned " + rc);
        }
    }

    private void writeLater(long delayMs, int flags) {
        int s = seq++;
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(delayMs);
            } catch (InterruptedException e) {
                return;
            }
            trigger(s, 4 | flags);
        }, "ringbuf-test-late-writer");
        t.start();
    }

    private List<Integer> seqs() {
        return read.stream().map(Rec::seq).toList();
    }

    /** The records read are exactly {@code expected} (sequence numbers), each byte as the program wrote it. */
    private void checkAll(List<Integer> expected) {
        assertEquals(expected, seqs());
        for (Rec r : read) {
            assertEquals(r.size(), r.length(), "header length equals the size the program reserved, seq " + r.seq());
            assertTrue(IntStream.of(SIZES).anyMatch(s -> s == r.size()), "a size the program writes: " + r.size());
            int from = r.seq() & 0xff;
            byte[] want = java.util.Arrays.copyOfRange(PATTERN, from, from + r.size() - 8);
            assertArrayEquals(want, r.payload(), "payload of seq " + r.seq() + " at offset " + r.offset());
        }
    }

    /** Space a record of {@code size} bytes takes in the ring: 8-byte header, rounded up to 8. */
    private static long aligned(int size) {
        return (8 + size + 7) & ~7L;
    }

    private static long stat(int index) {
        return stats.sumPerCpu(index, CpuList.possibleCount());
    }

    /** This process's mappings of BPF maps (the ring buffer's), as /proc/self/maps lists them. */
    private static List<String> mappings() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(l -> l.contains("bpf-map")).toList();
    }
}
