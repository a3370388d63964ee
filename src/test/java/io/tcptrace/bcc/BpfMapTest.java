package io.tcptrace.bcc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tcptrace.KernelTestSupport;
import io.tcptrace.kernel.KernelHeaders;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link BpfMap} on a real BPF hash map of two entries (and an array of three). */
class BpfMapTest {
    @Test
    void insertsOnlyAbsentKeysAndTellsAFullMap() {
        try (BpfModule module = twoEntries()) {
            BpfMap map = module.map("two");
            assertEquals(BpfMap.Insert.INSERTED, map.insertNew(key(1), value(10)));
            assertEquals(BpfMap.Insert.EXISTS, map.insertNew(key(1), value(11)));
            assertEquals(BpfMap.Insert.INSERTED, map.insertNew(key(2), value(20)));
            assertEquals(BpfMap.Insert.FULL, map.insertNew(key(3), value(30)));
            assertThrows(IllegalArgumentException.class, () -> map.insertNew(new byte[4], value(1)));
        }
    }

    @Test
    void looksUpAndCountsWhatTheKernelHolds() {
        try (BpfModule module = twoEntries()) {
            BpfMap map = module.map("two");
            assertEquals(0, map.countKeys());
            assertNull(map.lookup(key(1)));
            map.insertNew(key(1), value(10));
            map.insertNew(key(2), value(20));
            assertEquals(2, map.countKeys());
            assertArrayEquals(value(10), map.lookup(key(1)));
            assertArrayEquals(value(20), map.lookup(key(2)));
            assertNull(map.lookup(key(3)));
            assertThrows(IllegalArgumentException.class, () -> map.lookup(new byte[4]));
        }
    }

    /** What a re-attach does to the socket maps: a hash emptied, an array zeroed. */
    @Test
    void clearEmptiesAHashAndZeroesAnArray() {
        try (BpfModule module = twoEntries()) {
            BpfMap hash = module.map("two");
            hash.insertNew(key(1), value(10));
            hash.insertNew(key(2), value(20));
            assertEquals(2, hash.clear());
            assertEquals(0, hash.countKeys());
            assertEquals(BpfMap.Insert.INSERTED, hash.insertNew(key(3), value(30)), "room again");
            BpfMap array = module.map("three");
            array.put(1, 7);
            assertArrayEquals(value(7), array.lookup(new byte[] {1, 0, 0, 0}));
            assertEquals(0, array.clear(), "an array's elements are zeroed, not counted");
            for (byte i = 0; i < 3; i++) {
                assertArrayEquals(value(0), array.lookup(new byte[] {i, 0, 0, 0}));
            }
        }
    }

    private static BpfModule twoEntries() {
        KernelTestSupport.requireKernel();
        // bcc compiles against the kernel's headers
        KernelHeaders.prepare(Path.of(System.getProperty("java.io.tmpdir"), "tcptrace-test-cache"));
        return BpfModule.compile("BPF_HASH(two, u16, u64, 2);\nBPF_ARRAY(three, u64, 3);\n", "two.bpf.c", List.of());
    }

    private static byte[] key(int k) {
        return new byte[] {(byte) k, 0};
    }

    private static byte[] value(long v) {
        byte[] b = new byte[8];
        b[0] = (byte) v;
        return b;
    }
}
