package io.tcptrace.camel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tcptrace.KernelTestSupport;
import io.tcptrace.bcc.Libc;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The poll thread's priority policy on a real thread: niced like the tracer, it takes nice 0
 * while the buffer is over half full and returns to its own nice once the buffer drains.
 */
class PollPriorityTest {

    @Test
    void aFillingBufferRaisesTheThreadAndADrainedOneLowersItAgain() throws Exception {
        KernelTestSupport.requireKernel();   // root: raising a priority back needs CAP_SYS_NICE
        AtomicReference<int[]> seen = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread poll = new Thread(() -> {
            try {
                assertEquals(0, Libc.setpriority(Libc.PRIO_PROCESS, 0, 10), "nice this thread like ./tcptrace run");
                PollPriority priority = new PollPriority(true);
                priority.enter();
                priority.adjust(0.3);
                int quiet = Libc.getpriority(Libc.PRIO_PROCESS, 0);
                priority.adjust(0.6);
                int filling = Libc.getpriority(Libc.PRIO_PROCESS, 0);
                priority.adjust(0.3);   // still above 1/8: stays raised
                int draining = Libc.getpriority(Libc.PRIO_PROCESS, 0);
                priority.adjust(0.05);
                int drained = Libc.getpriority(Libc.PRIO_PROCESS, 0);
                seen.set(new int[] {quiet, filling, draining, drained, (int) priority.boosts()});
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        poll.start();
        poll.join();
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        int[] s = seen.get();
        assertEquals(10, s[0], "a quiet buffer leaves the thread niced");
        assertEquals(0, s[1], "over half full: nice 0");
        assertEquals(0, s[2], "until nearly drained");
        assertEquals(10, s[3], "drained: back to the process's nice");
        assertEquals(1, s[4], "one boost counted");
    }
}
