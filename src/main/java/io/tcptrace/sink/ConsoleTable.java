package io.tcptrace.sink;

import io.tcptrace.camel.BccConstants;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import org.apache.camel.Message;

/**
 * Formats events as a live table in the style of BCC's tcpconnect, from the consumer's headers
 * (the body is already JSON by the time it reaches a sink). The column heading comes first.
 */
public class ConsoleTable {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS")
            .withZone(ZoneId.systemDefault());
    static final String HEADING = String.format("%-12s %-7s %-16s %-2s %-25s %-25s %-5s %-11s %s",
            "TIME", "PID", "COMM", "IP", "SADDR", "DADDR", "DPORT", "OUTCOME", "LAT(ms)");
    private boolean headingPrinted;

    /** One table row, preceded by the heading on the first call. */
    public synchronized String row(Message m) {
        Long latency = m.getHeader(BccConstants.LATENCY_MICROS, Long.class);
        String row = String.format("%-12s %-7d %-16s %-2d %-25s %-25s %-5d %-11s %s",
                TIME.format(m.getHeader(BccConstants.TIME, Instant.class)),
                m.getHeader(BccConstants.PID, Long.class),
                m.getHeader(BccConstants.PROCESS_NAME, String.class),
                m.getHeader(BccConstants.IP_VERSION, Integer.class),
                m.getHeader(BccConstants.SRC_IP, String.class),
                m.getHeader(BccConstants.DEST_IP, String.class),
                m.getHeader(BccConstants.DEST_PORT, Integer.class),
                m.getHeader(BccConstants.OUTCOME, "-", String.class),
                latency == null ? "-" : String.format("%.3f", latency / 1000.0));
        if (headingPrinted) {
            return row;
        }
        headingPrinted = true;
        return HEADING + System.lineSeparator() + row;
    }
}
