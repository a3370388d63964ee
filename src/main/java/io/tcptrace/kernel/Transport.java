package io.tcptrace.kernel;

import java.util.Locale;

/** How events travel from the BPF program to user space. */
public enum Transport {
    /** ringbuf on kernels 5.8 and later, otherwise perf. */
    AUTO,
    /** One BPF ring buffer shared by all CPUs (kernel 5.8+): ordered, no per-CPU waste. */
    RINGBUF,
    /** One perf ring per online CPU: works on older kernels. */
    PERF;

    public static Transport parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown transport '" + text + "': use auto, ringbuf or perf");
        }
    }
}
