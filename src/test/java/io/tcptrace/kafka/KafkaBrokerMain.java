package io.tcptrace.kafka;

import java.io.IOException;

/**
 * Entry point of the broker's child JVM, started by {@link KafkaBroker}.
 *
 * <p>Arguments: {@code <server.properties> <cluster id>}. It formats the log directory if it is
 * not formatted yet (a restart keeps what is there), then runs {@code kafka.Kafka} as
 * {@code kafka-server-start.sh} would.
 *
 * <p>The test JVM holds the write end of this process's standard input and never writes to it:
 * end of input means the test JVM is gone (even killed with SIGKILL), and the broker halts
 * instead of outliving it with its ports and heap.
 */
public final class KafkaBrokerMain {
    private KafkaBrokerMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: KafkaBrokerMain <server.properties> <cluster id>");
            System.exit(2);
        }
        watchParent();
        String config = args[0];
        String clusterId = args[1];
        int formatted = kafka.tools.StorageTool.execute(
                new String[] {"format", "--ignore-formatted", "--cluster-id", clusterId, "--config", config},
                System.out);
        if (formatted != 0) {
            System.err.println("kafka storage format failed with " + formatted);
            System.exit(formatted);
        }
        kafka.Kafka.main(new String[] {config});
    }

    private static void watchParent() {
        Thread watcher = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // nothing is ever sent; only end of input matters
                }
            } catch (IOException ignored) {
                // a broken pipe means the same as end of input
            }
            System.err.println("test JVM gone: halting the broker");
            Runtime.getRuntime().halt(3);
        }, "parent-watch");
        watcher.setDaemon(true);
        watcher.start();
    }
}
