package io.tcptrace.process;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs a slow lookup (/proc, the cgroup tree, the user database) on a loader thread and waits for
 * it at most a fixed budget. A lookup that takes longer finishes in the background and fills its
 * cache for the next event; the caller goes on with what it knows. That bounds how long an event
 * can wait for its context, even when NSS hangs on an unreachable LDAP server.
 */
final class BoundedWait {
    private final Executor loader;
    private final long budgetNanos;
    private final AtomicLong timeouts = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();

    BoundedWait(Executor loader, long budgetNanos) {
        this.loader = loader;
        this.budgetNanos = budgetNanos;
    }

    /** The lookup's result, or null when it failed or did not finish within the budget. */
    <T> T call(Callable<T> lookup) {
        return call(lookup, () -> { });
    }

    /** As {@link #call(Callable)}; {@code ifRejected} runs when the loader refused the lookup (it never ran). */
    <T> T call(Callable<T> lookup, Runnable ifRejected) {
        FutureTask<T> task = new FutureTask<>(lookup);
        try {
            loader.execute(task);
        } catch (RejectedExecutionException e) {
            rejected.incrementAndGet();
            ifRejected.run();
            return null;
        }
        try {
            return task.get(budgetNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            timeouts.incrementAndGet();
            return null;
        } catch (ExecutionException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Runs {@code lookup} on the loader without waiting for it (to warm a cache ahead of need). */
    void submit(Runnable lookup, Runnable ifRejected) {
        try {
            loader.execute(lookup);
        } catch (RejectedExecutionException e) {
            rejected.incrementAndGet();
            ifRejected.run();
        }
    }

    /** Lookups that outlasted the budget (the event went out without their result). */
    long timeouts() {
        return timeouts.get();
    }

    /** Lookups the loader refused (its queue was full, or it is shut down). */
    long rejected() {
        return rejected.get();
    }
}
