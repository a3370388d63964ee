package io.tcptrace.delivery;

import io.tcptrace.camel.BccConstants;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * No-loss delivery shared by the Splunk and Kafka sinks. The route thread (the kernel poll
 * thread) only ever appends: to a bounded memory queue, or, when that is full or the
 * destination is failing, to an on-disk {@link Spool}; it never waits for the destination.
 * One delivery thread sends batches (bounded by count, bytes and linger time) through a
 * {@link BatchSender}.
 *
 * <p>Order is kept: once anything is spooled, newer records are spooled behind it until the
 * spool has been replayed, which starts when the sender reports healthy again. Retryable
 * failures back off exponentially with jitter; records refused for good go to a dead-letter
 * spool. Records lost because the spool cannot be written (over its size limit, disk full)
 * are counted and logged. On stop, what is in memory is sent within the shutdown timeout or
 * spooled, and a later start replays the spool.
 */
public class StoreAndForward implements Processor {
    private static final Logger LOG = LoggerFactory.getLogger(StoreAndForward.class);
    private static final long REPORT_INTERVAL_NANOS = 60_000_000_000L;
    private static final long IN_FLIGHT_GRACE_MILLIS = 10_000;

    // Settings, set from the sink's YAML bean definition.
    private BatchSender sender;
    private String spoolDir;
    private int queueCapacity = 100_000;
    private int maxBatchEvents = 1000;
    private long maxBatchBytes = 1 << 20;
    private long lingerMillis = 200;
    private long maxSpoolBytes = 1L << 30;
    private long retryBaseMillis = 500;
    private long retryMaxMillis = 30_000;
    private long shutdownTimeoutMillis = 25_000;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
    private Spool spool;
    private Spool deadLetter;
    private boolean spoolMode;
    private volatile boolean running;
    private Thread worker;
    private long lastLossReport;
    private long lossReported;

    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong spooled = new AtomicLong();
    private final AtomicLong replayed = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private final AtomicLong lostSpoolFull = new AtomicLong();
    private final AtomicLong retries = new AtomicLong();
    private volatile long failingSinceNanos; // 0 while deliveries succeed
    private volatile long stopDeadlineNanos;

    /** Opens the spools (replaying what a previous run left) and starts the delivery thread. */
    public void start() throws IOException {
        if (sender == null || spoolDir == null) {
            throw new IllegalStateException("store-and-forward needs a sender and a spoolDir");
        }
        startDelivery();
    }

    private synchronized void startDelivery() {
        if (worker != null) {
            return;
        }
        try {
            spool = new Spool(Path.of(spoolDir, "spool"), maxSpoolBytes);
            deadLetter = new Spool(Path.of(spoolDir, "dead-letter"), Long.MAX_VALUE);
        } catch (IOException e) {
            throw new IllegalStateException(sender.name() + " sink cannot use spool directory " + spoolDir + " ("
                    + e.getMessage() + "): make it writable or set the sink's spool directory");
        }
        if (spool.tornLines() > 0) {
            lostSpoolFull.addAndGet(spool.tornLines());
            LOG.warn("{} spool: {} record cut short by an abrupt stop was dropped", sender.name(), spool.tornLines());
        }
        spoolMode = !spool.isEmpty();
        if (spoolMode) {
            LOG.info("{} spool holds {} bytes from an earlier run: replaying once {} is healthy", sender.name(),
                    spool.sizeBytes(), sender.name());
        }
        sender.onStart();
        running = true;
        worker = new Thread(this::deliverLoop, "tcptrace-" + sender.name() + "-delivery");
        worker.start();
    }

    /** A Processor, not a bean method: no reflective parameter binding per event. */
    @Override
    public void process(Exchange exchange) {
        offer(exchange);
    }

    /** Takes one record (the exchange body) without ever blocking on the destination. */
    public void offer(Exchange exchange) {
        byte[] record = exchange.getMessage().getBody(byte[].class);
        boolean batchEnd = exchange.getMessage().getHeader(BccConstants.BATCH_END, false, Boolean.class);
        offer(record, batchEnd);
    }

