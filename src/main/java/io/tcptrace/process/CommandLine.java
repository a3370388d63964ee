package io.tcptrace.process;

import java.nio.charset.StandardCharsets;

/** Turns argv as the kernel keeps it (each argument followed by a NUL) into one line of text. */
final class CommandLine {
    private CommandLine() {
    }

    /**
     * Arguments joined by spaces, at most {@code maxBytes} bytes of UTF-8 (cut before a character,
     * never inside one). Null when there are no arguments.
     */
    static String join(byte[] raw, int offset, int length, int maxBytes) {
        int end = offset + Math.min(length, maxBytes);
        while (end > offset && raw[end - 1] == 0) {
            end--;
        }
        if (end == offset) {
            return null;
        }
        if (length > maxBytes) {
            // cut inside a multi-byte character: drop its leading bytes too
            while (end > offset && (raw[end] & 0xC0) == 0x80) {
                end--;
            }
        }
        byte[] text = new byte[end - offset];
        for (int i = 0; i < text.length; i++) {
            byte b = raw[offset + i];
            text[i] = b == 0 ? (byte) ' ' : b;
        }
        return new String(text, StandardCharsets.UTF_8);
    }
}
