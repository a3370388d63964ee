package io.tcptrace.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import org.junit.jupiter.api.Test;

/** User names from the host's real user database, compared with what getent says. */
class UserNamesTest {
    @Test
    void namesMatchGetent() throws Exception {
        Process getent = new ProcessBuilder("getent", "passwd").start();
        String out = new String(getent.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        getent.waitFor();
        Map<Integer, String> expected = new HashMap<>();
        for (String line : out.split("\n")) {
            String[] f = line.split(":");
            if (f.length > 2) {
                expected.putIfAbsent(Integer.parseInt(f[2]), f[0]);   // the first entry wins, as in getpwuid
            }
        }
        assertTrue(expected.containsKey(0));
        ExecutorService loader = ProcessContext.defaultLoader();
        try {
            UserNames users = new UserNames(4096, new BoundedWait(loader, 2_000_000_000L));
            for (Map.Entry<Integer, String> e : expected.entrySet()) {
                assertEquals(e.getValue(), users.get(e.getKey()), "uid " + e.getKey());
            }
            int unused = 1;
            while (expected.containsKey(unused) || unused < 30000) {
                unused++;
            }
            assertNull(users.get(unused), "uid " + unused + " has no user");
            long missesBefore = users.stats().misses();
            assertEquals("root", users.get(0));
            assertEquals(missesBefore, users.stats().misses(), "the second lookup is a hit");
        } finally {
            loader.shutdownNow();
        }
    }

    @Test
    void boundedLeastRecentlyUsedOut() throws Exception {
        ExecutorService loader = ProcessContext.defaultLoader();
        try {
            UserNames users = new UserNames(3, new BoundedWait(loader, 2_000_000_000L), uid -> "u" + uid);
            for (int uid = 1; uid <= 10; uid++) {
                assertEquals("u" + uid, users.get(uid));
            }
            assertEquals(3, users.stats().size());
        } finally {
            loader.shutdownNow();
        }
    }
}
