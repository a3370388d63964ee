package io.tcptrace.process;

/**
 * What is known about one process. Immutable: an exec or a fork replaces the cache entry.
 *
 * @param pid        process id (tgid)
 * @param path       executable path, or null
 * @param cmdline    arguments joined by spaces, cut to the configured size; null when unknown or off
 * @param name       the process's comm (what process_name shows), or null
 * @param parentPid  parent's pid, or 0 when unknown
 * @param parentName parent's comm when the process was created, or null
 * @param source     where the entry came from
 */
public record ProcessInfo(int pid, String path, String cmdline, String name, int parentPid, String parentName,
        Source source) {
    /** How an entry was learnt. */
    public enum Source {
        /** a kernel exec record */
        EXEC,
        /** a kernel fork record: the child runs its parent's program until it execs */
        FORK,
        /** /proc, for a process that existed before the tracer or was missed */
        PROC
    }

    /** The same process after it forked into {@code childPid}: same program, this as parent. */
    ProcessInfo forkedAs(int childPid, String forkingComm) {
        return new ProcessInfo(childPid, path, cmdline, name, pid, forkingComm != null ? forkingComm : name,
                Source.FORK);
    }
}
