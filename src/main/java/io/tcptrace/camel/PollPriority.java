package io.tcptrace.camel;

import com.sun.jna.Native;
import io.tcptrace.bcc.Libc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The poll thread's CPU priority policy. The tracer runs niced (./tcptrace run and the unit use
 * nice 10) so it yields to the host's work and a burst waits in the kernel buffer. When the
 * buffer fills past half, waiting would turn into loss, so the poll thread takes the CPU it needs
 * (nice 0) until the buffer is nearly drained, then yields again. Raising a priority back needs
 * CAP_SYS_NICE or RLIMIT_NICE; without them the first attempt logs one WARN and the policy stops.
 */
final class PollPriority {
    private static final Logger LOG = LoggerFactory.getLogger(PollPriority.class);
    private static final double BOOST_ABOVE = 0.5;
    private static final double RELAX_BELOW = 0.125;

    private final boolean enabled;
    private int normalNice;
    private boolean boosted;
    private boolean refused;
    private volatile long boosts;

    PollPriority(boolean enabled) {
        this.enabled = enabled;
    }

    /** Called once on the poll thread: remembers its nice value (inherited from the process). */
    void enter() {
        normalNice = Libc.getpriority(Libc.PRIO_PROCESS, 0);
    }

    /** Called on the poll thread after each batch with the buffer's fill, 0 to 1. */
    void adjust(double fill) {
        if (!enabled || refused || normalNice <= 0) {
            return;
        }
        if (!boosted && fill > BOOST_ABOVE) {
            if (Libc.setpriority(Libc.PRIO_PROCESS, 0, 0) != 0) {
                refused = true;
                LOG.warn("the kernel buffer is {}% full but the poll thread cannot raise its priority from nice {} (errno"
                        + " {}): give the tracer CAP_SYS_NICE or LimitNICE=+0, or run it at nice 0", Math.round(fill * 100),
                        normalNice, Native.getLastError());
                return;
            }
            boosted = true;
            boosts++;
            LOG.info("kernel buffer {}% full: poll thread raised to nice 0 until it drains", Math.round(fill * 100));
        } else if (boosted && fill < RELAX_BELOW) {
            Libc.setpriority(Libc.PRIO_PROCESS, 0, normalNice);
            boosted = false;
        }
    }

    long boosts() {
        return boosts;
    }
}
