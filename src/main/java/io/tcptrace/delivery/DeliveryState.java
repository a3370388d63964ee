package io.tcptrace.delivery;

/**
 * Where new records go and what the delivery thread does. One value, changed under the
 * producer's lock, instead of flags that have to agree.
 *
 * <pre>
 * DIRECT    --memory queue full-------------------> SPOOLING
 * DIRECT    --send failed---------------------------> FAILING
 * SPOOLING  --send failed---------------------------> FAILING
 * FAILING   --destination healthy-------------------> REPLAYING
 * REPLAYING --send failed---------------------------> FAILING
 * SPOOLING, REPLAYING --memory and spool empty------> DIRECT
 * </pre>
 */
public enum DeliveryState {
    /** New records go to the memory queue; the thread sends batches from it. */
    DIRECT,
    /** The memory queue overflowed (a slow destination): new records go to the spool behind it; the thread sends memory, then the spool. */
    SPOOLING,
    /** The destination failed: new records go to the spool; the thread backs off and asks the destination's health. */
    FAILING,
    /** The destination is healthy again: new records still go to the spool; the thread sends it, oldest first. */
    REPLAYING;
}
