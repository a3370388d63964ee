package io.tcptrace.event;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import io.tcptrace.event.EventSchema.Field;
import io.tcptrace.process.ProcessContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.EnumMap;
import java.util.Map;

/**
 * Writes one event as one JSON object, straight from its fields with Jackson's streaming
 * generator: field names pre-encoded once, no tree, no reflection, one byte array out.
 * Not thread-safe: one instance per thread ({@link #perThread()}).
 */
public final class EventJson {
    /** The {@code time} field's form, for writers of other JSON (the stats report) and tests. */
    public static final DateTimeFormatter TIME_FORMAT =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);
    // Characters beyond the basic plane as UTF-8, not as two escaped surrogates: so a string written fresh
    // and one written from its SerializedString (which always combines them) are the same bytes.
    private static final JsonFactory FACTORY =
            JsonFactory.builder().enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8).build();
    private static final Map<Field, SerializedString> NAMES = new EnumMap<>(Field.class);
    private static final ThreadLocal<EventJson> PER_THREAD = ThreadLocal.withInitial(EventJson::new);

    static {
        for (Field f : Field.values()) {
            NAMES.put(f, new SerializedString(f.json()));
        }
    }

    // Events with a command line run past 1 KiB; a smaller first block would be followed by a new one per event.
    private final ByteArrayBuilder out = new ByteArrayBuilder(4096);
    // Per field, the last value written and, once it came twice, its encoded form. Values repeat as
    // the same String instance (constants, the host, a process's cached context, the decoder's last
    // comm and addresses): then they are copied as bytes, not escaped and encoded char by char again.
    private final String[] lastValue = new String[Field.values().length];
    private final SerializedString[] lastEncoded = new SerializedString[Field.values().length];
    private final JsonGenerator gen;
    private final char[] time = new char[27];   // yyyy-MM-ddTHH:mm:ss.uuuuuuZ
    private long timeSecond = Long.MIN_VALUE;

    private EventJson() {
        try {
            gen = FACTORY.createGenerator(out);
            // Each event is its own document: without this, every event after a thread's first began
            // with Jackson's root value separator, a space (and TIME_PREFIX = ^\{"time":" in the Splunk
            // app's props.conf did not match forwarded lines).
            gen.setRootValueSeparator(null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static EventJson perThread() {
        return PER_THREAD.get();
    }

    public byte[] write(ConnectionEvent e) {
        char[] when = time(e.timeMicros());   // before the object starts: a failure here leaves nothing half-written
        boolean whole = false;
        try {
            gen.writeStartObject();
            gen.writeFieldName(NAMES.get(Field.TIME));
            gen.writeString(when, 0, time.length);
            string(Field.EVENT_TYPE, e.type().json());
            string(Field.ACTION, e.action());
            string(Field.DIRECTION, e.direction());
            string(Field.TRANSPORT, "tcp");
            number(Field.IP_VERSION, e.ipVersion());
            string(Field.SRC_IP, e.srcIp());
            number(Field.SRC_PORT, e.srcPort());
            string(Field.DEST_IP, e.destIp());
            number(Field.DEST_PORT, e.destPort());
            if (e.destHost() != null) {
                string(Field.DEST_HOST, e.destHost());
            }
            if (e.communityId() != null) {
                gen.writeFieldName(NAMES.get(Field.COMMUNITY_ID));
                gen.writeString(e.communityId());
            }
            number(Field.PROCESS_ID, e.processId());
            number(Field.THREAD_ID, e.threadId());
            string(Field.PROCESS_NAME, e.processName());
            number(Field.USER_ID, e.userId());
            number(Field.CGROUP_ID, e.cgroupId());
            if (e.netns() != 0) {
                number(Field.NETNS, e.netns());
            }
            string(Field.HOST, e.host());
            switch (e.type()) {
                case CONNECT -> {
                    if (e.outcome() != null) {
                        string(Field.OUTCOME, e.outcome().json());
                    }
                    if (e.latencyMicros() >= 0) {
                        number(Field.CONNECT_LATENCY_US, e.latencyMicros());
                    }
                    TcpHealth h = e.health();
                    if (h != null && h.retransmits() != TcpHealth.ABSENT && (h.retransmits() > 0
                            || e.outcome() == Outcome.FAILED || e.outcome() == Outcome.REFUSED)) {
                        number(Field.SYN_RETRIES, h.retransmits());
                    }
                }
                case CLOSE, UPDATE -> {
                    gen.writeFieldName(NAMES.get(Field.DURATION));
                    gen.writeNumber(java.math.BigDecimal.valueOf(e.durationMicros(), 6));
                    if (e.preexisting()) {
                        gen.writeFieldName(NAMES.get(Field.PREEXISTING));
                        gen.writeBoolean(true);
                    }
                    number(Field.BYTES_IN, e.bytesIn());
                    number(Field.BYTES_OUT, e.bytesOut());
                    number(Field.BYTES, e.bytesIn() + e.bytesOut());
                    if (e.health() != null) {
                        health(e.health());
                    }
                }
                case ACCEPT -> { }
            }
            if (e.context() != null) {
                boundedContext(e.context());
            }
            string(Field.PROBE, e.probe());
            string(Field.VENDOR_PRODUCT_FIELD, EventSchema.VENDOR_PRODUCT);
            number(Field.SCHEMA_VERSION, EventSchema.VERSION);
            if (e.context() != null) {
                longContext(e.context());
            }
            gen.writeEndObject();
            gen.flush();
            whole = true;
            return out.toByteArray();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        } finally {
            out.reset();
            if (!whole) {
                PER_THREAD.remove(); // the generator is inside an object now: the next event gets a new one
            }
        }
    }

    /** A close's or an update's TCP counters, each only where the kernel has it. */
    private void health(TcpHealth h) throws IOException {
        millis(Field.RTT, h.rttMicros());
        millis(Field.RTT_VAR, h.rttVarMicros());
        counter(Field.RETRANSMITS, h.retransmits());
        counter(Field.PACKETS_IN, h.packetsIn());
        counter(Field.PACKETS_OUT, h.packetsOut());
    }

    private void millis(Field f, long micros) throws IOException {
        if (micros != TcpHealth.ABSENT) {
            gen.writeFieldName(NAMES.get(f));
            gen.writeNumber(java.math.BigDecimal.valueOf(micros, 3));
        }
    }

    private void counter(Field f, long value) throws IOException {
        if (value != TcpHealth.ABSENT) {
            number(f, value);
        }
    }

    /** The process context's short fields, in the schema's order, each only when known. */
    private void boundedContext(ProcessContext.Fields c) throws IOException {
        if (c.parentProcessId() > 0) {
            number(Field.PARENT_PROCESS_ID, c.parentProcessId());
        }
        optional(Field.PARENT_PROCESS_NAME, c.parentProcessName());
        optional(Field.USER, c.user());
        optional(Field.SERVICE, c.service());
        optional(Field.CONTAINER_ID, c.containerId());
        optional(Field.POD_UID, c.podUid());
        if (c.pod() != null) {
            optional(Field.K8S_NAMESPACE, c.pod().namespace());
            optional(Field.K8S_POD_NAME, c.pod().podName());
            optional(Field.K8S_CONTAINER_NAME, c.pod().containerName());
            optional(Field.K8S_WORKLOAD_KIND, c.pod().workloadKind());
            optional(Field.K8S_WORKLOAD_NAME, c.pod().workloadName());
            optional(Field.K8S_NODE_NAME, c.pod().nodeName());
        }
    }

    /** Its long fields, at the end of the event: the executable's path, the cgroup path, the command line. */
    private void longContext(ProcessContext.Fields c) throws IOException {
        optional(Field.PROCESS_PATH, c.processPath());
        optional(Field.CGROUP, c.cgroup());
        optional(Field.PROCESS, c.process());
    }

    private void optional(Field f, String value) throws IOException {
        if (value != null) {
            string(f, value);
        }
    }

    private void string(Field f, String value) throws IOException {
        gen.writeFieldName(NAMES.get(f));
        int i = f.ordinal();
        if (value == null || value != lastValue[i]) {
            lastValue[i] = value;   // encoded only if it comes again: a value that changes costs nothing more
            lastEncoded[i] = null;
            gen.writeString(value);
            return;
        }
        SerializedString encoded = lastEncoded[i];
        if (encoded == null) {
            encoded = lastEncoded[i] = new SerializedString(value);
        }
        gen.writeString(encoded);
    }

    private void number(Field f, long value) throws IOException {
        gen.writeFieldName(NAMES.get(f));
        gen.writeNumber(value);
    }

    /** ISO-8601 UTC with six fraction digits; the date and time part is reused within a second. */
    private char[] time(long epochMicros) {
        long second = Math.floorDiv(epochMicros, 1_000_000);
        if (second != timeSecond) {
            String prefix = LocalDateTime.ofEpochSecond(second, 0, ZoneOffset.UTC).toString();
            if (prefix.length() == 16) {
                prefix += ":00";   // LocalDateTime omits zero seconds
            }
            prefix.getChars(0, 19, time, 0);
            time[19] = '.';
            time[26] = 'Z';
            timeSecond = second;
        }
        int micros = (int) Math.floorMod(epochMicros, 1_000_000);
        for (int i = 25; i >= 20; i--) {
            time[i] = (char) ('0' + micros % 10);
            micros /= 10;
        }
        return time;
    }
}
