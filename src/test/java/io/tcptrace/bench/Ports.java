package io.tcptrace.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for the load's destination, below the kernel's ephemeral range: a port from inside it
 * can become the local port of one of the load's own connects, which then shows up in a peer's
 * port columns (counted twice) and, in TIME_WAIT, keeps the established mode's server from
 * binding it.
 */
final class Ports {
    private static final int LOWEST = 10_000;

    private Ports() {
    }

    static int free() throws IOException {
        int firstEphemeral = firstEphemeral();
        for (int tries = 0; tries < 200; tries++) {
            int port = ThreadLocalRandom.current().nextInt(LOWEST, Math.max(LOWEST + 1, firstEphemeral));
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(false);
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                return port;
            } catch (IOException inUse) {
                // try another
            }
        }
        throw new IOException("no free port between " + LOWEST + " and " + firstEphemeral);
    }

    private static int firstEphemeral() {
        try {
            // readAllLines: Files.readString gets only the first byte of a sysctl file
            return Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim()
                    .split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }
}
