package io.tcptrace.bench;

import java.util.concurrent.atomic.AtomicLong;

/** Peak VmRSS of a process while it runs, sampled every 50 ms (VmHWM would also count start-up). */
final class RssSampler {
    private final AtomicLong peakKb = new AtomicLong();
    private final Thread thread;

    RssSampler(long pid) {
        thread = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peakKb.accumulateAndGet(ProcStat.rssKb(pid), Math::max);
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "rss-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    /** The peak in MB. */
    double stop() throws InterruptedException {
        thread.interrupt();
        thread.join();
        return peakKb.get() / 1024.0;
    }
}
