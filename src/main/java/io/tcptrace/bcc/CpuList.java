package io.tcptrace.bcc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** CPU numbers from sysfs lists such as {@code 0-3,6}: per-CPU maps size by "possible", perf buffers open per "online". */
public final class CpuList {
    private CpuList() {
    }

    public static List<Integer> online() {
        return read("/sys/devices/system/cpu/online");
    }

    public static int possibleCount() {
        List<Integer> cpus = read("/sys/devices/system/cpu/possible");
        return cpus.get(cpus.size() - 1) + 1;
    }

    static List<Integer> parse(String text) {
        List<Integer> cpus = new ArrayList<>();
        for (String part : text.trim().split(",")) {
            if (part.isEmpty()) {
                continue;
            }
            int dash = part.indexOf('-');
            int from = Integer.parseInt(dash < 0 ? part : part.substring(0, dash));
            int to = dash < 0 ? from : Integer.parseInt(part.substring(dash + 1));
            for (int cpu = from; cpu <= to; cpu++) {
                cpus.add(cpu);
            }
        }
        return cpus;
    }

    private static List<Integer> read(String file) {
        try {
            return parse(Files.readString(Path.of(file)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
