package io.tcptrace.delivery;

import io.tcptrace.ops.RateLimit;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.support.DefaultProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store-and-forward engine of one {@code delivery:} endpoint. The route thread (the kernel
 * reader) only appends, to the memory queue or the spool, and never waits for the destination.
 * One delivery thread, from Camel's ExecutorServiceManager, sends batches through the
 * {@link BatchDispatcher}. Where records go is the {@link DeliveryState}; every change of it
 * happens under {@link #lock}. Once anything is spooled, newer records are spooled behind it
 * until the spool is replayed, so order is kept. On stop, what is in memory is sent within
 * the shutdown timeout, the rest spooled; the next start replays the spool.
 */
public class DeliveryProducer extends DefaultProducer {
    private static final Logger LOG = LoggerFactory.getLogger(DeliveryProducer.class);
    // The spool's buffer is written once nothing was appended for this long (kill -9 loses at most that).
    private static final long IDLE_FLUSH_NANOS = 100_000_000L;
    private static final long TICK_MILLIS = 100;
    // A send in flight at the stop deadline gets this long to finish; then it is abandoned: its
    // records are spooled and counted at the next start as possibly sent twice.
    private static final long IN_FLIGHT_GRACE_MILLIS = 2_000;

    private final String name;
    private final DeliveryConfiguration config;
    private final DeliveryStats stats;
    private final BatchSender sender;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    // Guarded by lock.
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
    private DeliveryState state = DeliveryState.DIRECT;
    private List<byte[]> inFlight;   // a batch from memory while it is being sent
    private boolean abandoned;       // the stop deadline passed with a send in flight: its result is ignored
    private Spool spool;

    private Spool deadLetter;
    private BatchDispatcher dispatcher;
    private ExecutorService executor;
    private ScheduledExecutorService ticker;
    private LossReport lossReport;
    private int ticks;
    private final RateLimit queueFullLog = RateLimit.perMinute();
    private Future<?> loop;
    private volatile long stopDeadlineNanos;
    private volatile long failingSinceNanos; // 0 while deliveries succeed

    DeliveryProducer(DeliveryEndpoint endpoint) {
        super(endpoint);
        this.name = endpoint.getName();
        this.config = endpoint.getConfiguration();
        this.stats = endpoint.getStats();
        this.sender = config.getSender();
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        Path dir = Path.of(config.getSpoolDir());
        try {
            lossReport = new LossReport(name, stats);
            spool = new Spool(dir.resolve("spool"), config.getMaxSpoolBytes(), new SpoolLosses(stats,
                    DeliveryStats.Loss.SPOOL_FULL, DeliveryStats.Loss.SPOOL_WRITE_FAILED, lossReport));
            deadLetter = new Spool(dir.resolve("dead-letter"), config.getDeadLetterMaxBytes(), new SpoolLosses(stats,
                    DeliveryStats.Loss.DEAD_LETTER_FULL, DeliveryStats.Loss.DEAD_LETTER_FAILED, lossReport));
        } catch (IOException e) {
            throw new IllegalStateException(name + " sink cannot use spool directory " + dir + " (" + e.getMessage()
                    + "): make it writable or set the sink's spool directory");
        }
        LastRun.takeOver(name, dir, config, stats, spool, deadLetter);
        lock.lock();
        try {
            queue.clear();
            inFlight = null;
            abandoned = false;
            stopDeadlineNanos = 0;   // set again by the next doStop
            state = spool.isEmpty() ? DeliveryState.DIRECT : DeliveryState.REPLAYING;
        } finally {
            lock.unlock();
        }
        ((DeliveryComponent) getEndpoint().getComponent()).producerStarted();
        dispatcher = new BatchDispatcher(name, sender, deadLetter, stats, config.getMaxBatchEvents(),
                config.getMaxBatchBytes());
        sender.start(getEndpoint().getCamelContext());
        executor = getEndpoint().getCamelContext().getExecutorServiceManager()
                .newSingleThreadExecutor(this, "delivery-" + name);
        loop = executor.submit(this::deliverLoop);
        ticker = getEndpoint().getCamelContext().getExecutorServiceManager()
                .newSingleThreadScheduledExecutor(this, "delivery-tick-" + name);
        ticker.scheduleWithFixedDelay(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Override
    protected void doStop() throws Exception {
        if (loop != null) {
            long deadline = stopDeadline();
            lock.lock();
            try {
                wake.signalAll();
            } finally {
                lock.unlock();
            }
            long waitMillis = Math.max(0, (deadline - System.nanoTime()) / 1_000_000) + IN_FLIGHT_GRACE_MILLIS;
            boolean ended = false;
            try {
                loop.get(waitMillis, TimeUnit.MILLISECONDS);
                ended = true;
            } catch (TimeoutException e) {
                abandonSend();
            } catch (Exception e) {
                LOG.error("{} delivery thread ended with {}", name, e.toString());
                ended = true;
            }
            if (ended) {
                getEndpoint().getCamelContext().getExecutorServiceManager().shutdownGraceful(executor, 1000);
            } else {
                // The send may never return (a socket read that ignores the interrupt): do not wait for it.
                getEndpoint().getCamelContext().getExecutorServiceManager().shutdownNow(executor);
            }
            loop = null;
        }
        if (ticker != null) {
            getEndpoint().getCamelContext().getExecutorServiceManager().shutdownNow(ticker);
            ticker = null;
        }
        lock.lock();
        try {
            if (!queue.isEmpty()) {
                List<byte[]> rest = new ArrayList<>(queue);
                queue.clear();
                // In SPOOLING, what is still in memory came before what offer() spooled: in front of it.
                spoolOrCount(rest, true);
                LOG.info("{}: {} undelivered records spooled at shutdown, replayed on next start", name, rest.size());
            }
            if (spool != null) {
                spool.close();
            }
        } finally {
            lock.unlock();
        }
        if (deadLetter != null) {
            deadLetter.close();
        }
        sender.stop();
        RunMarker.end(Path.of(config.getSpoolDir()));
        super.doStop();
    }

    /**
     * When sending must be done, once the producer or the whole application is stopping; 0 before.
     * Camel stops this endpoint only after the routes' in-flight exchanges ended, so the clock
     * starts when the delivery thread first sees the application stopping (it looks at least once a
     * second), and all endpoints share it (DeliveryComponent).
     */
    private long stopDeadline() {
        long d = stopDeadlineNanos;
        if (d == 0 && (isStoppingOrStopped() || getEndpoint().getCamelContext().isStopping())) {
            d = ((DeliveryComponent) getEndpoint().getComponent()).stopDeadlineNanos(config.getShutdownTimeoutMillis());
            stopDeadlineNanos = d;
        }
        return d;
    }

    /** What a sender waiting for its destination may ask and say. */
    private final BatchSender.Waiting waiting = new BatchSender.Waiting() {
        @Override
        public void failing(String reason) {
            DeliveryProducer.this.failing(reason);
        }

        @Override
        public long stopDeadlineNanos() {
            return stopDeadline();
        }
    };

    /**
     * The stop deadline passed with a send still waiting for the destination: its records go to the
     * front of the spool, marked as possibly delivered (ReplayMark), so the next start sends them
     * again and counts them; whatever the send later answers is ignored.
     */
    private void abandonSend() {
        lock.lock();
        try {
            abandoned = true;
            Path dir = Path.of(config.getSpoolDir());
            if (inFlight != null) {
                List<byte[]> batch = inFlight;
                inFlight = null;
                List<byte[]> rest = new ArrayList<>(batch); // older than what memory still holds
                rest.addAll(queue);
                queue.clear();
                spoolOrCount(rest, true);
                ReplayMark.sending(dir, batch.size());
                LOG.warn("{}: a send of {} records still waited for the destination at the stop deadline: they are"
                        + " spooled and sent again at the next start, which counts them as possibly stored twice",
                        name, batch.size());
            } else {
                LOG.warn("{}: a send of spooled records still waited for the destination at the stop deadline: the"
                        + " next start sends them again and counts them as possibly stored twice", name);
            }
        } finally {
            lock.unlock();
        }
        loop.cancel(true);
    }

    @Override
    public void process(Exchange exchange) {
        Message m = exchange.getMessage();
        offer(m.getBody(byte[].class));
    }

    /**
     * Takes one record without ever waiting for the destination, nor for the delivery thread's
     * disk reads and writes, which it never makes while holding {@link #lock}: in DIRECT into
     * memory; otherwise into the spool's buffer, which this thread writes when it is full and the
     * tick when it was left idle.
     */
    void offer(byte[] record) {
        lock.lock();
        try {
            if (state == DeliveryState.DIRECT) {
                if (queue.size() < config.getQueueCapacity()) {
                    queue.addLast(record);
                    if (queue.size() == 1 || queue.size() >= dispatcher.cutEvents()) {
                        wake.signal();
                    }
                    return;
                }
                long times = queueFullLog.add(1);
                if (times > 0) {
                    LOG.warn("{} memory queue full ({} records): spooling to disk until {} catches up ({} times since"
                            + " last said)", name, config.getQueueCapacity(), name, times);
                }
                state = DeliveryState.SPOOLING;
            }
            spoolOrCount(List.of(record), false);
        } finally {
            lock.unlock();
        }
    }

    /** Every 100 ms: write the spool's buffer when it was left idle; say losses once their minute is over. */
    private void tick() {
        try {
            spool.flushIfIdle(IDLE_FLUSH_NANOS);
            deadLetter.flushIfIdle(IDLE_FLUSH_NANOS);
            if (++ticks % 10 == 0) {
                lossReport.tick();
            }
        } catch (RuntimeException e) {
            LOG.warn("{} spool flush: {}", name, e.toString()); // a scheduled task that throws is never run again
        }
    }

    private void deliverLoop() {
        Backoff backoff = new Backoff(config.getRetryBaseMillis(), config.getRetryMaxMillis());
        connect();
        while (true) {
            boolean ok;
            try {
                DeliveryState now = state();
                if (now == DeliveryState.FAILING) {
                    if (!awaitHealthy(backoff)) {
                        return; // stopping: doStop spools what is left in memory
                    }
                    continue;
                }
                List<byte[]> batch = takeMemoryBatch(now);
                if (batch != null) {
                    ok = sendFromMemory(batch);
                } else if (now != DeliveryState.DIRECT && stopDeadline() == 0) {
                    ok = replayOneChunk(); // on stop the spool waits for the next start
                } else if (isStoppingOrStopped()) {
                    return;
                } else {
                    if (now != DeliveryState.DIRECT) {
                        pause(); // the application is stopping: the spool waits for the next start
                    }
                    continue;
                }
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException | Error e) {
                // Never let the thread die quietly (an OutOfMemoryError once did): every later
                // record would wait in the spool with nothing logged.
                LOG.error("{} delivery error: {}", name, e.toString());
                enter(DeliveryState.FAILING);
                ok = false;
            }
            if (ok) {
                backoff.reset();
                failingSinceNanos = 0;
                lock.lock();
                try {
                    if (state == DeliveryState.FAILING) {
                        state = DeliveryState.REPLAYING; // failing() during a send that then succeeded
                    }
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    /** Waits up to 100 ms for new records or the producer's stop. */
    private void pause() throws InterruptedException {
        lock.lock();
        try {
            wake.await(100, TimeUnit.MILLISECONDS);
        } finally {
            lock.unlock();
        }
    }

    /** Before the first send: a destination that does not answer puts the sink in FAILING at once. */
    private void connect() {
        BatchDispatcher.Sent c;
        try {
            c = dispatcher.connect();
        } catch (RuntimeException e) {
            c = new BatchDispatcher.Sent(0, e.toString());
        }
        if (!c.complete()) {
            failing(c.failure());
        }
    }

    /**
     * The sender knows its send is failing while it still waits (Kafka: no broker connected): from
     * now on records go to the spool, with what memory holds, and the sink counts as failing,
     * instead of both waiting for the send's own timeout.
     */
    private void failing(String reason) {
        List<byte[]> rest = List.of();
        lock.lock();
        try {
            markFailing();
            if (state == DeliveryState.DIRECT || state == DeliveryState.SPOOLING) {
                int held = queue.size();
                rest = new ArrayList<>(queue);
                queue.clear();
                state = DeliveryState.FAILING;
                if (held > 0) {
                    LOG.warn("{}: {}: {} records moved from memory to the spool, new ones are spooled until it"
                            + " recovers", name, reason, held);
                } else {
                    LOG.warn("{}: {}: records are spooled until it recovers", name, reason);
                }
            }
        } finally {
            lock.unlock();
        }
        spoolOrCount(rest, true); // older than what offer() spools from now on: in front of it
    }

    /** After a failure: wait (backoff), then ask the destination; true once it is healthy. */
    private boolean awaitHealthy(Backoff backoff) throws InterruptedException {
        while (!isStoppingOrStopped()) {
            long delay = backoff.nextDelayMillis();
            lock.lock();
            try {
                wake.await(delay, TimeUnit.MILLISECONDS); // woken early by stop only
            } finally {
                lock.unlock();
            }
            if (!isStoppingOrStopped() && sender.healthy()) {
                LOG.info("{} is healthy again after {} attempts: replaying the spool", name, backoff.attempts());
                enter(DeliveryState.REPLAYING);
                return true;
            }
        }
        return false;
    }

    /** Up to one batch from memory, after lingering so it fills up in DIRECT; null when there is none. */
    private List<byte[]> takeMemoryBatch(DeliveryState now) throws InterruptedException {
        lock.lock();
        try {
            long stopAt = stopDeadline();
            if (stopAt != 0 && System.nanoTime() - stopAt > 0) {
                return null; // out of shutdown time: doStop spools the rest
            }
            if (queue.isEmpty()) {
                if (now != DeliveryState.DIRECT || isStoppingOrStopped()) {
                    return null;
                }
                wake.await(1, TimeUnit.SECONDS);
                if (queue.isEmpty()) {
                    return null;
                }
            }
            int events = dispatcher.cutEvents();
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.getLingerMillis());
            while (!isStoppingOrStopped() && state == DeliveryState.DIRECT && queue.size() < events) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                wake.awaitNanos(left);
            }
            long maxBytes = dispatcher.cutBytes();
            List<byte[]> batch = new ArrayList<>(Math.min(queue.size(), events));
            long bytes = 0;
            while (!queue.isEmpty() && batch.size() < events
                    && (batch.isEmpty() || bytes + queue.peekFirst().length + 1 <= maxBytes)) {
                byte[] r = queue.pollFirst();
                bytes += r.length + 1;
                batch.add(r);
            }
            return batch;
        } finally {
            lock.unlock();
        }
    }

    /** True when the batch is settled; otherwise it goes to the spool with all queued behind it. */
    private boolean sendFromMemory(List<byte[]> batch) {
        lock.lock();
        try {
            inFlight = batch;
        } finally {
            lock.unlock();
        }
        BatchDispatcher.Sent sent;
        try {
            sent = dispatcher.send(batch, false, waiting);
        } catch (RuntimeException | Error e) {
            sent = new BatchDispatcher.Sent(0, e.toString()); // the batch is spooled below, not dropped
        }
        lock.lock();
        try {
            if (abandoned) {
                return false; // doStop spooled the batch
            }
            inFlight = null;
        } finally {
            lock.unlock();
        }
        if (sent.complete()) {
            return true;
        }
        List<byte[]> rest = new ArrayList<>(batch.subList(sent.settled(), batch.size()));
        LOG.warn("{} delivery failed ({}): spooling {} records and retrying with backoff", name, sent.failure(),
                rest.size());
        lock.lock();
        try {
            rest.addAll(queue);
            queue.clear();
            state = DeliveryState.FAILING;
            markFailing();
        } finally {
            lock.unlock();
        }
        // In front of what offer() spooled while this batch was in flight: those are newer.
        spoolOrCount(rest, true);
        return false;
    }

    /** Sends the oldest spooled chunk; back to DIRECT once memory and spool are empty. */
    private boolean replayOneChunk() throws IOException {
        Optional<Spool.Chunk> chunk;
        lock.lock();
        try {
            if (spool.isEmpty() && queue.isEmpty()) {
                state = DeliveryState.DIRECT;
                LOG.info("{} spool replayed: back to direct delivery", name);
                return true;
            }
        } finally {
            lock.unlock();
        }
        // The spool's reading end is this thread's alone: no lock held over its disk I/O.
        if (!spool.hasSealed() && !spool.trySeal()) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000); // the kernel reader is appending: next round
            return true;
        }
        chunk = spool.read(dispatcher.cutEvents(), dispatcher.cutBytes());
        if (chunk.isEmpty()) {
            return true;
        }
        List<byte[]> records = chunk.get().records();
        Path dir = Path.of(config.getSpoolDir());
        if (!records.isEmpty()) {
            ReplayMark.sending(dir, records.size());
        }
        BatchDispatcher.Sent sent = records.isEmpty() ? new BatchDispatcher.Sent(0, null)
                : dispatcher.send(records, true, waiting);
        lock.lock();
        try {
            if (abandoned) {
                return false; // the mark stays: the next start counts the chunk as possibly sent twice
            }
        } finally {
            lock.unlock();
        }
        spool.commit(chunk.get(), sent.settled());
        ReplayMark.sent(dir);
        if (sent.complete()) {
            return true;
        }
        LOG.warn("{} replay failed ({}): retrying with backoff", name, sent.failure());
        enter(DeliveryState.FAILING);
        return false;
    }

    private void enter(DeliveryState next) {
        lock.lock();
        try {
            state = next;
            if (next == DeliveryState.FAILING) {
                markFailing();
            }
        } finally {
            lock.unlock();
        }
    }

    private void markFailing() {
        if (failingSinceNanos == 0) {
            failingSinceNanos = System.nanoTime();
        }
    }

    /** Spools records (in front of everything spooled: {@code front}); what the spool refuses it counts lost itself. */
    private void spoolOrCount(List<byte[]> records, boolean front) {
        if (records.isEmpty()) {
            return;
        }
        if (front ? spool.prepend(records) : spool.append(records)) {
            stats.spooled(records.size());
        }
    }

    DeliveryState state() {
        lock.lock();
        try {
            return state;
        } finally {
            lock.unlock();
        }
    }

    int queueDepth() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    long spoolBytes() {
        lock.lock();
        try {
            return spool == null ? 0 : spool.sizeBytes();
        } finally {
            lock.unlock();
        }
    }

    /** Why the destination refuses this sink's configuration, while it does; null otherwise. */
    String misconfiguration() {
        return dispatcher == null ? null : dispatcher.misconfigured();
    }

    long failingForMillis() {
        long since = failingSinceNanos;
        return since == 0 ? 0 : (System.nanoTime() - since) / 1_000_000;
    }
}
