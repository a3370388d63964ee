package io.tcptrace.bcc;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * A BPF map of a loaded {@link BpfModule}, seen from user space: updates for the filter sets,
 * lookups for counters. Keys and values are little-endian byte images of the C types.
 * The fd belongs to the module; this view is valid while the module is open.
 */
public final class BpfMap {
    private final String name;
    private final int fd;
    private final int keySize;
    private final int valueSize;
    private final long maxEntries;

    BpfMap(String name, int fd, int keySize, int valueSize, long maxEntries) {
        this.name = name;
        this.fd = fd;
        this.keySize = keySize;
        this.valueSize = valueSize;
        this.maxEntries = maxEntries;
    }

    /** The map's max_entries; for a ring buffer, its data area in bytes. */
    public long maxEntries() {
        return maxEntries;
    }

    public String name() {
        return name;
    }

    public int fd() {
        return fd;
    }

    /** Inserts or replaces {@code key -> value}; both are zero-extended integers of the map's sizes. */
    public void put(long key, long value) {
        Memory k = integer(key, keySize);
        Memory v = integer(value, valueSize);
        if (LibBcc.bpf_update_elem(fd, k, v, LibBcc.BPF_ANY) != 0) {
            int errno = Native.getLastError();
            throw new BccException("cannot update BPF map '" + name + "': errno " + errno
                    + (errno == 7 /* E2BIG */ ? " (map full: fewer entries, please)" : ""));
        }
    }

    /** What {@link #insertNew} did. */
    public enum Insert {
        INSERTED,
        /** the key was there already: left as it was */
        EXISTS,
        /** the map has max_entries entries */
        FULL
    }

    /**
     * Inserts {@code key -> value} only when the key is absent (BPF_NOEXIST), so an entry the
     * program wrote itself is never replaced. Both are the exact byte images of the C types.
     */
    public Insert insertNew(byte[] key, byte[] value) {
        if (LibBcc.bpf_update_elem(fd, image(key, keySize, "keys"), image(value, valueSize, "values"),
                LibBcc.BPF_NOEXIST) == 0) {
            return Insert.INSERTED;
        }
        int errno = Native.getLastError();
        return switch (errno) {
            case Errno.EEXIST -> Insert.EXISTS;
            case Errno.E2BIG -> Insert.FULL;   // a hash map at max_entries
            default -> throw new BccException("cannot update BPF map '" + name + "': " + Errno.describe(errno));
        };
    }

    /** The value stored under {@code key} (the byte image of the C type), or null when there is none. */
    public byte[] lookup(byte[] key) {
        Memory v = new Memory(valueSize);
        if (LibBcc.bpf_lookup_elem(fd, image(key, keySize, "keys"), v) != 0) {
            int errno = Native.getLastError();
            if (errno == Errno.ENOENT) {
                return null;
            }
            throw new BccException("cannot read BPF map '" + name + "': " + Errno.describe(errno));
        }
        return v.getByteArray(0, valueSize);
    }

    /** How many keys a hash map holds now (walked key by key: for diagnostics, not a hot path). */
    public long countKeys() {
        Memory key = new Memory(keySize);
        Memory next = new Memory(keySize);
        long count = 0;
        Memory from = null;   // NULL asks for the first key
        while (LibBcc.bpf_get_next_key(fd, from, next) == 0) {
            count++;
            key.write(0, next.getByteArray(0, keySize), 0, keySize);
            from = key;
        }
        int errno = Native.getLastError();
        if (errno != Errno.ENOENT) {
            throw new BccException("cannot walk BPF map '" + name + "': " + Errno.describe(errno));
        }
        return count;
    }

    /**
     * Empties the map from user space and returns how many hash entries it deleted: a hash map's
     * entries are deleted, an array's (which cannot be deleted) are zeroed and not counted. The keys
     * are collected first, since deleting while walking would restart the walk. Entries the program
     * adds meanwhile may stay. Not for per-CPU maps (their values are one per CPU).
     */
    public long clear() {
        java.util.List<byte[]> keys = new java.util.ArrayList<>();
        Memory key = new Memory(keySize);
        Memory next = new Memory(keySize);
        Memory from = null;
        while (LibBcc.bpf_get_next_key(fd, from, next) == 0) {
            keys.add(next.getByteArray(0, keySize));
            key.write(0, next.getByteArray(0, keySize), 0, keySize);
            from = key;
        }
        int walkEnd = Native.getLastError();
        if (walkEnd != Errno.ENOENT) {
            throw new BccException("cannot walk BPF map '" + name + "': " + Errno.describe(walkEnd));
        }
        Memory zero = null;
        long held = 0;
        for (byte[] k : keys) {
            Memory image = image(k, keySize, "keys");
            if (LibBcc.bpf_delete_elem(fd, image) == 0) {
                held++;
                continue;
            }
            int errno = Native.getLastError();
            if (errno == Errno.ENOENT) {
                continue;   // the program removed it meanwhile
            }
            if (errno != Errno.EINVAL) {
                throw new BccException("cannot clear BPF map '" + name + "': " + Errno.describe(errno));
            }
            // an array: its element stays, zeroed
            if (zero == null) {
                zero = new Memory(valueSize);
                zero.clear();
            }
            if (LibBcc.bpf_update_elem(fd, image, zero, LibBcc.BPF_ANY) != 0) {
                throw new BccException("cannot clear BPF map '" + name + "': " + Errno.describe(Native.getLastError()));
            }
        }
        return held;
    }

