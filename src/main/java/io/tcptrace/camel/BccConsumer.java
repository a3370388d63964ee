package io.tcptrace.camel;

import io.tcptrace.event.ConnectionEvent;
import io.tcptrace.kernel.ConnectTracer;
import io.tcptrace.kernel.KernelCounters;
import io.tcptrace.names.NameCounters;
import io.tcptrace.kernel.TracerConfiguration;
import io.tcptrace.process.ProcessContext;
import io.tcptrace.process.ProcessProbes;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.Suspendable;
import org.apache.camel.spi.ThreadPoolProfile;
import org.apache.camel.util.concurrent.ThreadPoolRejectedPolicy;
import org.apache.camel.support.DefaultConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one poll thread per consumer. Start compiles and attaches the BPF program; each batch
 * read from the kernel buffer becomes exchanges processed synchronously on the poll thread (never
 * inside a native callback), so the kernel buffer is the only queue and back-pressure shows as
 * kernel loss, which is counted. The kernel's counters are read on a clock, once a second,
 * whatever the poll thread is doing, so a loss is visible while it happens. Suspend detaches the
 * probes, resume re-attaches them; stop detaches, then delivers what the buffer still holds.
 *
 * <p>Owns the runtime state: events read, lost, processing failures, probes attached; its
 * health check ({@link BccHealthCheck}) reports them.
 */
public class BccConsumer extends DefaultConsumer implements Suspendable {
    private static final Logger LOG = LoggerFactory.getLogger(BccConsumer.class);
    private static final long STOP_TIMEOUT_SECONDS = 30;

    private final BccEndpoint endpoint;
    private final TracerConfiguration config;
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong processingFailures = new AtomicLong();
    private final PollPriority priority;
    private volatile boolean running;
    private volatile ConnectTracer tracer;
    private volatile KernelCounters kernelCounters = KernelCounters.NONE;
    private volatile ProcessContext processContext;
    private ExecutorService executor;
    private ExecutorService processLoader;
    private ScheduledExecutorService clock;
    private Future<?> loop;
    private long lastWarnNanos;
    private long lostAtLastWarn;
    private long lastProcessWarnNanos;
    private long processLostAtLastWarn;
    private volatile NameCounters nameCounters;
    private long lastNamesWarnNanos;
    private long namesLostAtLastWarn;
    private long lastFailureLogNanos;
    private volatile long lastFailureNanos;

    public BccConsumer(BccEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        this.endpoint = endpoint;
        this.config = endpoint.getConfiguration().copy();
        this.priority = new PollPriority(config.isBoostPriority());
        setHealthCheck(new BccHealthCheck(this));
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        var threads = endpoint.getCamelContext().getExecutorServiceManager();
        if (config.isProcessContext()) {
            processLoader = threads.newThreadPool(this, "bcc-" + endpoint.getProgram() + "-process-context",
                    processLoaderProfile());
        }
        try {
            tracer = ConnectTracer.open(config, this::deliver, processLoader);
        } catch (RuntimeException e) {
            if (processLoader != null) {
                threads.shutdownNow(processLoader);
                processLoader = null;
            }
            throw e;
        }
        processContext = tracer.processContext();
        running = true;
        executor = threads.newSingleThreadExecutor(this, "bcc-" + endpoint.getProgram() + "-poll");
        clock = threads.newSingleThreadScheduledExecutor(this, "bcc-" + endpoint.getProgram() + "-counters");
        clock.scheduleAtFixedRate(() -> readCounters(false), 1, 1, TimeUnit.SECONDS);
        long sweep = tracer.sweepPeriodMillis();
        if (sweep > 0) {
            // nothing is due before one interval has passed: the first sweep (which also has the
            // kernel verify its program) waits that long, away from the start and its first burst
            clock.scheduleWithFixedDelay(this::sweepUpdates, config.getUpdateInterval() * 1000L, sweep,
                    TimeUnit.MILLISECONDS);
        }
        loop = executor.submit(this::pollLoop);
    }

