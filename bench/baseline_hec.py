#!/usr/bin/python3
# Baseline for the "Performance" benchmark: the project's original design, re-created small.
#
# What the original did: a BCC Python script, a kprobe on tcp_v4_connect writing one record per
# IPv4 connect to a perf buffer (BPF_PERF_OUTPUT, BCC's default size), and a Python loop around
# perf_buffer_poll() that sent each record as its own synchronous HTTP POST to Splunk's HTTP Event
# Collector, skipping connects made by the script itself. This file keeps that shape so the
# benchmark can compare tcptrace against it.
#
# One deliberate difference: the benchmark machine's kernel has no kprobes, so the probe is the
# sock:inet_sock_set_state tracepoint at CLOSE -> SYN_SENT, which fires in the connecting task at
# the same point of tcp_v4_connect (pid, comm, daddr, dport are all known there). IPv4 only, as
# tcp_v4_connect was.
#
# HTTP: standard library only (urllib.request). Like the original's requests.post() without a
# Session, every POST opens a new connection (no keep-alive) and waits for the answer before the
# next event is read. https URLs are accepted without certificate checks, like verify=False.
#
# Needs: Debian package python3-bpfcc (run with the system /usr/bin/python3), root, and
# BCC_KERNEL_SOURCE pointing at a kernel header tree when /lib/modules/$(uname -r)/build is missing.
#
# Usage: SPLUNK_HEC_URL=... SPLUNK_HEC_TOKEN=... baseline_hec.py [--duration S] [--dport PORT]
# On exit (duration over, SIGTERM or SIGINT) prints one line:
#   baseline events_read=N posted=M post_errors=E lost=L skipped=K discarded=D
# events_read: records taken from the perf buffer that were handled (not own PID, port matched)
# lost: records the kernel dropped because the perf buffer was full (lost_cb), any port or PID
# skipped: records from our own PID or to another port
# discarded: records taken from the buffer after the stop request, not posted
# lost only counts what the kernel has reported so far: it writes its "lost N" record into the
# buffer only once there is room again and another record follows on that CPU, so right after a
# burst the count may still be low. Connects made minus events_read is the exact shortfall.

import argparse
import ctypes
import json
import os
import signal
import socket
import ssl
import struct
import sys
import time
import urllib.request

from bcc import BPF

BPF_TEXT = r"""
#define AF_INET_ 2
#define IPPROTO_TCP_ 6
#define TCP_SYN_SENT_ 2
#define TCP_CLOSE_ 7

// Fixed layout, unpacked in Python with struct (see EVENT below).
struct connect_t {
    u64 ts_ns;      // CLOCK_MONOTONIC, turned into epoch time in user space
    u32 pid;        // tgid, what users call the PID
    u16 dport;      // host byte order (the tracepoint already converted it)
    u8 daddr[4];    // network byte order
    char comm[16];
    u8 pad[6];      // explicit tail padding: 40 bytes, no hidden holes
};

_Static_assert(sizeof(struct connect_t) == 40, "must match EVENT in Python");

BPF_PERF_OUTPUT(connects);

TRACEPOINT_PROBE(sock, inet_sock_set_state) {
    // CLOSE -> SYN_SENT is an active open; every other transition is not a connect.
    if (args->protocol != IPPROTO_TCP_ || args->family != AF_INET_)
        return 0;
    if (args->oldstate != TCP_CLOSE_ || args->newstate != TCP_SYN_SENT_)
        return 0;
    struct connect_t c = {};
    c.ts_ns = bpf_ktime_get_ns();
    c.pid = bpf_get_current_pid_tgid() >> 32;
    c.dport = args->dport;
    __builtin_memcpy(c.daddr, args->daddr, 4);
    bpf_get_current_comm(&c.comm, sizeof(c.comm));
    // No filtering here: the original sent everything up and decided in Python.
    connects.perf_submit(args, &c, sizeof(c));
    return 0;
}
"""

