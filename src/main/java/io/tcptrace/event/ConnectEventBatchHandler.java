package io.tcptrace.event;

import java.util.List;

/**
 * Receives decoded events in batches on the poll thread. The list is reused after the call
 * returns: keep the events, not the list.
 */
@FunctionalInterface
public interface ConnectEventBatchHandler {
    void onBatch(List<ConnectEvent> events);
}
