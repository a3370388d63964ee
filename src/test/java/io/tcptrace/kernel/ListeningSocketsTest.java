package io.tcptrace.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** /proc/net/tcp and tcp6 lines as Linux writes them: only state 0A (LISTEN) counts, ports in hex. */
class ListeningSocketsTest {
    @Test
    void listenersByPortFromBothFiles() {
        Map<Integer, Set<Long>> ports = new TreeMap<>();
        ListeningSockets.parse(List.of(
                "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
                "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21937 1 "
                        + "0000000000000000 100 0 0 10 0",
                "   1: 0100007F:1F90 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000  1000        0 40404 1 "
                        + "0000000000000000 20 4 30 10 -1",
                "   2: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 30303 1 "
                        + "0000000000000000 100 0 0 10 0"), ports);
        ListeningSockets.parse(List.of(
                "  sl  local_address                         remote_address                        st tx_queue "
                        + "rx_queue tr tm->when retrnsmt   uid  timeout inode",
                "   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A "
                        + "00000000:00000000 00:00000000 00000000     0        0 21939 1 0000000000000000 100 0 0 10 0",
                "   1: 00000000000000000000000001000000:FFFF 00000000000000000000000000000000:0000 0A "
                        + "00000000:00000000 00:00000000 00000000     0        0 0 1 0000000000000000 100 0 0 10 0"),
                ports);
        // 22 on v4 and v6; 8080 listening (the established socket on it is not); inode 0 (no socket) left out
        assertEquals(Map.of(22, Set.of(21937L, 21939L), 8080, Set.of(30303L)), ports);
    }
}
