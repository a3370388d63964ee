package io.tcptrace.event;

import com.fasterxml.jackson.annotation.JsonValue;

/** How a connect ended, as the tracepoint probe sees it; the kprobe probe cannot tell. */
public enum Outcome {
    /** kprobe mode: the event is emitted when connect() returns, before the handshake ends. */
    UNKNOWN,
    /** The handshake completed (SYN_SENT to ESTABLISHED). */
    ESTABLISHED,
    /** The peer answered with a reset: nothing listens on that port. */
    REFUSED,
    /** Timed out, unreachable, or abandoned by the process before completing. */
    FAILED;

    private final String json = name().toLowerCase(java.util.Locale.ROOT);

    public static Outcome fromKernel(int code) {
        return switch (code) {
            case 1 -> ESTABLISHED;
            case 2 -> REFUSED;
            case 3 -> FAILED;
            default -> UNKNOWN;
        };
    }

    @JsonValue
    public String json() {
        return json;
    }
}