# Matches struct connect_t: u64, u32, u16, 4 bytes, 16 bytes, 6 pad (40 bytes); little endian.
EVENT = struct.Struct("<QIH4s16s6x")


def parse_args():
    p = argparse.ArgumentParser(description="original-design baseline: BCC + one HEC POST per connect")
    p.add_argument("--duration", type=float, default=0,
                   help="seconds to run; 0 = until SIGTERM/SIGINT")
    p.add_argument("--dport", type=int, default=0,
                   help="only count and post connects to this destination port")
    return p.parse_args()


def main():
    args = parse_args()
    hec_url = os.environ.get("SPLUNK_HEC_URL", "").rstrip("/")
    token = os.environ.get("SPLUNK_HEC_TOKEN", "")
    if not hec_url or not token:
        print("SPLUNK_HEC_URL and SPLUNK_HEC_TOKEN must be set", file=sys.stderr)
        return 2
    endpoint = hec_url + "/services/collector/event"
    headers = {"Authorization": "Splunk " + token, "Content-Type": "application/json"}
    # verify=False in the original: accept any certificate on https.
    tls = ssl._create_unverified_context() if endpoint.startswith("https:") else None

    my_pid = os.getpid()
    counts = {"read": 0, "posted": 0, "errors": 0, "lost": 0, "skipped": 0, "discarded": 0}
    stop = {"now": False}

    def request_stop(_signum, _frame):
        stop["now"] = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    started = time.monotonic()
    b = BPF(text=BPF_TEXT)   # compiles with clang in-process and attaches the tracepoint
    # Both clocks are read together once, so kernel timestamps become epoch seconds cheaply.
    mono_to_epoch_ns = time.time_ns() - time.monotonic_ns()

    def on_event(_cpu, data, size):
        # Records still queued after a stop request are dropped, so shutdown stays prompt.
        if stop["now"]:
            counts["discarded"] += 1
            return
        ts_ns, pid, dport, daddr, comm = EVENT.unpack_from(ctypes.string_at(data, size))
        if pid == my_pid or (args.dport and dport != args.dport):
            # Our own POSTs are connects too; posting them would feed back forever.
            counts["skipped"] += 1
            return
        counts["read"] += 1
        body = json.dumps({
            "time": (ts_ns + mono_to_epoch_ns) / 1e9,
            "sourcetype": "linux:ebpf:tcpconnect",
            "event": {
                "pid": pid,
                "comm": comm.split(b"\0", 1)[0].decode("utf-8", "replace"),
                "daddr": socket.inet_ntoa(daddr),
                "dport": dport,
            },
        }).encode()
        req = urllib.request.Request(endpoint, data=body, headers=headers, method="POST")
        try:
            # Synchronous: the next record is not read until HEC has answered this one.
            with urllib.request.urlopen(req, timeout=10, context=tls) as resp:
                resp.read()
            counts["posted"] += 1
        except Exception as e:   # HTTP error status, refused, timeout: count it, go on
            counts["errors"] += 1
            if counts["errors"] <= 3:
                print("post failed: %s" % e, file=sys.stderr)

    def on_lost(lost):
        counts["lost"] += lost

    # BCC's default size (page_cnt=8 pages per CPU), as the original never changed it.
    b["connects"].open_perf_buffer(on_event, lost_cb=on_lost)
    print("baseline ready after %.2f s (compile+attach), pid %d" % (time.monotonic() - started, my_pid),
          file=sys.stderr, flush=True)

    deadline = started + args.duration if args.duration > 0 else None
    while not stop["now"]:
        if deadline is not None and time.monotonic() >= deadline:
            break
        # A short timeout instead of blocking forever, only so signals and --duration are noticed.
        b.perf_buffer_poll(timeout=100)

    print("baseline events_read=%d posted=%d post_errors=%d lost=%d skipped=%d discarded=%d" % (
        counts["read"], counts["posted"], counts["errors"], counts["lost"], counts["skipped"],
        counts["discarded"]), flush=True)
    return 0

if __name__ == "__main__":
    sys.exit(main())
