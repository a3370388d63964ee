package io.tcptrace.bcc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.KernelTestSupport;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** libbcc's LLVM version from the libraries mapped into the process, as distributions name them. */
class BccLlvmTest {
    private static final String MAPPING = "7f7f72600000-7f7f78a1b000 r-xp 00000000 fe:01 1834 ";

    @Test
    void debianAndUbuntuNames() {
        assertEquals(OptionalInt.of(14), BccLlvm.major(Stream.of(
                MAPPING + "/usr/lib/x86_64-linux-gnu/libbcc.so.0.26.0",
                MAPPING + "/usr/lib/x86_64-linux-gnu/libclang-cpp.so.14",
                MAPPING + "/usr/lib/x86_64-linux-gnu/libLLVM-14.so.1")));
        assertEquals(OptionalInt.of(11), BccLlvm.major(Stream.of(MAPPING + "/usr/lib/x86_64-linux-gnu/libLLVM-11.so.1")));
    }

    @Test
    void llvm18NamesAndNone() {
        assertEquals(OptionalInt.of(18), BccLlvm.major(Stream.of(MAPPING + "/usr/lib64/libLLVM.so.18.1")));
        assertEquals(OptionalInt.empty(), BccLlvm.major(Stream.of(MAPPING + "/usr/lib64/libbcc.so.0.29.1",
                MAPPING + "/usr/lib64/libc.so.6")));
    }

    /** In this process: the version ldd finds in libbcc's own dependencies. */
    @Test
    void thisProcessAgreesWithLdd() throws Exception {
        KernelTestSupport.requireKernel();
        int byLdd = KernelTestSupport.libbccLlvmByLdd();
        assertTrue(byLdd > 0, "libbcc linked with a shared LLVM");
        assertEquals(OptionalInt.of(byLdd), BccLlvm.major());
    }
}
