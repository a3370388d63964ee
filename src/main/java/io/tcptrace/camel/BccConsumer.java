package io.tcptrace.camel;

import io.tcptrace.event.ConnectEvent;
import io.tcptrace.kernel.ConnectTracer;
import io.tcptrace.kernel.KernelCounters;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.Suspendable;
import org.apache.camel.support.DefaultConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one poll thread per consumer. Start compiles and attaches the BPF program; each kernel
 * batch becomes exchanges processed synchronously on the poll thread, so the kernel buffer is
 * the only queue and back-pressure is visible as kernel loss, which is counted. Suspend
 * detaches the probes and resume re-attaches them. Stop detaches, then delivers what the
 * buffer still holds before freeing it: nothing already in the kernel buffer is dropped.
 */
public class BccConsumer extends DefaultConsumer implements Suspendable {
    private static final Logger LOG = LoggerFactory.getLogger(BccConsumer.class);
    private static final long COUNTER_READ_INTERVAL_NANOS = 200_000_000L;
    private static final long STOP_TIMEOUT_SECONDS = 30;

    private final BccEndpoint endpoint;
    private volatile boolean running;
    private volatile ConnectTracer tracer;
    private ExecutorService executor;
    private Future<?> loop;
    private long lastCounterRead;
    private long lastWarnNanos;
    private long lostAtLastWarn;

    public BccConsumer(BccEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        this.endpoint = endpoint;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        tracer = ConnectTracer.open(endpoint.tracerConfig(), Path.of(endpoint.getCacheDir()),
                endpoint.resolvedHostName(), this::deliver);
        running = true;
        ConnectTracer t = tracer;
        endpoint.attachedBy(() -> running && t.attached());
        executor = endpoint.getCamelContext().getExecutorServiceManager()
                .newSingleThreadExecutor(this, "bcc-" + endpoint.getProgram() + "-poll");
        loop = executor.submit(this::pollLoop);
    }

    @Override
    protected void doStop() throws Exception {
        running = false;
        if (loop != null) {
            try {
                loop.get(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } finally {
                endpoint.getCamelContext().getExecutorServiceManager().shutdown(executor);
                loop = null;
            }
        }
        super.doStop();
    }

    @Override
    protected void doSuspend() {
        tracer.detach();
    }

    @Override
    protected void doResume() {
        tracer.attach();
    }

    private void pollLoop() {
        ConnectTracer t = tracer;
        try {
            while (running) {
                try {
                    t.poll(endpoint.getPollTimeout());
                    checkLost(false);
                } catch (RuntimeException e) {
                    getExceptionHandler().handleException("polling the kernel buffer failed", e);
                    pause();
                }
            }
            // Stop: no new events once detached; then deliver what is already buffered.
            t.detach();
            t.drain();
            checkLost(true);
            LOG.info("bcc:{} stopped after {} events from the kernel, {} lost in the kernel", endpoint.getProgram(),
                    endpoint.getReceivedTotal(), endpoint.getLostTotal());
        } catch (Throwable e) {
            getExceptionHandler().handleException("bcc consumer stopped abnormally", e);
        } finally {
            t.close();
        }
    }

    private void deliver(List<ConnectEvent> batch) {
        int last = batch.size() - 1;
        Long lost = endpoint.getLostTotal();
        for (int i = 0; i <= last; i++) {
            Exchange exchange = createExchange(false);
            fill(exchange.getMessage(), batch.get(i), lost, i == last);
            try {
                getProcessor().process(exchange);
            } catch (Exception e) {
                exchange.setException(e);
            }
            if (exchange.getException() != null) {
                getExceptionHandler().handleException("processing a connect event failed", exchange,
                        exchange.getException());
            }
            releaseExchange(exchange, false);
        }
        endpoint.receivedCounter().addAndGet(batch.size());
    }

    private static void fill(Message m, ConnectEvent e, Long lostTotal, boolean batchEnd) {
        m.setBody(e);
        m.setHeader(BccConstants.PID, e.processId());
        m.setHeader(BccConstants.TID, e.threadId());
        m.setHeader(BccConstants.PROCESS_NAME, e.processName());
        m.setHeader(BccConstants.UID, e.userId());
        m.setHeader(BccConstants.IP_VERSION, e.ipVersion());
        m.setHeader(BccConstants.SRC_IP, e.srcIp());
        m.setHeader(BccConstants.SRC_PORT, e.srcPort());
        m.setHeader(BccConstants.DEST_IP, e.destIp());
        m.setHeader(BccConstants.DEST_PORT, e.destPort());
        m.setHeader(BccConstants.TIME, e.time());
        if (e.outcome() != null) {
            m.setHeader(BccConstants.OUTCOME, e.outcome().json());
            m.setHeader(BccConstants.LATENCY_MICROS, e.connectLatencyMicros());
        }
        m.setHeader(BccConstants.LOST_TOTAL, lostTotal);
        if (batchEnd) {
            m.setHeader(BccConstants.BATCH_END, Boolean.TRUE);
        }
    }

    /** Reads the kernel loss counters at most every 200 ms and warns at most once per lostWarnInterval. */
    private void checkLost(boolean force) {
        long now = System.nanoTime();
        if (!force && now - lastCounterRead < COUNTER_READ_INTERVAL_NANOS) {
            return;
        }
        lastCounterRead = now;
        KernelCounters c = tracer.counters();
        endpoint.kernelCounters(c);
        endpoint.lostTotalCounter().set(c.lost());
        long unreported = c.lost() - lostAtLastWarn;
        if (unreported > 0 && (force || now - lastWarnNanos >= endpoint.getLostWarnInterval() * 1_000_000L)) {
            LOG.warn("{} connect events lost in the kernel since the last report ({} total: {} with the buffer full,"
                    + " {} untracked with the pending map full): raise bufferPages or pendingMax", unreported,
                    c.lost(), c.lostBufferFull(), c.lostUntracked());
            lostAtLastWarn = c.lost();
            lastWarnNanos = now;
        }
    }

    private void pause() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }
}
