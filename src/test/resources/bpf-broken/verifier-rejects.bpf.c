// Compiles, but the verifier must refuse it: a map lookup result used without a NULL check.
BPF_PERCPU_ARRAY(counters, u64, 3);
BPF_RINGBUF_OUTPUT(events, 8);

TRACEPOINT_PROBE(tcp, tcp_receive_reset) {
    return 0;
}

TRACEPOINT_PROBE(sock, inet_sock_set_state) {
    u32 index = args->sport;
    u64 *value = counters.lookup(&index);
    return *value;
}