    @Override
    protected void doStop() throws Exception {
        running = false;
        try {
            if (loop != null) {
                loop.get(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            }
        } finally {
            var threads = endpoint.getCamelContext().getExecutorServiceManager();
            if (clock != null) {
                threads.shutdown(clock);
            }
            if (executor != null) {
                threads.shutdown(executor);
            }
            if (processLoader != null) {
                // a lookup hanging in the user database must not hold the stop up
                threads.shutdownNow(processLoader);
                processLoader = null;
            }
            loop = null;
            super.doStop();
        }
    }

    @Override
    protected synchronized void doSuspend() {
        // under the lock the poll loop takes to hand the tracer over to close(): never a closed module
        ConnectTracer t = tracer;   // null once the poll loop has ended
        if (t != null) {
            t.detach();
        }
    }

    @Override
    protected synchronized void doResume() {
        ConnectTracer t = tracer;
        if (t != null) {
            t.attach();   // also empties the socket maps: see ConnectTracer.attach
        }
    }

    /**
     * One thread for the process context's slow lookups, with a bounded queue: a lookup it cannot
     * take is refused and counted (the event goes out with what is known), never queued without end.
     */
    private static ThreadPoolProfile processLoaderProfile() {
        ThreadPoolProfile p = new ThreadPoolProfile("bcc-process-context");
        p.setPoolSize(1);
        p.setMaxPoolSize(1);
        p.setMaxQueueSize(1024);
        p.setRejectedPolicy(ThreadPoolRejectedPolicy.Abort);
        return p;
    }

    private void pollLoop() {
        ConnectTracer t = tracer;
        priority.enter();
        try {
            while (running) {
                try {
                    t.poll(config.getPollTimeout());
                    priority.adjust(t.bufferFill());
                } catch (RuntimeException e) {
                    getExceptionHandler().handleException("polling the kernel buffer failed", e);
                    pause();
                }
            }
            // Stop: no new events once detached; then deliver what is already buffered.
            t.detach();
            t.drain();
            readCounters(true);
            LOG.info("bcc:{} stopped after {} events from the kernel, {} lost in the kernel", endpoint.getProgram(),
                    received.get(), kernelCounters.lost());
        } catch (Throwable e) {
            getExceptionHandler().handleException("bcc consumer stopped abnormally", e);
        } finally {
            // readCounters (the clock thread) holds this lock while it uses the tracer's maps:
            // take the tracer away under it, so nothing reads a map being closed.
            synchronized (this) {
                tracer = null;
            }
            t.close();
        }
    }

    /** One exchange per event; a failing exchange is counted and logged, the rest of the batch goes on. */
    private void deliver(List<ConnectionEvent> batch) {
        int last = batch.size() - 1;
        long lost = kernelCounters.lost();
        var context = endpoint.getCamelContext();
        for (int i = 0; i <= last; i++) {
            Exchange exchange = createExchange(false);
            exchange.setIn(new BccMessage(context, batch.get(i), lost, i == last));
            try {
                getProcessor().process(exchange);
            } catch (Exception e) {
                exchange.setException(e);
            }
            if (exchange.getException() != null) {
                failed(exchange);
            }
            releaseExchange(exchange, false);
        }
        received.addAndGet(batch.size());
    }

    private void failed(Exchange exchange) {
        long n = processingFailures.incrementAndGet();
        long now = System.nanoTime();
        lastFailureNanos = now;
        if (n == 1 || now - lastFailureLogNanos >= config.getLostWarnInterval() * 1_000_000L) {
            lastFailureLogNanos = now;
            getExceptionHandler().handleException("processing a bcc event failed (" + n + " failed so far; the"
                    + " events after it are still delivered)", exchange, exchange.getException());
        }
    }

    /** Reads the kernel's counters (on the clock, and once more at stop) and warns at most once per lostWarnInterval. */
    private synchronized void readCounters(boolean force) {
        ConnectTracer t = tracer;
        if (t == null) {
            return;
        }
        KernelCounters c;
        try {
            c = t.counters();
        } catch (RuntimeException e) {
            return;   // unloaded under us at stop: the final read on the poll thread has the figures
        }
        kernelCounters = c;
        long now = System.nanoTime();
        long unreported = c.lost() - lostAtLastWarn;
        if (unreported > 0 && (force || now - lastWarnNanos >= config.getLostWarnInterval() * 1_000_000L)) {
            LOG.warn("{} events lost in the kernel since the last report ({} total: {} with the buffer full, {} connects"
                    + " untracked with the pending map full, {} closes untracked with the connection map full, {}"
                    + " malformed): raise bufferPages, pendingMax or connMax, or give the tracer more CPU", unreported,
                    c.lost(), c.lostBufferFull(), c.lostUntracked(), c.lostConnFull(), c.malformed());
            lostAtLastWarn = c.lost();
            lastWarnNanos = now;
        }
        long processUnreported = c.lostProcess() + c.lostProcessArgs() - processLostAtLastWarn;
        if (processUnreported > 0 && (force || now - lastProcessWarnNanos >= config.getLostWarnInterval() * 1_000_000L)) {
            LOG.warn("{} process records lost in the kernel since the last report ({} with the buffer full, {} command"
                    + " lines with more than {} execs in flight): those processes' events carry what /proc still"
                    + " tells, or no process context; raise bufferPages or give the tracer more CPU",
                    processUnreported, c.lostProcess(), c.lostProcessArgs(), ProcessProbes.EXEC_ARGS_MAX);
            processLostAtLastWarn = c.lostProcess() + c.lostProcessArgs();
            lastProcessWarnNanos = now;
        }
        warnOfLostNames(t.nameCounters(), force, now);
    }

    /**
     * On the clock: the kernel writes update records for connections open past the update
     * interval. Under the lock the poll loop takes to close the tracer, and not while suspended
     * (detached, the connection map may hold sockets that closed unseen). A failed sweep delays
     * those updates to the next one: counted and logged at most once per lostWarnInterval.
     */
    private synchronized void sweepUpdates() {
        ConnectTracer t = tracer;
        if (t == null || isSuspendingOrSuspended()) {
            return;
        }
        try {
            t.sweepUpdates();
            sweeps.incrementAndGet();
        } catch (RuntimeException e) {
            long n = failedSweeps.incrementAndGet();
            long now = System.nanoTime();
            if (n == 1 || now - lastSweepWarnNanos >= config.getLostWarnInterval() * 1_000_000L) {
                lastSweepWarnNanos = now;
                LOG.warn("the sweep for update events failed ({} so far; open connections get their update at a later"
                        + " sweep or their close): {}", n, e.getMessage());
            }
        }
    }

    /** Sweeps for update events done (0 with updates off). */
    public long getSweeps() {
        return sweeps.get();
    }

    /** Sweeps for update events that failed (their updates come at a later sweep). */
    public long getFailedSweeps() {
        return failedSweeps.get();
    }

    private void pause() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    private final AtomicLong sweeps = new AtomicLong();
    private final AtomicLong failedSweeps = new AtomicLong();
    private long lastSweepWarnNanos;

    /** Events read from the kernel and handed to the route. */
    public long getReceivedTotal() {
        return received.get();
    }

    /** The kernel's loss and filter counters, as last read (at most about a second old while running). */
    /**
     * DNS answers or names dropped since the last report (each may leave a connection without
     * dest_host): one WARN at most once per lostWarnInterval, with the counts by cause.
     */
    private void warnOfLostNames(NameCounters n, boolean force, long now) {
        if (n == null) {
            return;
        }
        nameCounters = n;
        long unreported = n.lost() - namesLostAtLastWarn;
        if (unreported > 0 && (force || now - lastNamesWarnNanos >= config.getLostWarnInterval() * 1_000_000L)) {
            LOG.warn("{} DNS answers or destination names dropped since the last report ({} answers with the ring buffer"
                    + " full, {} too long or over several TCP segments, {} unreadable; {} names evicted from the full cache,"
                    + " {} from the full table of open connections): those connections carry no dest_host; raise"
                    + " tcptrace.dest-host-cache-entries or -cache-mb, conn-max or bufferPages", unreported,
                    n.lostBufferFull(), n.truncated(), n.unreadable(), n.cacheEvicted(), n.connectionsEvicted());
            namesLostAtLastWarn = n.lost();
            lastNamesWarnNanos = now;
        }
    }

    /** What destination naming saw and dropped, as of the last counter read; null when dest_host is off. */
    public NameCounters getNameCounters() {
        return nameCounters;
    }

    public KernelCounters getKernelCounters() {
        return kernelCounters;
    }

    /** Exchanges that ended with an exception (the route failed on them). */
    public long getProcessingFailures() {
        return processingFailures.get();
    }

    /** System.nanoTime() of the last failed exchange. */
    public long getLastFailureNanos() {
        return lastFailureNanos;
    }

    /** The process context's cache and lookup counters; null when processContext=false. */
    public ProcessContext.Stats getProcessContextStats() {
        ProcessContext c = processContext;
        return c == null ? null : c.stats();
    }

    /** Whether the probes are attached right now. */
    public boolean isAttached() {
        ConnectTracer t = tracer;
        return running && t != null && t.attached() && !isSuspended();
    }

    /** How full the kernel buffer is, 0 to 1. */
    public double getBufferFill() {
        ConnectTracer t = tracer;
        return t == null ? 0 : t.bufferFill();
    }

    /** Times the poll thread raised its priority because the buffer filled. */
    public long getPriorityBoosts() {
        return priority.boosts();
    }
}