    void offer(byte[] record, boolean batchEnd) {
        lock.lock();
        try {
            if (!spoolMode && queue.size() < queueCapacity) {
                queue.addLast(record);
                if (queue.size() == 1 || queue.size() >= maxBatchEvents) {
                    wake.signal();
                }
                return;
            }
            if (!spoolMode) {
                LOG.warn("{} memory queue full ({} records): spooling to disk until {} catches up", sender.name(),
                        queueCapacity, sender.name());
            }
            spoolMode = true;
            spoolOrCount(List.of(record));
            if (batchEnd && !spool.flush()) {
                LOG.error("{} spool flush failed in {}", sender.name(), spool.dir());
            }
        } finally {
            lock.unlock();
        }
    }

    /** Sends or spools what is in memory within the shutdown timeout, then stops. */
    public synchronized void stop() throws InterruptedException {
        if (worker == null) {
            return;
        }
        lock.lock();
        try {
            stopDeadlineNanos = System.nanoTime() + shutdownTimeoutMillis * 1_000_000L;
            running = false;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        // The worker takes no new batch after the deadline; a request already in flight gets a
        // grace period to finish, since cutting it off could leave it delivered and spooled too.
        worker.join(shutdownTimeoutMillis + IN_FLIGHT_GRACE_MILLIS);
        if (worker.isAlive()) {
            worker.interrupt();
            worker.join(5000);
        }
        lock.lock();
        try {
            if (!queue.isEmpty()) {
                List<byte[]> rest = new ArrayList<>(queue);
                queue.clear();
                spoolOrCount(rest);
                LOG.info("{}: {} undelivered records spooled at shutdown, replayed on next start", sender.name(),
                        rest.size());
            }
            spool.flush();
            spool.close();
            deadLetter.close();
            reportLoss(true);
        } finally {
            lock.unlock();
            worker = null;
        }
    }

    private void deliverLoop() {
        Backoff backoff = new Backoff(retryBaseMillis, retryMaxMillis);
        boolean failing = false;
        while (true) {
            try {
                if (failing && !waitUntilHealthy(backoff)) {
                    break; // stopping: stop() spools what is left
                }
                List<byte[]> batch = takeMemoryBatch();
                if (batch != null) {
                    failing = !sendFromMemory(batch);
                } else if (running && spoolNeedsReplay()) { // on stop the spool waits for the next start
                    failing = !replayOneChunk();
                } else if (!running) {
                    break;
                }
            } catch (InterruptedException e) {
                break;
            } catch (IOException | RuntimeException | Error e) {
                // Never let the thread die quietly (an OutOfMemoryError once did): a dead delivery
                // thread would leave every later event in the spool with nothing logged.
                LOG.error("{} delivery error: {}", sender.name(), e.toString());
                failing = true;
            }
            if (!failing) {
                backoff.reset();
                failingSinceNanos = 0;
            } else if (failingSinceNanos == 0) {
                failingSinceNanos = System.nanoTime();
            }
        }
    }

    /** After a failure: wait (backoff), then ask the destination; true once it is healthy. */
    private boolean waitUntilHealthy(Backoff backoff) throws InterruptedException {
        while (running) {
            long delay = backoff.nextDelayMillis();
            lock.lock();
            try {
                wake.await(delay, TimeUnit.MILLISECONDS);
            } finally {
                lock.unlock();
            }
            if (running && sender.healthy()) {
                LOG.info("{} is healthy again after {} attempts: resuming delivery", sender.name(), backoff.attempts());
                return true;
            }
        }
        return false;
    }

    /** Waits for records and returns up to one batch from memory; null when there is nothing. */
    private List<byte[]> takeMemoryBatch() throws InterruptedException {
        lock.lock();
        try {
            if (!running && System.nanoTime() - stopDeadlineNanos > 0) {
                return null; // out of shutdown time: stop() spools the rest
            }
            if (queue.isEmpty()) {
                if (spoolMode || !running) {
                    return null;
                }
                wake.await(1, TimeUnit.SECONDS);
                if (queue.isEmpty()) {
                    return null;
                }
            }
            // Linger so batches fill up, unless a full batch is ready or we are stopping.
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(lingerMillis);
            while (running && queue.size() < maxBatchEvents) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                wake.awaitNanos(left);
            }
            List<byte[]> batch = new ArrayList<>(Math.min(queue.size(), maxBatchEvents));
            long bytes = 0;
            while (!queue.isEmpty() && batch.size() < maxBatchEvents
                    && (batch.isEmpty() || bytes + queue.peekFirst().length < maxBatchBytes)) {
                byte[] r = queue.pollFirst();
                bytes += r.length + 1;
                batch.add(r);
            }
            return batch;
        } finally {
            lock.unlock();
        }
    }

