package io.tcptrace.process;

import io.tcptrace.bcc.BccException;
import io.tcptrace.bcc.BpfMap;
import io.tcptrace.bcc.BpfModule;
import io.tcptrace.kernel.BpfSources;
import io.tcptrace.kernel.KernelSupport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The kernel half of the process context: bpf/process.bpf.c, compiled as text appended after
 * bpf/tcpconnect.bpf.c with these flags, attached to these tracepoints, read through these
 * counters. The connection tracer calls it; nothing here owns the module.
 */
public final class ProcessProbes {
    /** Index in tcpconnect.bpf.c's {@code counters}: process records the ring buffer refused. */
    public static final int COUNTER_LOST_PROCESS = 4;
    /** Index in {@code counters}: execs whose arguments could not be kept (exec_args full). */
    public static final int COUNTER_LOST_PROCESS_ARGS = 5;
    /** execve() calls in flight whose arguments the kernel keeps until they succeed. */
    public static final int EXEC_ARGS_MAX = 1024;

    private ProcessProbes() {
    }

    /** The BPF fragment shipped in the jar, to append after tcpconnect.bpf.c's text. */
    public static String source() {
        return BpfSources.fromJar("process.bpf.c");
    }

    /** The -D flags for the fragment; the connection program must be built with -DTRANSPORT_RINGBUF. */
    public static List<String> cflags(ProcessSettings settings) {
        List<String> flags = new ArrayList<>();
        flags.add("-DPROCESS_EVENTS");
        if (settings.cmdline()) {
            flags.add("-DPROCESS_CMDLINE");
            flags.add("-DCMDLINE_MAX=" + settings.cmdlineMaxBytes());
            flags.add("-DEXEC_ARGS_MAX=" + EXEC_ARGS_MAX);
        }
        flags.add("-DPROCESS_PATH_MAX=" + settings.pathMaxBytes());
        if (exitHasGroupDead()) {
            flags.add("-DPROCESS_EXIT_GROUP_DEAD");
        }
        return flags;
    }

    /** Attaches the process tracepoints of a module compiled with {@link #cflags}. */
    public static void attach(BpfModule module, ProcessSettings settings) {
        if (settings.cmdline()) {
            // argument readers first, so no exec that the exec probe sees lacks them needlessly
            // (kernels without syscall tracepoints: command lines then come from /proc only)
            for (String call : List.of("sys_enter_execve", "sys_enter_execveat", "sys_exit_execve",
                    "sys_exit_execveat")) {
                if (KernelSupport.hasTracepoint("syscalls", call)) {
                    module.attachTracepoint("syscalls", call, "tracepoint__syscalls__" + call);
                }
            }
        }
        module.attachTracepoint("task", "task_newtask", "tracepoint__task__task_newtask");
        module.attachTracepoint("sched", "sched_process_exec", "tracepoint__sched__sched_process_exec");
        module.attachTracepoint("sched", "sched_process_exit", "tracepoint__sched__sched_process_exit");
    }

    /** Process records the ring buffer refused, summed over CPUs. */
    public static long lostRecords(BpfMap counters, int possibleCpus) {
        return counters.sumPerCpu(COUNTER_LOST_PROCESS, possibleCpus);
    }

    /** Execs whose command line the kernel could not keep (then read from /proc if still alive). */
    public static long lostArgs(BpfMap counters, int possibleCpus) {
        return counters.sumPerCpu(COUNTER_LOST_PROCESS_ARGS, possibleCpus);
    }

    /** Linux 6.x tells in sched_process_exit whether the whole thread group died. */
    static boolean exitHasGroupDead() {
        Optional<Path> tracefs = KernelSupport.tracefs();
        if (tracefs.isEmpty()) {
            return false;
        }
        try {
            return Files.readString(tracefs.get().resolve("events/sched/sched_process_exit/format"))
                    .contains(" group_dead;");
        } catch (IOException e) {
            return false;
        }
    }
}
