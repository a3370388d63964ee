package io.tcptrace;

import org.apache.camel.test.junit5.CamelTestSupport;

/**
 * A Camel test on the real kernel: root and libbcc are checked before the context (and with it
 * the bcc: consumer) starts, so a missing one fails under ./tcptrace test instead of erroring.
 */
public abstract class KernelCamelTestSupport extends CamelTestSupport {
    /** The bcc: endpoints' header cache, shared by all tests. */
    protected static final String CACHE_DIR = System.getProperty("java.io.tmpdir") + "/tcptrace-test-cache";
    /** The probe mode of this test run (-Dtcptrace.test.probe), as the bcc: endpoint option's value. */
    protected static final String PROBE = KernelTestSupport.probe().name().toLowerCase();

    @Override
    protected void setupResources() throws Exception {
        KernelTestSupport.requireKernel();
        super.setupResources();
    }
}