    /** Looks at one entry of a batch read: its value lies at {@code offset} in {@code values}. */
    @FunctionalInterface
    public interface EntryFilter {
        boolean keep(Pointer values, long offset);
    }

    /**
     * The keys of a hash map with 8-byte keys whose values {@code filter} keeps, read a chunk at a
     * time with BPF_MAP_LOOKUP_BATCH (Linux 5.6+): one system call per {@code chunk} entries
     * instead of one per key. Entries the program adds or removes meanwhile may or may not be seen.
     */
    public long[] longKeys(int chunk, EntryFilter filter) {
        if (keySize != 8) {
            throw new IllegalStateException("BPF map '" + name + "' has " + keySize + "-byte keys, not 8");
        }
        Memory keys = new Memory(8L * chunk);
        Memory values = new Memory((long) valueSize * chunk);
        Memory in = new Memory(8);
        Memory out = new Memory(8);
        Memory attr = new Memory(BpfSyscall.BATCH_ATTR_SIZE);
        long[] kept = new long[64];
        int n = 0;
        boolean first = true;
        while (true) {
            attr.clear();
            attr.setLong(BpfSyscall.BATCH_IN, first ? 0 : Pointer.nativeValue(in));
            attr.setLong(BpfSyscall.BATCH_OUT, Pointer.nativeValue(out));
            attr.setLong(BpfSyscall.BATCH_KEYS, Pointer.nativeValue(keys));
            attr.setLong(BpfSyscall.BATCH_VALUES, Pointer.nativeValue(values));
            attr.setInt(BpfSyscall.BATCH_COUNT, chunk);
            attr.setInt(BpfSyscall.BATCH_MAP_FD, fd);
            int rc = BpfSyscall.call(BpfSyscall.BPF_MAP_LOOKUP_BATCH, attr, BpfSyscall.BATCH_ATTR_SIZE);
            if (rc != 0 && rc != -Errno.ENOENT) {
                throw new BccException("cannot read the keys of BPF map '" + name + "': " + Errno.describe(-rc));
            }
            int got = attr.getInt(BpfSyscall.BATCH_COUNT);
            for (int i = 0; i < got; i++) {
                if (filter.keep(values, (long) valueSize * i)) {
                    if (n == kept.length) {
                        kept = java.util.Arrays.copyOf(kept, n * 2);
                    }
                    kept[n++] = keys.getLong(8L * i);
                }
            }
            if (rc == -Errno.ENOENT) {
                return java.util.Arrays.copyOf(kept, n);
            }
            in.setLong(0, out.getLong(0));
            first = false;
        }
    }

    public int keySize() {
        return keySize;
    }

    public int valueSize() {
        return valueSize;
    }

    /**
     * The sum over all CPUs of the u64 at {@code index} in a BPF_PERCPU_ARRAY. The kernel
     * returns one 8-byte-aligned slot per possible CPU.
     */
    public long sumPerCpu(int index, int possibleCpus) {
        int slot = (valueSize + 7) & ~7;
        Memory values = new Memory((long) slot * possibleCpus);
        values.clear();
        if (LibBcc.bpf_lookup_elem(fd, integer(index, keySize), values) != 0) {
            throw new BccException("cannot read BPF map '" + name + "' index " + index + ": errno "
                    + Native.getLastError());
        }
        long sum = 0;
        for (int cpu = 0; cpu < possibleCpus; cpu++) {
            sum += values.getLong((long) cpu * slot);
        }
        return sum;
    }

    /** Native memory holding {@code bytes}, which must be the map's {@code size} for its {@code what}. */
    private Memory image(byte[] bytes, int size, String what) {
        if (bytes.length != size) {
            throw new IllegalArgumentException("BPF map '" + name + "' has " + size + "-byte " + what + ", not "
                    + bytes.length);
        }
        Memory m = new Memory(size);
        m.write(0, bytes, 0, size);
        return m;
    }

    private static Memory integer(long value, int size) {
        Memory m = new Memory(size);
        m.clear();
        for (int i = 0; i < Math.min(size, 8); i++) {
            m.setByte(i, (byte) (value >>> (8 * i)));
        }
        return m;
    }
}
