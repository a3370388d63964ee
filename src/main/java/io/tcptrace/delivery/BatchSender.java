package io.tcptrace.delivery;

import java.util.List;
import org.apache.camel.CamelContext;

/**
 * Sends one batch of records to a destination (Splunk HEC, Kafka, an HTTP service of your own).
 * A {@code delivery:} endpoint calls it from its one delivery thread, so an implementation needs
 * no locking. Implementations never throw: every outcome is a {@link Result}. The sender is a
 * plain bean; it gets the Camel context in {@link #start} and builds whatever it sends with
 * (a ProducerTemplate, an HTTP client...) there.
 */
public interface BatchSender {

    Result send(List<byte[]> batch);

    /**
     * As {@link #send(List)}, for a sender that can tell while it waits that the destination is
     * already failing (Kafka: no broker connected, while its client holds the batch until its
     * delivery timeout): it calls {@code waiting.failing(reason)} then, so the producer reports
     * the failure and spools new records at once instead of after the wait.
     */
    default Result send(List<byte[]> batch, Waiting waiting) {
        return send(batch);
    }

    /** What a sender may say and ask from inside {@link #send(List, Waiting)}. */
    interface Waiting {
        /** The send is failing already (told once): spool new records and report the failure now. */
        void failing(String reason);

        /**
         * When the application's stop must be done sending ({@link System#nanoTime()}), 0 while it
         * is not stopping: a sender that can end its wait early (give up the batch, which is then
         * spooled and counted as possibly sent twice) does so at this time.
         */
        default long stopDeadlineNanos() {
            return 0;
        }
    }

    /**
     * Called once on the delivery thread before the first send: connect and say whether the
     * destination answers, so "ready" and failures are known before the first record. A
     * {@link Outcome#DELIVERED} of 0 records means it answers; any other result is handled as a
     * failed send (spool, backoff, health).
     */
    default Result connect() {
        return Result.delivered(0);
    }

    /** Whether the destination says it can take data again (HEC's health endpoint, a broker connected...). */
    boolean healthy();

    /** Called when the delivery endpoint's producer starts, once per start: open clients, log "ready". */
    default void start(CamelContext context) {
    }

    /** Called when the producer stops, after its last send. */
    default void stop() {
    }

    /** What happened to a batch. */
    enum Outcome {
        /** Every record is delivered. */
        DELIVERED,
        /** Nothing was delivered and trying again later may work: connection error, 429, 5xx, busy. */
        RETRY,
        /**
         * No answer in time: the destination may have stored the batch anyway, so sending it again may
         * store it twice. Retried like {@link #RETRY}, with smaller batches, and counted.
         */
        TIMED_OUT,
        /** The batch is too large for the destination (HTTP 413): send it again in smaller parts. */
        TOO_LARGE,
        /**
         * The destination refuses every record because of this sink's configuration (a token it
         * does not accept, a wrong address, an index the token may not write): nothing is wrong
         * with the records, so they wait in the spool, the sink reports the cause at once (health
         * DOWN) and delivery resumes by itself when the destination accepts again.
         */
        MISCONFIGURED,
        /**
         * The destination refused records for good (bad token, bad data, an unexpected 4xx): those go
         * to the dead-letter spool. {@link Result#accepted()} records at the start of the batch were
         * delivered; {@link Result#rejected()} records after them were refused; any after those were
         * not looked at and are sent again.
         */
        REJECTED
    }

    /**
     * @param accepted records at the head of the batch that were delivered
     * @param rejected records right after those that were refused for good (REJECTED only)
     * @param reason   for logs: never contains a secret
     */
    record Result(Outcome outcome, int accepted, int rejected, String reason) {
        public static Result delivered(int n) {
            return new Result(Outcome.DELIVERED, n, 0, "ok");
        }

        public static Result retry(String reason) {
            return new Result(Outcome.RETRY, 0, 0, reason);
        }

        public static Result timedOut(String reason) {
            return new Result(Outcome.TIMED_OUT, 0, 0, reason);
        }

        public static Result tooLarge(String reason) {
            return new Result(Outcome.TOO_LARGE, 0, 0, reason);
        }

        /** {@code reason} names the refusal and the setting to check; never a secret. */
        public static Result misconfigured(String reason) {
            return new Result(Outcome.MISCONFIGURED, 0, 0, reason);
        }

        public static Result rejected(int accepted, int rejected, String reason) {
            return new Result(Outcome.REJECTED, accepted, rejected, reason);
        }
    }
}
