package io.tcptrace.delivery;

import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriParams;

/** The options of a {@code delivery:} endpoint. */
@UriParams
public class DeliveryConfiguration {
    @UriParam(description = "The bean that sends a batch to the destination, e.g. #splunkSender")
    @Metadata(required = true)
    private BatchSender sender;
    @UriParam(description = "Directory of the on-disk spool (spool/) and the dead-letter spool (dead-letter/)")
    @Metadata(required = true)
    private String spoolDir;
    @UriParam(description = "Spool size limit in bytes; records beyond it are lost and counted",
              defaultValue = "1073741824")
    private long maxSpoolBytes = 1L << 30;
    @UriParam(description = "Dead-letter spool size limit in bytes; records the destination refuses beyond it are"
                            + " lost and counted (dead_letter_full)", defaultValue = "268435456")
    private long deadLetterMaxBytes = 256L << 20;
    @UriParam(description = "At start, move what waits in the dead-letter spool back into the spool, to be sent"
                            + " again after what the spool holds (each record once: the files are moved, not copied)",
              defaultValue = "false")
    private boolean resendDeadLetter;
    @UriParam(description = "Records held in memory before new ones go to the spool", defaultValue = "20000")
    private int queueCapacity = 20_000;
    @UriParam(description = "Most records in one batch", defaultValue = "1000")
    private int maxBatchEvents = 1000;
    @UriParam(description = "Most bytes in one batch (records plus one newline each)", defaultValue = "1048576")
    private long maxBatchBytes = 1 << 20;
    @UriParam(description = "How long a batch waits to fill up, in milliseconds", defaultValue = "200")
    private long lingerMillis = 200;
    @UriParam(description = "On stop: time to send what is in memory before spooling it, in milliseconds, counted"
              + " from the first delivery endpoint's stop (one deadline for all)", defaultValue = "20000")
    private long shutdownTimeoutMillis = 20_000;
    @UriParam(label = "advanced", description = "First retry delay after a failure, in milliseconds (doubles, with jitter)",
              defaultValue = "500")
    private long retryBaseMillis = 500;
    @UriParam(label = "advanced", description = "Longest retry delay, in milliseconds", defaultValue = "30000")
    private long retryMaxMillis = 30_000;

    public BatchSender getSender() {
        return sender;
    }

    public void setSender(BatchSender sender) {
        this.sender = sender;
    }

    public String getSpoolDir() {
        return spoolDir;
    }

    public void setSpoolDir(String spoolDir) {
        this.spoolDir = spoolDir;
    }

    public long getMaxSpoolBytes() {
        return maxSpoolBytes;
    }

    public void setMaxSpoolBytes(long maxSpoolBytes) {
        this.maxSpoolBytes = (long) inRange("maxSpoolBytes", maxSpoolBytes, 1024L, Long.MAX_VALUE, "spool-max-bytes");
    }

    public long getDeadLetterMaxBytes() {
        return deadLetterMaxBytes;
    }

    public void setDeadLetterMaxBytes(long bytes) {
        this.deadLetterMaxBytes = inRange("deadLetterMaxBytes", bytes, 1L << 20, Long.MAX_VALUE, "dead-letter-max-bytes");
    }

    public boolean isResendDeadLetter() {
        return resendDeadLetter;
    }

    public void setResendDeadLetter(boolean resend) {
        this.resendDeadLetter = resend;
    }

    public int getQueueCapacity() {
        return queueCapacity;
    }

    public void setQueueCapacity(int queueCapacity) {
        this.queueCapacity = (int) inRange("queueCapacity", queueCapacity, 1L, 10_000_000L, "queue-capacity");
    }

    public int getMaxBatchEvents() {
        return maxBatchEvents;
    }

    public void setMaxBatchEvents(int maxBatchEvents) {
        this.maxBatchEvents = (int) inRange("maxBatchEvents", maxBatchEvents, 1L, 100_000L, "batch-events");
    }

    public long getMaxBatchBytes() {
        return maxBatchBytes;
    }

    public void setMaxBatchBytes(long maxBatchBytes) {
        this.maxBatchBytes = (long) inRange("maxBatchBytes", maxBatchBytes, 1024L, 1L << 30, "batch-bytes");
    }

    public long getLingerMillis() {
        return lingerMillis;
    }

    public void setLingerMillis(long lingerMillis) {
        this.lingerMillis = (long) inRange("lingerMillis", lingerMillis, 0L, 60_000L, "linger-ms");
    }

    public long getShutdownTimeoutMillis() {
        return shutdownTimeoutMillis;
    }

    public void setShutdownTimeoutMillis(long shutdownTimeoutMillis) {
        this.shutdownTimeoutMillis = (long) inRange("shutdownTimeoutMillis", shutdownTimeoutMillis, 0L, 600_000L, "shutdown-timeout-ms");
    }

    public long getRetryBaseMillis() {
        return retryBaseMillis;
    }

    public void setRetryBaseMillis(long retryBaseMillis) {
        this.retryBaseMillis = (long) inRange("retryBaseMillis", retryBaseMillis, 1L, 600_000L, "retry-base-ms");
    }

    public long getRetryMaxMillis() {
        return retryMaxMillis;
    }

    public void setRetryMaxMillis(long retryMaxMillis) {
        this.retryMaxMillis = (long) inRange("retryMaxMillis", retryMaxMillis, 1L, 3_600_000L, "retry-max-ms");
    }

    /**
     * The value when it is within [min, max]; else one line naming the option, the value as given,
     * the range and the settings that set it (the sinks' routes map splunk.X and kafka.X to it).
     */
    static long inRange(String option, long value, long min, long max, String property) {
        if (value < min || value > max) {
            String env = property.toUpperCase(java.util.Locale.ROOT).replace('-', '_');
            throw new IllegalArgumentException(option + "=" + value + " is out of range " + min + " to "
                    + (max == Long.MAX_VALUE ? "any" : max) + ": set splunk." + property + " or kafka." + property
                    + " (SPLUNK_" + env + ", KAFKA_" + env + ") within it");
        }
        return value;
    }
}
