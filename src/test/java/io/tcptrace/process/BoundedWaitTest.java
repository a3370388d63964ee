package io.tcptrace.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A lookup that hangs (NSS on an unreachable LDAP server) costs an event at most the budget. */
class BoundedWaitTest {
    @Test
    void aSlowUserLookupReturnsWithinTheBudgetAndServesTheNextEvent() throws Exception {
        ExecutorService loader = ProcessContext.defaultLoader();
        CountDownLatch release = new CountDownLatch(1);
        try {
            BoundedWait wait = new BoundedWait(loader, 5_000_000L);
            UserNames users = new UserNames(16, wait, uid -> {
                try {
                    release.await();   // the user database hangs until released
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return "slow" + uid;
            });
            long t0 = System.nanoTime();
            assertNull(users.get(4242));
            long waitedMs = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(waitedMs < 500, "waited " + waitedMs + " ms for a 5 ms budget");
            assertEquals(1, wait.timeouts());
            // a second event while the lookup hangs does not queue another one, nor wait
            t0 = System.nanoTime();
            assertNull(users.get(4242));
            assertTrue((System.nanoTime() - t0) / 1_000_000 < 100);
            release.countDown();
            long deadline = System.nanoTime() + 5_000_000_000L;
            String name = null;
            while (name == null && System.nanoTime() < deadline) {
                Thread.sleep(10);
                name = users.get(4242);
            }
            assertEquals("slow4242", name);
        } finally {
            release.countDown();
            loader.shutdownNow();
            loader.awaitTermination(1, TimeUnit.SECONDS);
        }
    }
}
