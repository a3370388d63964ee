package io.tcptrace.bcc;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reads a BPF ring buffer map (BPF_RINGBUF_OUTPUT) straight from its memory mapping, the way
 * the kernel's ringbuf protocol allows: no native callback, no copy before decoding.
 *
 * <p>Layout (kernel/bpf/ringbuf.c): page 0 holds the consumer position, mapped read-write;
 * page 1 the producer position, then the data area, read-only. The kernel offers the data area
 * twice back to back, so that a record that wraps is contiguous; this reader maps it once and
 * copies the rare record that wraps (one per pass over the buffer) into a small buffer instead:
 * the kernel maps every page of the area at mmap time, so a second view would add the whole
 * buffer size (32 MiB by default) to the tracer's RSS for no memory actually used. Each record
 * starts with an 8-byte header whose first u32 is the length with a BUSY bit (still being
 * written) and a DISCARD bit; records are 8-byte aligned, so a header never wraps. The producer
 * position is read with acquire, the header length with acquire, and the consumer position
 * written with release once per batch.
 */
public final class MappedRingBuffer implements EventReader {
    private static final int BUSY_BIT = 1 << 31;
    private static final int DISCARD_BIT = 1 << 30;
    private static final int HEADER_SIZE = 8;
    private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

    private final String name;
    private final int pageSize = Libc.getpagesize();
    private final long dataSize;
    private final long mask;
    private final RecordHandler handler;
    private final Memory epollEvent = new Memory(16);
    private Pointer consumerPage;
    private Pointer producerArea;
    private ByteBuffer consumer;
    private ByteBuffer producer;
    private ByteBuffer data;
    /**
     * The record that wraps past the end of the data area, copied contiguous. Direct, like the
     * mapped data: a heap buffer here made the JIT's decoders meet a second ByteBuffer class once
     * per pass over the ring, throw their compiled code away and compile it again (measured: most
     * of the C2 compiler's CPU during warm bursts).
     */
    private ByteBuffer wrapped = ByteBuffer.allocateDirect(0);
    private int epollFd = -1;

    /** Maps {@code map}'s memory; its data area is max_entries bytes, a power of two. */
    public MappedRingBuffer(BpfMap map, RecordHandler handler) {
        long dataSize = map.maxEntries();
        if (Long.bitCount(dataSize) != 1 || dataSize + pageSize > Integer.MAX_VALUE) {
            throw new BccException("ring buffer of " + dataSize + " bytes cannot be mapped: it must be a power of two"
                    + " of at most 1 GiB");
        }
        this.name = map.name();
        this.dataSize = dataSize;
        this.mask = dataSize - 1;
        this.handler = handler;
        try {
            consumerPage = map(pageSize, Libc.PROT_READ | Libc.PROT_WRITE, map.fd(), 0, "consumer page");
            producerArea = map(pageSize + dataSize, Libc.PROT_READ, map.fd(), pageSize, "data area");
            consumer = consumerPage.getByteBuffer(0, pageSize).order(ByteOrder.nativeOrder());
            producer = producerArea.getByteBuffer(0, pageSize).order(ByteOrder.nativeOrder());
            data = producerArea.getByteBuffer(pageSize, dataSize).order(ByteOrder.LITTLE_ENDIAN);
            epollFd = Libc.epoll_create1(Libc.EPOLL_CLOEXEC);
            if (epollFd < 0) {
                throw failure("epoll_create1");
            }
            epollEvent.clear();
            epollEvent.setInt(0, Libc.EPOLLIN);
            if (Libc.epoll_ctl(epollFd, Libc.EPOLL_CTL_ADD, map.fd(), epollEvent) != 0) {
                throw failure("epoll_ctl");
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private Pointer map(long length, int prot, int fd, long offset, String what) {
        Pointer p = Libc.mmap(null, length, prot, Libc.MAP_SHARED, fd, offset);
        if (p == null || Pointer.nativeValue(p) == Libc.MAP_FAILED) {
            throw failure("mmap of the " + what);
        }
        return p;
    }

    private BccException failure(String call) {
        return new BccException(call + " failed for BPF ring buffer '" + name + "': "
                + Errno.describe(Native.getLastError()));
    }

    @Override
    public int poll(int timeoutMs, int maxRecords) {
        if (available() == 0 && timeoutMs > 0) {
            // Woken by the kernel (the program forces a wake-up every so many events) or by the
            // timeout: records submitted without a wake-up are read either way.
            int n = Libc.epoll_wait(epollFd, epollEvent, 1, timeoutMs);
            if (n < 0 && Native.getLastError() != Errno.EINTR) {
                throw failure("epoll_wait");
            }
        }
        return consume(maxRecords);
    }

    /** Bytes written by the kernel and not yet consumed. */
    public long available() {
        // Read by gauges on other threads too: after close the views are gone, and nothing is available.
        ByteBuffer p = producer;
        ByteBuffer c = consumer;
        return p == null || c == null ? 0 : (long) LONG.getAcquire(p, 0) - (long) LONG.getOpaque(c, 0);
    }

    @Override
    public double fill() {
        return (double) available() / dataSize;
    }

    private int consume(int maxRecords) {
        long cons = (long) LONG.getOpaque(consumer, 0);
        long prod = (long) LONG.getAcquire(producer, 0);
        int handled = 0;
        try {
            while (cons < prod && handled < maxRecords) {
                int offset = (int) (cons & mask);
                int header = (int) INT.getAcquire(data, offset);
                if ((header & BUSY_BIT) != 0) {
                    break;   // still being written; records after it wait for it
                }
                int length = header & ~(BUSY_BIT | DISCARD_BIT);
                cons += (HEADER_SIZE + length + 7) & ~7L;
                if ((header & DISCARD_BIT) == 0) {
                    int start = offset + HEADER_SIZE;
                    if (start + length <= dataSize) {
                        handler.onRecord(data, start, length);
                    } else {
                        handler.onRecord(unwrap(start, length), 0, length);
                    }
                    handled++;
                }
                if (cons >= prod) {
                    prod = (long) LONG.getAcquire(producer, 0);
                }
            }
        } finally {
            // also when a handler throws: what was handed on (the failing record included) is not read again
            LONG.setRelease(consumer, 0, cons);
        }
        return handled;
    }

    /** Copies a record that runs past the end of the data area and on from its start. */
    private ByteBuffer unwrap(int start, int length) {
        if (wrapped.capacity() < length) {
            wrapped = ByteBuffer.allocateDirect(Math.max(length, 4096)).order(ByteOrder.LITTLE_ENDIAN);
        }
        int head = (int) (dataSize - start);
        wrapped.put(0, data, start, head);
        wrapped.put(head, data, 0, length - head);
        return wrapped;
    }

    @Override
    public void close() {
        if (epollFd >= 0) {
            Libc.close(epollFd);
            epollFd = -1;
        }
        if (producerArea != null) {
            Libc.munmap(producerArea, pageSize + dataSize);
            producerArea = null;
        }
        if (consumerPage != null) {
            Libc.munmap(consumerPage, pageSize);
            consumerPage = null;
        }
        consumer = producer = data = null;
    }
}
