package io.tcptrace.kernel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Connection records laid out as the BPF program writes them, for decoder tests without the kernel. */
final class ConnectRecords {
    private ConnectRecords() {
    }

    /** An IPv4 connect established from port 40000 to port 443, in tracepoint mode, timed now. */
    static ByteBuffer ipv4Connect(int pid, int uid, long cgroupId, String comm, byte[] src, byte[] dest) {
        ByteBuffer r = ByteBuffer.allocateDirect(RecordDecoder.SIZE).order(ByteOrder.LITTLE_ENDIAN);
        r.put(RecordDecoder.KIND, (byte) RecordDecoder.RECORD_CONNECT);
        r.put(RecordDecoder.OUTCOME, (byte) 2);
        r.put(RecordDecoder.PROBE, (byte) 1);
        r.putShort(RecordDecoder.FAMILY, (short) 2);
        r.putShort(RecordDecoder.SPORT, (short) 40000);
        r.putShort(RecordDecoder.DPORT, (short) 443);
        r.putInt(RecordDecoder.PID, pid);
        r.putInt(RecordDecoder.TID, pid);
        r.putInt(RecordDecoder.UID, uid);
        r.putLong(RecordDecoder.TS_NS, System.nanoTime());
        r.putLong(RecordDecoder.CGROUP_ID, cgroupId);
        r.put(RecordDecoder.SADDR, src);
        r.put(RecordDecoder.DADDR, dest);
        r.put(RecordDecoder.COMM, comm.getBytes(StandardCharsets.UTF_8));
        return r;
    }
}
