package io.tcptrace.bench;

import java.io.IOException;

/** One tracer measured by the benchmark, running as its own process while the load runs. */
interface TracerUnderTest extends AutoCloseable {
    String name();

    long pid();

    /** Events the tracer itself says it lost so far (kernel buffer full and the like); read before {@link #stop()}. */
    long lost() throws Exception;

    /** Stops it the way its user would, so that everything it recorded is written out. */
    void stop() throws Exception;

    /** Records it wrote about connections to or from this port; after {@link #stop()}. */
    long records(int port) throws IOException;

    /** Kills it if still running. */
    @Override
    void close();
}
