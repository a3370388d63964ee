package io.tcptrace.kernel;

import io.tcptrace.bcc.BccLlvm;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The table of slots that holds connects in SYN_SENT before the pending map
 * (bpf/tcpconnect.bpf.c, PENDING_SLOT_BITS): its size, and whether this machine can have it.
 * Slots are claimed with BPF atomics (compare-and-swap, exchange), which the kernel's JIT and
 * libbcc's LLVM must both know; without them the pending map alone holds the connects.
 */
final class PendingSlots {
    static final String CFLAG = "-DPENDING_SLOT_BITS=";
    private static final int MAX_BITS = 12;   // 4,096 slots of 64 bytes
    private static final int MIN_LLVM = 12;

    private PendingSlots() {
    }

    /** log2 of the slot count: as many as pendingMax, rounded down to a power of two, at most 4,096. */
    static int bits(int pendingMax) {
        return Math.min(MAX_BITS, 31 - Integer.numberOfLeadingZeros(pendingMax));
    }

    /** Why this machine gets no slots, or empty when it gets them. */
    static Optional<String> missingHere() {
        return missing(System.getProperty("os.arch"), System.getProperty("os.version"), BccLlvm.major());
    }

    static Optional<String> missing(String arch, String kernelRelease, OptionalInt llvmMajor) {
        boolean x86 = arch.equals("amd64") || arch.equals("x86_64");
        boolean arm64 = arch.equals("aarch64");
        if (!x86 && !arm64) {
            return Optional.of("slots are used on x86_64 and arm64 only, not " + arch);
        }
        // The arm64 JIT compiles compare-and-swap and exchange since Linux 6.0; x86's since 5.12.
        if (x86 && !KernelSupport.kernelAtLeast(kernelRelease, 5, 12)) {
            return Optional.of("BPF atomics need Linux 5.12+");
        }
        if (arm64 && !KernelSupport.kernelAtLeast(kernelRelease, 6, 0)) {
            return Optional.of("BPF atomics need Linux 6.0+ on arm64");
        }
        if (llvmMajor.isEmpty()) {
            return Optional.of("libbcc's LLVM version is not known (BPF atomics need LLVM " + MIN_LLVM + "+)");
        }
        if (llvmMajor.getAsInt() < MIN_LLVM) {
            return Optional.of("libbcc compiles with LLVM " + llvmMajor.getAsInt() + " and BPF atomics need LLVM "
                    + MIN_LLVM + "+");
        }
        return Optional.empty();
    }
}
