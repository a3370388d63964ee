package io.tcptrace.sink;

import io.tcptrace.camel.BccConstants;
import io.tcptrace.ops.FileModes;
import io.tcptrace.ops.RateLimit;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
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
 * open, and writes at the end of every kernel batch (and whenever its 64 KiB buffer fills), so
 * a line is on disk well within a second of the connect. The file rotates when it reaches
 * {@code maxBytes} or the UTC day changes: {@code tcp-connect.jsonl} becomes
 * {@code tcp-connect-2026-11-24.1.jsonl} and a fresh file starts. Files are created 0640 and
 * directories 0750, whatever the umask ({@link FileModes}).
 *
 * <p>Write failures (disk full, file removed) never stop the route. Every line is counted once:
 * {@link #getWritten()} when the write that carried it succeeded, {@link #getLost()} when it
 * failed; a write cut short is cut back to the last whole line, so the file holds exactly the
 * written lines. Losses are reported at most once a minute.
 *
 * <p>Declared as a bean in routes/sink-file.yaml, with {@link #open()} as its init method.
 */
public class JsonLinesFile implements Processor, org.apache.camel.CamelContextAware {
    private static final Logger LOG = LoggerFactory.getLogger(JsonLinesFile.class);
    private static final int BUFFER_BYTES = 1 << 16;
    /** Lines wait at most this long for a batch's end before they are written anyway. */
    static final long FLUSH_INTERVAL_MILLIS = 1000;

    private String path = "data/tcp-connect.jsonl";
    private long maxBytes = 100L * 1024 * 1024;
    private boolean rotateDaily = true;
    private Clock clock = Clock.systemUTC();

    private Path file;
    private FileChannel out;
    private long diskSize;        // bytes of the file that writes put there
    private byte[] buffer;        // lines not written yet; allocated on the first line
    private int bufferBytes;
    private int bufferLines;
    private LocalDate day;
    private long dayEndsMillis;
    private long written;
    private long lost;
    private final RateLimit lossLog = RateLimit.perMinute();
    private long lostNoted;
    private String lastError;
    private boolean announced;
    private org.apache.camel.CamelContext camelContext;
    private java.util.concurrent.ScheduledExecutorService flusher;

    /**
     * Checks that the output can be written (creating directories), so a bad path stops start-up
     * with one clear line. The file is kept open from the first event: camel-main pre-parses YAML
     * routes and builds their beans twice, and only the registered instance writes.
     */
    public synchronized void open() {
        file = Path.of(path).toAbsolutePath();
        try {
            FileModes.createDirectories(file.getParent(), FileModes.SHARED_DIR);
            FileModes.openAppend(file, FileModes.SHARED_FILE).close();
            diskSize = Files.size(file);
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
        if (flusher == null && camelContext != null) {
            startFlusher();
        }
        byte[] line = exchange.getMessage().getBody(byte[].class);
        try {
            rotateIfDue(line.length + 1);
        } catch (IOException e) {
            failed(e); // the old file stays in use; the line goes on below
        }
        if (bufferBytes + line.length + 1 > BUFFER_BYTES) {
            flush();
        }
        if (line.length + 1 > BUFFER_BYTES) {
            writeAlone(line);
        } else {
            if (buffer == null) {
                buffer = new byte[BUFFER_BYTES];
            }
            System.arraycopy(line, 0, buffer, bufferBytes, line.length);
            buffer[bufferBytes + line.length] = '\n';
            bufferBytes += line.length + 1;
            bufferLines++;
        }
        if (exchange.getMessage().getHeader(BccConstants.BATCH_END, false, Boolean.class)) {
            flush();
        }
    }

    /** The flusher's second: what is buffered, and losses of the last minute not said yet. */
    private synchronized void tick() {
        flush();
        long say = lossLog.due();
        if (say > 0) {
            LOG.error("file sink lost {} events writing {} ({} in total; {}): free disk space or fix the path", say,
                    file, lost, lastError);
        }
    }

    /** Writes the buffered lines; false (and they are counted as lost) when the file system refuses. */
    public synchronized boolean flush() {
        if (bufferLines == 0) {
            return true;
        }
        try {
            writeOut(ByteBuffer.wrap(buffer, 0, bufferBytes));
        } catch (IOException e) {
            failed(e);
            return false;
        }
        diskSize += bufferBytes;
        written += bufferLines;
        bufferBytes = 0;
        bufferLines = 0;
        return true;
    }

    /**
     * Lines are written at a batch's end ({@link BccConstants#BATCH_END}); a route step that drops
     * that exchange (a filter) would leave them waiting for the next batch, possibly for good. So
     * what is buffered is also written every second, by a thread from Camel's executor manager,
     * started with the first line (camel-main builds a YAML route's beans twice; only the
     * registered one writes).
     */
    private void startFlusher() {
        flusher = camelContext.getExecutorServiceManager().newSingleThreadScheduledExecutor(this, "file-sink-flush");
        flusher.scheduleWithFixedDelay(this::tick, FLUSH_INTERVAL_MILLIS, FLUSH_INTERVAL_MILLIS,
                java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    @Override
    public void setCamelContext(org.apache.camel.CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    @Override
    public org.apache.camel.CamelContext getCamelContext() {
        return camelContext;
    }

    /** Writes what is buffered and closes; the bean's destroy method. */
    public synchronized void close() {
        if (flusher != null) {
            camelContext.getExecutorServiceManager().shutdown(flusher);
            flusher = null;
        }
        flush();
        closeChannel();
        report(true);
    }

    /** A line longer than the buffer: its own write, after the buffer's. */
    private void writeAlone(byte[] line) {
        try {
            writeOut(ByteBuffer.wrap(line), ByteBuffer.wrap(new byte[] {'\n'}));
        } catch (IOException e) {
            lost++;
            failed(e);
            return;
        }
        diskSize += line.length + 1;
        written++;
    }

    private void writeOut(ByteBuffer... parts) throws IOException {
        if (out == null) {
            reopen();
        }
        long left = 0;
        for (ByteBuffer b : parts) {
            left += b.remaining();
        }
        while (left > 0) {
            left -= out.write(parts);
        }
    }

    /** Per event only a size check and a clock read: the date is worked out when the day ends. */
    private void rotateIfDue(int nextLine) throws IOException {
        long size = diskSize + bufferBytes;
        boolean full = size > 0 && size + nextLine > maxBytes;
        boolean newDay = rotateDaily && clock.millis() >= dayEndsMillis;
        if (!full && !newDay) {
            return;
        }
        flush();
        closeChannel();
        if (Files.exists(file)) {
            Files.move(file, rotatedName(day));
        }
        diskSize = 0;
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
        FileModes.createDirectories(file.getParent(), FileModes.SHARED_DIR);
        out = FileModes.openAppend(file, FileModes.SHARED_FILE);
        diskSize = out.size();
        if (!announced) {
            announced = true;
            LOG.info("file sink writing JSON lines to {}", file);
        }
    }

    /**
     * The lines in the buffer did not reach the disk: count them, cut a partly written line back
     * off the file, drop the channel (the next line opens it again) and report.
     */
    private void failed(IOException e) {
        lost += bufferLines;
        bufferBytes = 0;
        bufferLines = 0;
        if (out != null) {
            try {
                if (out.size() > diskSize) {
                    out.truncate(diskSize);
                }
            } catch (IOException ignored) {
                // cannot cut back (a device such as /dev/full): nothing was appended to cut
            }
        }
        closeChannel();
        lastError = describe(e);
        report(false);
    }

    private void closeChannel() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException ignored) {
                // a channel's close writes nothing
            }
            out = null;
        }
    }

    /**
     * One ERROR at the first loss, then at most one a minute with the sum since (also when no more
     * come: the flusher asks every second), the rest at close: a full disk fails every single line.
     */
    private void report(boolean force) {
        long say = lossLog.add(lost - lostNoted);
        lostNoted = lost;
        if (force && say < 0) {
            say = lossLog.rest();
        }
        if (say > 0) {
            LOG.error("file sink lost {} events writing {} ({} in total; {}): free disk space or fix the path", say,
                    file, lost, lastError);
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
