package io.tcptrace.delivery;

import java.util.List;

/**
 * Sends one batch of records to a destination (Splunk HEC, Kafka...). Called by one
 * {@link StoreAndForward} thread at a time. Implementations never throw: every outcome is a
 * {@link Result}.
 */
public interface BatchSender {

    Result send(List<byte[]> batch);

    /** Whether the destination says it can take data again (HEC's health endpoint, a broker reachable...). */
    boolean healthy();

    /** Short name for logs and metrics, e.g. "splunk". */
    String name();

    /** Called once delivery really starts (in the running application): the place for "ready" log lines. */
    default void onStart() {
    }

    /** What happened to a batch. */
    enum Outcome {
        /** Every record is delivered. */
        DELIVERED,
        /** Nothing (more) was delivered and trying again later may work: connection error, 429, 5xx, busy. */
        RETRY,
        /**
         * The destination refused records for good (bad token, bad data): those go to the dead-letter
         * spool. {@link Result#accepted()} records at the start of the batch were delivered;
         * {@link Result#rejected()} records after them were refused; any after those were not looked at
         * and are sent again.
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

        public static Result rejected(int accepted, int rejected, String reason) {
            return new Result(Outcome.REJECTED, accepted, rejected, reason);
        }
    }
}
