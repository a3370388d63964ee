package io.tcptrace.sink;

import io.tcptrace.camel.BccConstants;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import org.apache.camel.Message;

/**
 * Formats events as a live table in the style of BCC's tcpconnect and tcplife, one row per
 * connect, accept or close. Reads the consumer's headers, which answer from the event (the body
 * is already JSON by the time it reaches a sink). The column heading comes first.
 */
public class ConsoleTable {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS")
            .withZone(ZoneId.systemDefault());
    private static final int PROCESS_WIDTH = 32;
    private static final String FORMAT = "%-12s %-7s %-7s %-" + PROCESS_WIDTH + "s %-2s %-30s %-30s %-11s %s";
    static final String HEADING = String.format(FORMAT, "TIME", "TYPE", "PID", "PROCESS", "IP", "SOURCE",
            "DESTINATION", "OUTCOME", "LAT(ms) or DUR(s) OUT/IN bytes");
    private boolean headingPrinted;

    /** One table row, preceded by the heading on the first call. */
    public synchronized String row(Message m) {
        String type = m.getHeader(BccConstants.EVENT_TYPE, String.class);
        Long latency = m.getHeader(BccConstants.LATENCY_MICROS, Long.class);
        String detail = latency == null ? "-" : String.format("%.3f", latency / 1000.0);
        Long duration = m.getHeader(BccConstants.DURATION_MICROS, Long.class);
        if (duration != null) {
            detail = String.format("%.3f %d/%d", duration / 1e6, m.getHeader(BccConstants.BYTES_OUT, Long.class),
                    m.getHeader(BccConstants.BYTES_IN, Long.class));
        }
        String row = String.format(FORMAT,
                TIME.format(Instant.EPOCH.plusNanos(m.getHeader(BccConstants.TIME, Long.class) * 1000)),
                type,
                m.getHeader(BccConstants.PID, Long.class),
                process(m),
                m.getHeader(BccConstants.IP_VERSION, Integer.class),
                endpoint(m.getHeader(BccConstants.SRC_IP, String.class), m.getHeader(BccConstants.SRC_PORT, Integer.class)),
                endpoint(m.getHeader(BccConstants.DEST_IP, String.class),
                        m.getHeader(BccConstants.DEST_PORT, Integer.class)),
                m.getHeader(BccConstants.OUTCOME, "-", String.class),
                detail);
        if (headingPrinted) {
            return row;
        }
        headingPrinted = true;
        return HEADING + System.lineSeparator() + row;
    }

    /** The executable's path when known (its end, when too long: the name is what tells), else the comm. */
    private static String process(Message m) {
        String path = m.getHeader(BccConstants.PROCESS_PATH, String.class);
        if (path == null) {
            return m.getHeader(BccConstants.PROCESS_NAME, String.class);
        }
        return path.length() <= PROCESS_WIDTH ? path : "..." + path.substring(path.length() - PROCESS_WIDTH + 3);
    }

    private static String endpoint(String ip, Integer port) {
        return ip.indexOf(':') >= 0 ? "[" + ip + "]:" + port : ip + ":" + port;
    }
}