    /** True when delivered (or refused records dead-lettered); false when the destination is failing. */
    private boolean sendFromMemory(List<byte[]> batch) {
        BatchSender.Result r = sender.send(batch);
        switch (r.outcome()) {
            case DELIVERED -> {
                delivered.addAndGet(batch.size());
                return true;
            }
            case REJECTED -> {
                int done = handleRejected(batch, r);
                delivered.addAndGet(r.accepted());
                requeueFront(batch.subList(done, batch.size()));
                return true;
            }
            default -> {
                retries.incrementAndGet();
                LOG.warn("{} delivery failed ({}): spooling {} records and retrying with backoff", sender.name(),
                        r.reason(), batch.size());
                moveToSpool(batch);
                return false;
            }
        }
    }

    private boolean spoolNeedsReplay() throws IOException {
        lock.lock();
        try {
            if (!spoolMode) {
                return false;
            }
            if (spool.isEmpty()) {
                spoolMode = false; // caught up: new records go through memory again
                LOG.info("{} spool replayed: back to direct delivery", sender.name());
                return false;
            }
            if (!spool.hasSealed()) {
                spool.seal();
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    private boolean replayOneChunk() throws IOException {
        Optional<Spool.Chunk> chunk;
        lock.lock();
        try {
            chunk = spool.read(maxBatchEvents, maxBatchBytes);
        } finally {
            lock.unlock();
        }
        if (chunk.isEmpty()) {
            return true;
        }
        List<byte[]> batch = chunk.get().records();
        BatchSender.Result r = batch.isEmpty() ? BatchSender.Result.delivered(0) : sender.send(batch);
        int done;
        switch (r.outcome()) {
            case DELIVERED -> done = batch.size();
            case REJECTED -> done = handleRejected(batch, r);
            default -> {
                retries.incrementAndGet();
                LOG.warn("{} replay failed ({}): retrying with backoff", sender.name(), r.reason());
                return false;
            }
        }
        lock.lock();
        try {
            spool.commit(chunk.get(), done);
        } finally {
            lock.unlock();
        }
        int accepted = r.outcome() == BatchSender.Outcome.DELIVERED ? done : r.accepted();
        replayed.addAndGet(accepted);
        delivered.addAndGet(accepted);
        return true;
    }

    /** Dead-letters the refused records; returns how many records of the batch are settled. */
    private int handleRejected(List<byte[]> batch, BatchSender.Result r) {
        int from = r.accepted();
        int to = Math.min(batch.size(), from + Math.max(1, r.rejected()));
        List<byte[]> refused = batch.subList(from, to);
        lock.lock();
        try {
            if (deadLetter.append(refused) && deadLetter.flush()) {
                deadLettered.addAndGet(refused.size());
            } else {
                lostSpoolFull.addAndGet(refused.size());
            }
        } finally {
            lock.unlock();
        }
        LOG.error("{} refused {} records for good ({}): moved to the dead-letter spool {}", sender.name(),
                refused.size(), r.reason(), deadLetter.dir());
        return to;
    }

    /**
     * A failed memory batch goes to the spool with everything queued behind it, in front of what
     * offer() spooled meanwhile (newer records, spooled while this batch was in flight).
     */
    private void moveToSpool(List<byte[]> batch) {
        lock.lock();
        try {
            List<byte[]> all = new ArrayList<>(batch);
            all.addAll(queue);
            queue.clear();
            spoolMode = true;
            spool.flush();
            spoolOrCount(all, true);
        } finally {
            lock.unlock();
        }
    }

    private void requeueFront(List<byte[]> records) {
        lock.lock();
        try {
            for (int i = records.size() - 1; i >= 0; i--) {
                queue.addFirst(records.get(i));
            }
        } finally {
            lock.unlock();
        }
    }

    /** Caller holds the lock. */
    private void spoolOrCount(List<byte[]> records) {
        spoolOrCount(records, false);
    }

    /** Caller holds the lock. {@code front}: before everything spooled already. */
    private void spoolOrCount(List<byte[]> records, boolean front) {
        if (front ? spool.prepend(records) : spool.append(records)) {
            spooled.addAndGet(records.size());
        } else {
            lostSpoolFull.addAndGet(records.size());
            reportLoss(false);
        }
    }

    private void reportLoss(boolean force) {
        long lost = lostSpoolFull.get();
        long now = System.nanoTime();
        if (lost > lossReported && (force || now - lastLossReport >= REPORT_INTERVAL_NANOS)) {
            LOG.error("{} sink lost {} records ({} in total): the spool {} is full (limit {} bytes) or the disk"
                    + " refuses writes; free space or raise the spool limit", sender.name(), lost - lossReported,
                    lost, spool.dir(), maxSpoolBytes);
            lossReported = lost;
            lastLossReport = now;
        }
    }

    // Counters, for tests and metrics.
    public long getDelivered() {
        return delivered.get();
    }

    public long getSpooled() {
        return spooled.get();
    }

    public long getReplayed() {
        return replayed.get();
    }

    public long getDeadLettered() {
        return deadLettered.get();
    }

    public long getLostSpoolFull() {
        return lostSpoolFull.get();
    }

    public long getRetries() {
        return retries.get();
    }

    /** How long deliveries have been failing without a success in between; 0 when they succeed. */
    public long getFailingForMillis() {
        long since = failingSinceNanos;
        return since == 0 ? 0 : (System.nanoTime() - since) / 1_000_000;
    }

    public int getQueueDepth() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    public long getSpoolBytes() {
        lock.lock();
        try {
            return spool == null ? 0 : spool.sizeBytes();
        } finally {
            lock.unlock();
        }
    }

    // Settings.
    public void setSender(BatchSender sender) {
        this.sender = sender;
    }

    public BatchSender getSender() {
        return sender;
    }

    public void setSpoolDir(String spoolDir) {
        this.spoolDir = spoolDir;
    }

    public void setQueueCapacity(int queueCapacity) {
        this.queueCapacity = queueCapacity;
    }

    public void setMaxBatchEvents(int maxBatchEvents) {
        this.maxBatchEvents = maxBatchEvents;
    }

    public void setMaxBatchBytes(long maxBatchBytes) {
        this.maxBatchBytes = maxBatchBytes;
    }

    public void setLingerMillis(long lingerMillis) {
        this.lingerMillis = lingerMillis;
    }

    public void setMaxSpoolBytes(long maxSpoolBytes) {
        this.maxSpoolBytes = maxSpoolBytes;
    }

    public void setRetryBaseMillis(long retryBaseMillis) {
        this.retryBaseMillis = retryBaseMillis;
    }

    public void setRetryMaxMillis(long retryMaxMillis) {
        this.retryMaxMillis = retryMaxMillis;
    }

    public void setShutdownTimeoutMillis(long shutdownTimeoutMillis) {
        this.shutdownTimeoutMillis = shutdownTimeoutMillis;
    }
}
