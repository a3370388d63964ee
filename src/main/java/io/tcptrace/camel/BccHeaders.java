package io.tcptrace.camel;

import io.tcptrace.event.ConnectionEvent;
import java.util.AbstractMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The headers map of a {@code bcc:} message. Reading a {@code CamelBcc*} header answers from the
 * event, without building a map; anything else (a write, an unknown name, iterating, copying)
 * first turns it into Camel's usual case-insensitive map holding every header, once.
 */
final class BccHeaders extends AbstractMap<String, Object> {
    private final ConnectionEvent event;
    private final long lostTotal;
    private final boolean batchEnd;
    private final Supplier<Map<String, Object>> camelMap;
    private Map<String, Object> map;

    BccHeaders(ConnectionEvent event, long lostTotal, boolean batchEnd, Supplier<Map<String, Object>> camelMap) {
        this.event = event;
        this.lostTotal = lostTotal;
        this.batchEnd = batchEnd;
        this.camelMap = camelMap;
    }

    @Override
    public Object get(Object key) {
        if (map != null) {
            return map.get(key);
        }
        // A bcc header, present or absent (BATCH_END on most events), is answered without the map.
        if (key instanceof String name) {
            if (isBccName(name)) {
                return value(name);
            }
            if (!name.regionMatches(true, 0, "CamelBcc", 0, 8)) {
                return null; // nothing but bcc headers exists before the first write
            }
        }
        return materialize().get(key);
    }

    @Override
    public boolean containsKey(Object key) {
        return get(key) != null;
    }

    @Override
    public boolean isEmpty() {
        return map != null && map.isEmpty();
    }

    @Override
    public int size() {
        return materialize().size();
    }

    @Override
    public Object put(String key, Object value) {
        return materialize().put(key, value);
    }

    @Override
    public Object remove(Object key) {
        return materialize().remove(key);
    }

    /** Camel clears the headers when it recycles a pooled exchange: no need to build them first. */
    @Override
    public void clear() {
        if (map == null) {
            map = camelMap.get();
        } else {
            map.clear();
        }
    }

    @Override
    public Set<Entry<String, Object>> entrySet() {
        return materialize().entrySet();
    }

    /** True while every header is still answered from the event (nothing written, nothing copied out). */
    boolean fromEventOnly() {
        return map == null;
    }

    private Map<String, Object> materialize() {
        if (map == null) {
            Map<String, Object> m = camelMap.get();
            for (String name : NAMES) {
                Object v = value(name);
                if (v != null) {
                    m.put(name, v);
                }
            }
            map = m;
        }
        return map;
    }

    private static final String[] NAMES = {BccConstants.EVENT_TYPE, BccConstants.DIRECTION, BccConstants.PID,
        BccConstants.TID, BccConstants.PROCESS_NAME, BccConstants.PROCESS_PATH, BccConstants.SERVICE,
        BccConstants.CONTAINER_ID, BccConstants.NETNS, BccConstants.UID, BccConstants.IP_VERSION, BccConstants.SRC_IP,
        BccConstants.SRC_PORT, BccConstants.DEST_IP, BccConstants.DEST_PORT, BccConstants.DEST_HOST, BccConstants.TIME, BccConstants.OUTCOME,
        BccConstants.LATENCY_MICROS, BccConstants.DURATION_MICROS, BccConstants.BYTES_IN, BccConstants.BYTES_OUT,
        BccConstants.LOST_TOTAL, BccConstants.BATCH_END};

    /** Exact names only; other spellings go through Camel's case-insensitive map. */
    private static boolean isBccName(String name) {
        return name.startsWith("CamelBcc") && BCC_NAMES.contains(name);
    }

    private static final java.util.Set<String> BCC_NAMES = java.util.Set.of(NAMES);

    /** The header's value from the event; null when absent or not a bcc header (exact names only). */
    private Object value(String name) {
        ConnectionEvent e = event;
        return switch (name) {
            case BccConstants.EVENT_TYPE -> e.type().json();
            case BccConstants.DIRECTION -> e.direction();
            case BccConstants.PID -> e.processId();
            case BccConstants.TID -> e.threadId();
            case BccConstants.PROCESS_NAME -> e.processName();
            case BccConstants.PROCESS_PATH -> e.context() == null ? null : e.context().processPath();
            case BccConstants.SERVICE -> e.context() == null ? null : e.context().service();
            case BccConstants.CONTAINER_ID -> e.context() == null ? null : e.context().containerId();
            case BccConstants.NETNS -> e.netns() == 0 ? null : e.netns();
            case BccConstants.UID -> e.userId();
            case BccConstants.IP_VERSION -> e.ipVersion();
            case BccConstants.SRC_IP -> e.srcIp();
            case BccConstants.SRC_PORT -> e.srcPort();
            case BccConstants.DEST_IP -> e.destIp();
            case BccConstants.DEST_PORT -> e.destPort();
            case BccConstants.DEST_HOST -> e.destHost();
            case BccConstants.TIME -> e.timeMicros();
            case BccConstants.OUTCOME -> e.outcome() == null ? null : e.outcome().json();
            case BccConstants.LATENCY_MICROS -> e.latencyMicros() < 0 ? null : e.latencyMicros();
            case BccConstants.DURATION_MICROS -> e.durationMicros() < 0 ? null : e.durationMicros();
            case BccConstants.BYTES_IN -> e.durationMicros() < 0 ? null : e.bytesIn();
            case BccConstants.BYTES_OUT -> e.durationMicros() < 0 ? null : e.bytesOut();
            case BccConstants.LOST_TOTAL -> lostTotal;
            case BccConstants.BATCH_END -> batchEnd ? Boolean.TRUE : null;
            default -> null;
        };
    }
}
