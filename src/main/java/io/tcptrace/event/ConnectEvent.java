package io.tcptrace.event;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.time.Instant;

/**
 * One active TCP open (connect) seen in the kernel. Immutable. Serialised by Jackson to the
 * documented event schema, whose names follow Splunk's Common Information Model (Network
 * Traffic and Endpoint data models) so Splunk needs no field aliases.
 *
 * @param time            wall-clock time the connect began, microsecond precision
 * @param kernelTimeNanos the same instant as CLOCK_MONOTONIC nanoseconds (for ordering and latency)
 * @param connectLatencyMicros connect start to outcome; null when the probe cannot measure it (kprobe)
 */
@JsonPropertyOrder({"time", "action", "transport", "ip_version", "src_ip", "src_port", "dest_ip", "dest_port",
        "process_id", "thread_id", "process_name", "user_id", "cgroup_id", "host", "outcome",
        "connect_latency_us", "probe"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ConnectEvent(
        @JsonSerialize(using = MicrosInstantSerializer.class) @JsonProperty("time") Instant time,
        @JsonIgnore long kernelTimeNanos,
        @JsonProperty("ip_version") int ipVersion,
        @JsonProperty("src_ip") String srcIp,
        @JsonProperty("src_port") int srcPort,
        @JsonProperty("dest_ip") String destIp,
        @JsonProperty("dest_port") int destPort,
        @JsonProperty("process_id") long processId,
        @JsonProperty("thread_id") long threadId,
        @JsonProperty("process_name") String processName,
        @JsonProperty("user_id") long userId,
        @JsonProperty("cgroup_id") long cgroupId,
        @JsonProperty("host") String host,
        @JsonProperty("outcome") Outcome outcome,
        @JsonProperty("connect_latency_us") Long connectLatencyMicros,
        @JsonProperty("probe") String probe) {

    /** Bumped on any incompatible change to the JSON form; sinks may carry it as metadata. */
    public static final int SCHEMA_VERSION = 1;

    @JsonProperty("action")
    public String action() {
        return "connect";
    }

    @JsonProperty("transport")
    public String transport() {
        return "tcp";
    }
}
