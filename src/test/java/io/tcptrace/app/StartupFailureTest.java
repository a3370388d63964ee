package io.tcptrace.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The one start-up line: the deepest cause explained in words, also when the cause chain loops. */
class StartupFailureTest {
    @Test
    void theDeepestExplainedCauseIsNamed() {
        Exception e = new RuntimeException("wrapper",
                new IllegalStateException("outer state", new IllegalArgumentException("the real cause\n  indented")));
        assertEquals("the real cause indented", StartupFailure.describe(e));
    }

    @Test
    void aCauseChainThatLoopsEndsAndStillNamesTheCause() {
        RuntimeException outer = new RuntimeException("wrapper");
        IllegalStateException real = new IllegalStateException("the real cause");
        RuntimeException inner = new RuntimeException("inner wrapper");
        outer.initCause(real);
        real.initCause(inner);
        inner.initCause(outer); // a loop: outer -> real -> inner -> outer
        assertEquals("the real cause",
                assertTimeoutPreemptively(Duration.ofSeconds(5), () -> StartupFailure.describe(outer)));

        Exception a = new Exception("a");
        Exception b = new Exception("b");
        a.initCause(b);
        b.initCause(a);
        assertEquals("b", assertTimeoutPreemptively(Duration.ofSeconds(5), () -> StartupFailure.describe(a)),
                "no explained cause: the last one before the loop repeats");
    }
}
