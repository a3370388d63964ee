package io.tcptrace.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** Where the slot table for connects in SYN_SENT is compiled in, and how big it is. */
class PendingSlotsTest {
    private static final OptionalInt LLVM_14 = OptionalInt.of(14);

    @Test
    void slotsAreAPowerOfTwoUpToPendingMaxAndAtMost4096() {
        assertEquals(0, PendingSlots.bits(1));
        assertEquals(1, PendingSlots.bits(3));
        assertEquals(11, PendingSlots.bits(4095));
        assertEquals(12, PendingSlots.bits(4096));
        assertEquals(12, PendingSlots.bits(TracerConfiguration.DEFAULT_PENDING_MAX));
    }

    @Test
    void x86NeedsLinux512AndArm64Linux60() {
        assertEquals(Optional.empty(), PendingSlots.missing("amd64", "5.12.0", LLVM_14));
        assertEquals(Optional.empty(), PendingSlots.missing("amd64", "6.18.44-fc-v857", LLVM_14));
        assertReason("Linux 5.12+", PendingSlots.missing("amd64", "5.11.22-generic", LLVM_14));
        assertReason("Linux 6.0+ on arm64", PendingSlots.missing("aarch64", "5.15.0-91-generic", LLVM_14));
        assertEquals(Optional.empty(), PendingSlots.missing("aarch64", "6.1.0-56-arm64", LLVM_14));
        assertReason("x86_64 and arm64 only", PendingSlots.missing("s390x", "6.8.0", LLVM_14));
        assertReason("Linux 5.12+", PendingSlots.missing("amd64", "unreadable", LLVM_14));
    }

    /** An LLVM without BPF atomics would end the process when it meets a compare-and-swap. */
    @Test
    void libbccsLlvmMustBe12OrNewerAndKnown() {
        assertEquals(Optional.empty(), PendingSlots.missing("amd64", "6.1.0", OptionalInt.of(12)));
        assertReason("LLVM 11 and BPF atomics need LLVM 12+", PendingSlots.missing("amd64", "6.1.0", OptionalInt.of(11)));
        assertReason("not known", PendingSlots.missing("amd64", "6.1.0", OptionalInt.empty()));
    }

    private static void assertReason(String expected, Optional<String> reason) {
        assertTrue(reason.isPresent() && reason.get().contains(expected), reason.toString());
    }
}
