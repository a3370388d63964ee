package io.tcptrace.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The record layout is declared on both sides: the C struct asserts each offset with
 * _Static_assert (the compiler checks the struct against it), and RecordDecoder's constants must
 * say the same. This holds the two together.
 */
class RecordLayoutTest {
    private static final Pattern OFFSET = Pattern.compile(
            "_Static_assert\\(__builtin_offsetof\\(struct event_t, (\\w+)\\) == (\\d+)");
    private static final Pattern SIZE = Pattern.compile("_Static_assert\\(sizeof\\(struct event_t\\) == (\\d+)");

    @Test
    void decoderOffsetsAreTheOnesTheBpfSourceAsserts() throws Exception {
        String source = Files.readString(Path.of(System.getProperty("tcptrace.home", "."), "bpf/tcpconnect.bpf.c"));
        Map<String, Integer> asserted = new HashMap<>();
        Matcher m = OFFSET.matcher(source);
        while (m.find()) {
            asserted.put(m.group(1).toUpperCase(Locale.ROOT), Integer.parseInt(m.group(2)));
        }
        Matcher size = SIZE.matcher(source);
        assertTrue(size.find(), "the source asserts the struct's size");
        assertEquals(Integer.parseInt(size.group(1)), RecordDecoder.SIZE);
        int checked = 0;
        for (Field f : RecordDecoder.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class && asserted.containsKey(f.getName())) {
                assertEquals(asserted.get(f.getName()), f.getInt(null), f.getName());
                checked++;
            }
        }
        assertEquals(asserted.size(), checked, "every asserted offset has a decoder constant: " + asserted.keySet());
        assertEquals(25, checked, "one per field of event_t: the source's asserts were all found " + asserted.keySet());
    }

    /** struct conn_t's two timestamps are read from Java (ConnectionSweep), so their offsets are held the same way. */
    @Test
    void connectionSweepReadsConnTimestampsWhereTheBpfSourceAssertsThem() throws Exception {
        String source = Files.readString(Path.of(System.getProperty("tcptrace.home", "."), "bpf/tcpconnect.bpf.c"));
        Matcher m = Pattern.compile("_Static_assert\\(__builtin_offsetof\\(struct conn_t, (\\w+)\\) == (\\d+)")
                .matcher(source);
        Map<String, Integer> asserted = new HashMap<>();
        while (m.find()) {
            asserted.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        assertEquals(Map.of("established_ns", ConnectionSweep.CONN_ESTABLISHED_NS, "updated_ns",
                ConnectionSweep.CONN_UPDATED_NS), asserted);
    }

    /** struct owner_t is written from Java too (ListenerSeed), so its layout is held the same way. */
    @Test
    void listenerSeedWritesOwnersInTheLayoutTheBpfSourceAsserts() throws Exception {
        assertEquals(5, checkAgainstSource("owner_t", "OWNER_", ListenerSeed.OWNER_SIZE),
                "cgroup_id, pid, tid, uid and comm are asserted");
    }

    /** struct listener_key_t too: the seed's keys must be the ones the program looks up. */
    @Test
    void listenerSeedWritesKeysInTheLayoutTheBpfSourceAsserts() throws Exception {
        assertEquals(2, checkAgainstSource("listener_key_t", "KEY_", ListenerSeed.KEY_SIZE), "netns and port are asserted");
        byte[] key = ListenerSeed.key(4026531840L, 8080);
        assertEquals(ListenerSeed.KEY_SIZE, key.length);
        assertEquals(0x00, key[0]);   // 4026531840 = 0xF0000000, little endian
        assertEquals((byte) 0xF0, key[3]);
        assertEquals((byte) 0x90, key[4]);   // 8080 = 0x1F90
        assertEquals(0x1F, key[5]);
    }

    /**
     * Checks a struct's asserted size and offsets against ListenerSeed's constants named
     * {@code prefix + MEMBER}; returns how many offsets it checked.
     */
    private static int checkAgainstSource(String struct, String prefix, int size) throws Exception {
        String source = Files.readString(Path.of(System.getProperty("tcptrace.home", "."), "bpf/tcpconnect.bpf.c"));
        Matcher asserted = Pattern.compile("_Static_assert\\(sizeof\\(struct " + struct + "\\) == (\\d+)").matcher(source);
        assertTrue(asserted.find(), "the source asserts " + struct + "'s size");
        assertEquals(Integer.parseInt(asserted.group(1)), size);
        Matcher m = Pattern.compile("_Static_assert\\(__builtin_offsetof\\(struct " + struct + ", (\\w+)\\) == (\\d+)")
                .matcher(source);
        int checked = 0;
        while (m.find()) {
            Field f = ListenerSeed.class.getDeclaredField(prefix + m.group(1).toUpperCase(Locale.ROOT));
            assertEquals(Integer.parseInt(m.group(2)), f.getInt(null), f.getName());
            checked++;
        }
        return checked;
    }
}
