package io.tcptrace.bcc;

/**
 * A kernel-to-user event stream (ring buffer or perf buffer). Not thread-safe: one poll thread
 * owns it. Records go to the {@link RecordHandler} given at creation.
 */
public interface EventReader extends AutoCloseable {
    /** Waits up to {@code timeoutMs} for records and hands every available one to the handler. */
    void poll(int timeoutMs);

    /** Hands every record already in the buffer to the handler, without waiting. */
    void drain();

    /** Records the kernel itself reported as overwritten (perf buffers only; the ring buffer reports none). */
    long kernelReportedLost();

    /** Exceptions the handler threw; the callback swallowed them so none crossed into native code. */
    long handlerFailures();

    @Override
    void close();
}
