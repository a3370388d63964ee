package io.tcptrace.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** argv as the kernel keeps it, NUL after each argument, to one line cut at a byte limit. */
class CommandLineTest {
    private static byte[] argv(String... args) {
        return (String.join("\0", args) + "\0").getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void joinedBySpaces() {
        byte[] raw = argv("/usr/bin/curl", "-s", "https://example.invalid/");
        assertEquals("/usr/bin/curl -s https://example.invalid/", CommandLine.join(raw, 0, raw.length, 1024));
    }

    @Test
    void cutToTheLimitNeverInsideACharacter() {
        byte[] raw = argv("prog", "ééééé");   // é is two bytes
        String cut = CommandLine.join(raw, 0, raw.length, 8);   // "prog " is 5 bytes, then 1.5 characters fit
        assertEquals("prog é", cut);
        assertTrue(cut.getBytes(StandardCharsets.UTF_8).length <= 8);
        assertNull(CommandLine.join(new byte[4], 0, 4, 1024));
    }
}
