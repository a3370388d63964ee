package io.tcptrace.bcc;

/**
 * A kernel-to-user event stream (ring buffer or perf buffer). Not thread-safe: one poll thread
 * owns it. Records go to the {@link RecordHandler} given at creation, on the poll thread.
 */
public interface EventReader extends AutoCloseable {
    /**
     * Waits up to {@code timeoutMs} when nothing is available, then hands up to
     * {@code maxRecords} available records to the handler (a perf buffer may hand more: libbcc
     * reads each CPU's buffer whole). Returns how many it handed on.
     */
    int poll(int timeoutMs, int maxRecords);

    /** How full the buffer is, 0 to 1; 0 where the transport cannot tell (perf). */
    double fill();

    @Override
    void close();
}
