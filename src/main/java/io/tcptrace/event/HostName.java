package io.tcptrace.event;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This host's name as the kernel has it (what {@code hostname} prints), for events, HEC and Kafka keys. */
public final class HostName {
    private HostName() {
    }

    public static String kernel() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
