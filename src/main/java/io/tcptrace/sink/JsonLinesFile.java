package io.tcptrace.sink;

import io.tcptrace.camel.BccConstants;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file sink's writer: appends each exchange body (one JSON object) as a line, keeps the file
 * open, and flushes at the end of every kernel batch, so a line is on disk well within a
 * second of the connect. The file rotates when it reaches {@code maxBytes} or the UTC day
 * changes: {@code tcp-connect.jsonl} becomes {@code tcp-connect-2026-11-24.1.jsonl} and a
 * fresh file starts. Write failures (disk full, file removed) never stop the route: the lines
 * not written are counted and reported at most once a minute.
 *
 * <p>Declared as a bean in routes/sink-file.yaml, with {@link #open()} as its init method.
 */
public class JsonLinesFile implements Processor {
    private static final Logger LOG = LoggerFactory.getLogger(JsonLinesFile.class);
    private static final long REPORT_INTERVAL_NANOS = 60_000_000_000L;

    private String path = "data/tcp-connect.jsonl";
    private long maxBytes = 100L * 1024 * 1024;
    private boolean rotateDaily = true;
    private Clock clock = Clock.systemUTC();

    private Path file;
    private OutputStream out;
    private long size;
    private LocalDate day;
    private long dayEndsMillis;
    private long unflushedLines;
    private long written;
    private long lost;
    private long lostReported;
    private long lastReport;
    private String lastError;
    private boolean announced;

    /**
     * Checks that the output can be written (creating directories), so a bad path stops start-up
     * with one clear line. The file itself is opened on the first event: camel-main pre-parses YAML
     * routes and builds their beans twice, and only the registered instance writes.
     */
    public synchronized void open() {
        file = Path.of(path).toAbsolutePath();
        try {
            Files.createDirectories(file.getParent());
            Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND).close();
        } catch (IOException | SecurityException e) {
            throw new IllegalStateException("file sink cannot write " + file + " (" + describe(e)
                    + "): set TCPTRACE_FILE to a writable path");
        }
        startDay();
    }

    /** A Processor, not a bean method: no reflective parameter binding per event. */
    @Override
    public void process(Exchange exchange) {
        write(exchange);
    }

    /** Appends the body as one line. Called on the poll thread, one exchange at a time. */
    public synchronized void write(Exchange exchange) {
        byte[] line = exchange.getMessage().getBody(byte[].class);
        try {
            if (out == null) {
                reopen();
            }
            rotateIfDue(line.length + 1);
            out.write(line);
            out.write('\n');
            size += line.length + 1;
            unflushedLines++;
            if (exchange.getMessage().getHeader(BccConstants.BATCH_END, false, Boolean.class)) {
                flush();
            }
        } catch (IOException e) {
            failed(e);
        }
    }

    public synchronized void flush() throws IOException {
        if (out != null && unflushedLines > 0) {
            out.flush();
            written += unflushedLines;
            unflushedLines = 0;
        }
    }

    /** Flushes and closes; the bean's destroy method. */
    public synchronized void close() {
        try {
            flush();
            if (out != null) {
                out.close();
            }
        } catch (IOException e) {
            failed(e);
        } finally {
            out = null;
            report(true);
        }
    }

    /** Per event only a size check and a clock read: the date is worked out when the day ends. */
    private void rotateIfDue(int nextLine) throws IOException {
        boolean full = size > 0 && size + nextLine > maxBytes;
        boolean newDay = rotateDaily && clock.millis() >= dayEndsMillis;
        if (!full && !newDay) {
            return;
        }
        flush();
        out.close();
        out = null;
        Files.move(file, rotatedName(day));
        reopen();
        startDay();
    }

    private void startDay() {
        day = LocalDate.now(clock);
        dayEndsMillis = day.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    }

    private Path rotatedName(LocalDate fileDay) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        String ext = dot > 0 ? name.substring(dot) : "";
        for (int n = 1; ; n++) {
            Path candidate = file.resolveSibling(stem + "-" + fileDay + "." + n + ext);
            if (!Files.exists(candidate)) {
                return candidate;
            }
        }
    }

    private void reopen() throws IOException {
        Files.createDirectories(file.getParent());
        out = new BufferedOutputStream(Files.newOutputStream(file, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND, StandardOpenOption.WRITE), 1 << 16);
        size = Files.size(file);
        if (!announced) {
            announced = true;
            LOG.info("file sink writing JSON lines to {}", file);
        }
    }

    /** The lines in the failed buffer are gone: count them, drop the stream, retry on the next line. */
    private void failed(IOException e) {
        lost += unflushedLines;
        unflushedLines = 0;
        try {
            if (out != null) {
                out.close();
            }
        } catch (IOException ignored) {
            // the stream is broken already; the loss is counted above
        }
        out = null;
        lastError = describe(e);
        report(false);
    }

    /** One ERROR at most a minute, with the latest cause: a full disk fails every single line. */
    private void report(boolean force) {
        long now = System.nanoTime();
        if (lost > lostReported && (force || lostReported == 0 || now - lastReport >= REPORT_INTERVAL_NANOS)) {
            LOG.error("file sink lost {} events writing {} ({} in total; {}): free disk space or fix the path",
                    lost - lostReported, file, lost, lastError);
            lostReported = lost;
            lastReport = now;
        }
    }

    private static String describe(Exception e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    public synchronized long getWritten() {
        return written;
    }

    public synchronized long getLost() {
        return lost;
    }

    public String getPath() {
        return path;
    }

    public void setPath(String path) {
        this.path = path;
    }

    public long getMaxBytes() {
        return maxBytes;
    }

    public void setMaxBytes(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    public boolean isRotateDaily() {
        return rotateDaily;
    }

    public void setRotateDaily(boolean rotateDaily) {
        this.rotateDaily = rotateDaily;
    }

    void setClock(Clock clock) {
        this.clock = clock;
    }
}
