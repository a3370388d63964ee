package io.tcptrace.delivery;

/**
 * Where a spool's losses are counted: the sink's one ledger ({@link DeliveryStats}), under the
 * reasons that fit the spool (the dead-letter spool's are {@code dead_letter_full} and
 * {@code dead_letter_failed}), and said by the sink's {@link LossReport}.
 */
record SpoolLosses(DeliveryStats stats, DeliveryStats.Loss full, DeliveryStats.Loss writeFailed, LossReport report) {

    /** A spool on its own (tests, tools): its own ledger and report, named by its directory. */
    static SpoolLosses standalone(String name) {
        DeliveryStats stats = new DeliveryStats();
        return new SpoolLosses(stats, DeliveryStats.Loss.SPOOL_FULL, DeliveryStats.Loss.SPOOL_WRITE_FAILED,
                new LossReport(name, stats));
    }

    void count(DeliveryStats.Loss reason, long records) {
        if (records > 0) {
            stats.lost(reason, records);
            report.lost();
        }
    }
}
