package io.tcptrace.kernel;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The listening TCP sockets in a /proc/net/tcp or /proc/net/tcp6 text: local port -> socket
 * inodes. IPv4 and IPv6 listeners on one port (or several SO_REUSEPORT sockets) share the port.
 */
final class ListeningSockets {
    private static final String LISTEN = "0A";   // TCP_LISTEN as the kernel prints it

    private ListeningSockets() {
    }

    /** Adds the listeners of one file's lines (header included) to {@code ports}. */
    static void parse(List<String> lines, Map<Integer, Set<Long>> ports) {
        for (String line : lines) {
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
            String[] f = line.strip().split("\\s+");
            if (f.length < 10 || !f[3].equals(LISTEN)) {
                continue;   // the header, or a socket in another state
            }
            int colon = f[1].lastIndexOf(':');
            try {
                int port = Integer.parseInt(f[1].substring(colon + 1), 16);
                long inode = Long.parseLong(f[9]);
                if (inode > 0) {
                    ports.computeIfAbsent(port, p -> new TreeSet<>()).add(inode);
                }
            } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
                // not a socket line
            }
        }
    }

    static Map<Integer, Set<Long>> parse(List<String> lines) {
        Map<Integer, Set<Long>> ports = new TreeMap<>();
        parse(lines, ports);
        return ports;
    }
}
