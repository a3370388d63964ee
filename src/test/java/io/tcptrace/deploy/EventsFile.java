package io.tcptrace.deploy;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tcptrace.KernelTestSupport;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

/** The events file a tracer writes, read by a test that made a connection and waits for its events. */
final class EventsFile {
    private static final ObjectMapper JSON = new ObjectMapper();

    private EventsFile() {
    }

    /** A loopback connection from this JVM: listen, connect, accept, 5 bytes, close. Returns the port. */
    static int connectOnce() throws IOException {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                Socket accepted = server.accept()) {
            client.getOutputStream().write("hello".getBytes());
            accepted.getInputStream().readNBytes(5);
            return server.getLocalPort();
        }
    }

    /** The first event of this type to this port, waiting up to 10 s; fails with {@code log}. */
    static JsonNode await(Path file, String eventType, int destPort, Supplier<String> log) throws Exception {
        long deadline = System.nanoTime() + KernelTestSupport.scaled(10_000) * 1_000_000L;
        while (System.nanoTime() < deadline) {
            if (Files.exists(file)) {
                List<String> lines = Files.readAllLines(file);
                for (String line : lines) {
                    JsonNode e = JSON.readTree(line);
                    if (eventType.equals(e.path("event_type").asText()) && e.path("dest_port").asInt() == destPort) {
                        return e;
                    }
                }
            }
            Thread.sleep(50);
        }
        return fail("no " + eventType + " event to port " + destPort + " in " + file + "; log:\n" + log.get());
    }
}
