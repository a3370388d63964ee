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
    @UriParam(description = "Records held in memory before new ones go to the spool", defaultValue = "20000")
    private int queueCapacity = 20_000;
    @UriParam(description = "Most records in one batch", defaultValue = "1000")
    private int maxBatchEvents = 1000;
    @UriParam(description = "Most bytes in one batch (records plus one newline each)", defaultValue = "1048576")
    private long maxBatchBytes = 1 << 20;
    @UriParam(description = "How long a batch waits to fill up, in milliseconds", defaultValue = "200")
    private long lingerMillis = 200;
    @UriParam(description = "On stop: time to send what is in memory before spooling it, in milliseconds",
              defaultValue = "25000")
    private long shutdownTimeoutMillis = 25_000;
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
        this.maxSpoolBytes = maxSpoolBytes;
    }

    public int getQueueCapacity() {
        return queueCapacity;
    }

    public void setQueueCapacity(int queueCapacity) {
        this.queueCapacity = queueCapacity;
    }

    public int getMaxBatchEvents() {
        return maxBatchEvents;
    }

    public void setMaxBatchEvents(int maxBatchEvents) {
        this.maxBatchEvents = maxBatchEvents;
    }

    public long getMaxBatchBytes() {
        return maxBatchBytes;
    }

    public void setMaxBatchBytes(long maxBatchBytes) {
        this.maxBatchBytes = maxBatchBytes;
    }

    public long getLingerMillis() {
        return lingerMillis;
    }

    public void setLingerMillis(long lingerMillis) {
        this.lingerMillis = lingerMillis;
    }

    public long getShutdownTimeoutMillis() {
        return shutdownTimeoutMillis;
    }

    public void setShutdownTimeoutMillis(long shutdownTimeoutMillis) {
        this.shutdownTimeoutMillis = shutdownTimeoutMillis;
    }

    public long getRetryBaseMillis() {
        return retryBaseMillis;
    }

    public void setRetryBaseMillis(long retryBaseMillis) {
        this.retryBaseMillis = retryBaseMillis;
    }

    public long getRetryMaxMillis() {
        return retryMaxMillis;
    }

    public void setRetryMaxMillis(long retryMaxMillis) {
        this.retryMaxMillis = retryMaxMillis;
    }
}
