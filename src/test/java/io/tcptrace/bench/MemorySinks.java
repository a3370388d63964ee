package io.tcptrace.bench;

import io.tcptrace.kafka.KafkaBroker;
import io.tcptrace.splunk.StrictHecServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The network sinks' other ends for {@code MEM_SINKS=file,splunk,kafka bench/memory.sh}: the
 * tests' strict HEC server and a Kafka broker (child JVM) with a topic, in their own process so
 * that they do not count in the tracer's memory. Writes the tracer's environment (one
 * {@code NAME=value} a line) to the file named by the argument, then runs until its standard
 * input ends (the script closes it, or dies).
 */
public final class MemorySinks {
    private MemorySinks() {
    }

    public static void main(String[] args) throws Exception {
        try {
            run(Path.of(args[0]));
        } catch (Throwable e) {
            e.printStackTrace();
            System.exit(1); // the HEC server's threads would keep a failed start alive
        }
    }

    private static void run(Path envFile) throws Exception {
        AtomicLong indexed = new AtomicLong();
        StrictHecServer hec = StrictHecServer.withTokens(BenchHec.TOKEN).start();
        hec.setIndexListener(e -> indexed.incrementAndGet()); // counted, not kept
        KafkaBroker kafka = new KafkaBroker();
        kafka.start();
        kafka.createTopic("memory", 3);
        Path tmp = envFile.resolveSibling(envFile.getFileName() + ".tmp");
        Files.writeString(tmp, "SPLUNK_HEC_URL=" + hec.url() + "\nSPLUNK_HEC_TOKEN=" + BenchHec.TOKEN
                + "\nKAFKA_BROKERS=" + kafka.bootstrapServers() + "\nKAFKA_TOPIC=memory\n");
        Files.move(tmp, envFile);
        Thread forget = new Thread(() -> {
            while (true) {
                try {
                    Thread.sleep(2000);
                } catch (InterruptedException e) {
                    return;
                }
                hec.clearRecorded(); // the recorded requests (bodies) of hundreds of thousands of events
            }
        }, "forget");
        forget.setDaemon(true);
        forget.start();
        while (System.in.read() >= 0) {
            // only end of input matters
        }
        kafka.close();
        hec.close();
        System.exit(0); // Kafka client threads are not daemons
    }
}
