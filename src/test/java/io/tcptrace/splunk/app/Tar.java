package io.tcptrace.splunk.app;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/** Reads a .tgz (ustar) as Splunk's installer would see it: names, modes, contents. */
final class Tar {
    record Entry(String name, int mode, boolean directory, byte[] content) {
    }

    private Tar() {
    }

    static List<Entry> read(InputStream tgz) throws IOException {
        InputStream in = new GZIPInputStream(tgz);
        List<Entry> entries = new ArrayList<>();
        byte[] header = new byte[512];
        while (true) {
            if (in.readNBytes(header, 0, 512) < 512 || isZero(header)) {
                return entries;
            }
            String name = text(header, 0, 100);
            String prefix = text(header, 345, 155);
            if (!prefix.isEmpty()) {
                name = prefix + "/" + name;
            }
            int mode = (int) octal(header, 100, 8);
            long size = octal(header, 124, 12);
            char type = (char) header[156];
            if (type != '0' && type != '\0' && type != '5') {
                throw new IOException("tar entry type '" + type + "' (" + name + "): only files and folders expected");
            }
            byte[] content = in.readNBytes((int) size);
            in.skipNBytes((512 - size % 512) % 512);
            entries.add(new Entry(name, mode, type == '5' || name.endsWith("/"), content));
        }
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static String text(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }

    private static long octal(byte[] b, int off, int len) {
        String s = text(b, off, len).trim();
        return s.isEmpty() ? 0 : Long.parseLong(s, 8);
    }
}
