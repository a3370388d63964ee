package io.tcptrace.app;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Optional;

/** Reads the tracer's Prometheus endpoint. */
public final class Metrics {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private Metrics() {
    }

    public static HttpResponse<String> get(TracerProcess tracer, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(tracer.managementUrl(path))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The value of one sample, by its exact name and labels as printed, e.g. {@code x_total{sink="file"}}. */
    public static Optional<Double> value(String text, String sample) {
        return text.lines().filter(l -> l.startsWith(sample + " ")).findFirst()
                .map(l -> Double.parseDouble(l.substring(sample.length() + 1).trim()));
    }

    public static void await(TracerProcess tracer, String sample, double atLeast) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (true) {
            String text = get(tracer, "/observe/metrics").body();
            double v = value(text, sample).orElse(-1.0);
            if (v >= atLeast) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(sample + " = " + v + ", wanted >= " + atLeast + "\n" + tracer.logText());
            }
            Thread.sleep(100);
        }
    }
}
