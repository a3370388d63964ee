package io.tcptrace.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.KernelTestSupport;
import io.tcptrace.bcc.CallerTgid;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * In the host's pid namespace the kernel's answer is getpid(); OwnPidNamespaceTest has the tracer
 * in a namespace of its own, where the two differ.
 */
class OwnProcessTest {

    @Test
    void theKernelKnowsThisProcessByItsPidInTheHostsNamespace() {
        KernelTestSupport.requireKernel();
        assertTrue(OwnProcess.inInitialPidNamespace(), "the tests run in the host's pid namespace");
        OptionalLong kernel = CallerTgid.query();
        assertEquals(OptionalLong.of(ProcessHandle.current().pid()), kernel, "BPF_PROG_TEST_RUN in this task");
        assertEquals(ProcessHandle.current().pid(), OwnProcess.tgid());
        assertTrue(OwnProcess.procShowsKernelPids());
    }
}
