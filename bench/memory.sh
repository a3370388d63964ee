#!/usr/bin/env bash
# Where the tracer's resident memory goes: starts target/tcptrace.jar as ./tcptrace run does
# (nice, JVM options, default sinks console and file), with Native Memory Tracking on, sends a
# full-speed burst of refused connects, samples VmRSS every 100 ms, and prints NMT's summary,
# smaps_rollup and the largest mappings before and after the burst.
#   bench/memory.sh [COUNT]      (root; COUNT defaults to 200000)
# Environment: TCPTRACE_JAVA_OPTS, TCPTRACE_NICE (as for ./tcptrace run), MEM_PORT (refused
# destination port, below the ephemeral range), MEM_OUT (directory for the raw output),
# MEM_JAR (another build of the jar), MEM_NMT=0 to run without Native Memory Tracking (it costs a
# little memory itself), MEM_ALL_PORTS=1 to trace every connect of the host (by default the kernel
# keeps only the burst's port, so that other load on a shared machine does not mix in).
# TCPTRACE_SINKS (e.g. file,splunk,kafka; must include file): a sink splunk or kafka gets a HEC
# receiver and a Kafka broker in a separate JVM (io.tcptrace.bench.MemorySinks, needs
# `mvn test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath
# -Dmdep.includeScope=test` as ./tcptrace bench runs it), and the drain waits until every event of
# the burst is delivered to each sink (tcptrace_sink_delivered_total). Other settings of the
# tracer (KAFKA_PRODUCER_BUFFER_BYTES, MALLOC_ARENA_MAX...) pass through the environment.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
cd "$HERE"
COUNT=${1:-200000}
PORT=${MEM_PORT:-29571}
OUT=${MEM_OUT:-$(mktemp -d /tmp/tcptrace-mem.XXXXXX)}
NICE=${TCPTRACE_NICE-10}
JAVA_OPTS=${TCPTRACE_JAVA_OPTS-$(grep -v '^#' deploy/jvm.options | tr '\n' ' ')}
# MEM_NMT=detail: NMT's map of the JVM's own mappings too (the rest of the anonymous memory is malloc's).
case "${MEM_NMT:-1}" in
  1) JAVA_OPTS="$JAVA_OPTS -XX:NativeMemoryTracking=summary" ;;
  detail) JAVA_OPTS="$JAVA_OPTS -XX:NativeMemoryTracking=detail" ;;
esac
ENVS=$(sed -n 's/^export \(MALLOC_[A-Z_]*=[^ ]*\).*$/\1/p' tcptrace)
mkdir -p "$OUT"
[ -x "$OUT/burst" ] || gcc -O2 -o "$OUT/burst" bench/connect-burst.c -lpthread
FILE="$OUT/events.jsonl"
rm -f "$OUT"/events*.jsonl
SINKS=${TCPTRACE_SINKS:-}
SINK_ENV=()
SINKS_PID=
NETSINKS=$(echo "$SINKS" | tr ',' '\n' | grep -xE 'splunk|kafka' | tr '\n' ' ' || true)
if [ -n "$SINKS" ]; then
  SINK_ENV+=(TCPTRACE_SINKS="$SINKS" SPLUNK_SPOOL_DIR="$OUT/spool-splunk" KAFKA_SPOOL_DIR="$OUT/spool-kafka")
  rm -rf "$OUT/spool-splunk" "$OUT/spool-kafka"
fi
if [ -n "$NETSINKS" ]; then
  rm -f "$OUT/sinks.env"
  # Its standard input is a pipe this script holds open: the helper stops when the script ends.
  exec 7> >(exec java -Xmx512m -cp "$HERE/target/test-classes:$HERE/target/classes:$(cat target/bench.classpath)" \
    io.tcptrace.bench.MemorySinks "$OUT/sinks.env" >"$OUT/sinks.log" 2>&1)
  SINKS_PID=$!
  for _ in $(seq 1200); do [ -f "$OUT/sinks.env" ] && break; kill -0 $SINKS_PID 2>/dev/null || break; sleep 0.1; done
  [ -f "$OUT/sinks.env" ] || { echo "sinks not ready:"; tail "$OUT/sinks.log"; exit 1; }
  while IFS= read -r line; do SINK_ENV+=("$line"); done <"$OUT/sinks.env"
fi
echo "options: $JAVA_OPTS; nice $NICE; ${ENVS:-no malloc settings}; sinks ${SINKS:-default}" | tee "$OUT/summary.txt"
# shellcheck disable=SC2086
FILTER=TCPTRACE_DEST_PORTS=$PORT
[ "${MEM_ALL_PORTS:-0}" = 1 ] && FILTER=TCPTRACE_DEST_PORTS=
env $ENVS ${SINK_ENV[@]+"${SINK_ENV[@]}"} $FILTER TCPTRACE_FILE="$FILE" CAMEL_MANAGEMENT_PORT=${MEM_MGMT_PORT:-29464} \
  nice -n "$NICE" java $JAVA_OPTS -jar "${MEM_JAR:-target/tcptrace.jar}" >"$OUT/stdout" 2>"$OUT/stderr" 7>&- &
PID=$!
trap 'kill $PID 2>/dev/null || true; exec 7>&- 2>/dev/null || true' EXIT
for _ in $(seq 600); do grep -q 'tcptrace ready' "$OUT/stderr" && break; sleep 0.1; done
grep -q 'tcptrace ready' "$OUT/stderr" || { echo "not ready:"; tail "$OUT/stderr"; exit 1; }
sleep 3
snap() {
  grep -E 'VmRSS|VmHWM|RssAnon|RssFile|Threads' "/proc/$PID/status" >"$OUT/status-$1"
  ls /proc/$PID/task | while read -r t; do cat "/proc/$PID/task/$t/comm"; done | sort | uniq -c | sort -rn >"$OUT/threads-$1"
  cat "/proc/$PID/smaps_rollup" >"$OUT/smaps-$1"
  pmap -x "$PID" | sort -k3 -n -r >"$OUT/pmap-$1"
  case "${MEM_NMT:-1}" in
    1) jcmd "$PID" VM.native_memory summary >"$OUT/nmt-$1" 2>&1 || true ;;
    detail) jcmd "$PID" VM.native_memory detail >"$OUT/nmt-$1" 2>&1 || true ;;
  esac
  jcmd "$PID" Thread.print 2>/dev/null | sed -n 's/^"\([^"]*\)".*/\1/p' | sed 's/[0-9][0-9]*/N/g' | sort | uniq -c \
    | sort -rn >"$OUT/threadnames-$1" || true
}
snap idle
ticks() { awk '{print $14+$15}' "/proc/$PID/stat"; }
t0=$(ticks)
( while kill -0 $PID 2>/dev/null; do
    awk -v t="$(date +%s.%N)" '/VmRSS/{print t, $2}' "/proc/$PID/status" 2>/dev/null; sleep 0.1
  done ) >"$OUT/rss.txt" &
SAMPLER=$!
"$OUT/burst" 127.0.0.1 "$PORT" "$COUNT" | tee "$OUT/burst.txt"
# Drained: every event of the burst in the file (and delivered by each network sink), or nothing
# new for 5 s.
delivered() {
  curl -s -m 5 "http://127.0.0.1:${MEM_MGMT_PORT:-29464}/observe/metrics" \
    | awk -v s="$1" '$1 == "tcptrace_sink_delivered_total{sink=\"" s "\"}" {printf "%d", $2}' || true
}
last=-1; same=0
while :; do
  # The file sink rotates at 100 MB (tcptrace.file-max-bytes): count the rotated files too.
  n=$(cat "$OUT"/events*.jsonl | grep -c "\"dest_port\":$PORT," || true)
  progress=$n; done_all=1
  [ "$n" -ge "$COUNT" ] || done_all=0
  for k in $NETSINKS; do
    d=$(delivered "$k"); d=${d:-0}; progress="$progress/$d"
    [ "$d" -ge "$COUNT" ] || done_all=0
  done
  [ $done_all = 1 ] && break
  if [ "$progress" = "$last" ]; then same=$((same + 1)); [ $same -ge 50 ] && break; else same=0; fi
  last=$progress; sleep 0.1
done
netdone=
for k in $NETSINKS; do netdone="$netdone, $k $(delivered "$k")"; done
# JIT compiles and GC after the drain still count: sample 3 s more.
sleep 3
t1=$(ticks)
tend=$(date +%s.%N)
snap burst
kill $SAMPLER
lost=$( { curl -s -m 10 "http://127.0.0.1:${MEM_MGMT_PORT:-29464}/observe/metrics" \
  | awk '/^tcptrace_kernel_events_lost_total/{print $2}' | head -1; } || true)
kill -TERM $PID; wait $PID || true
trap - EXIT
peak=$(awk -v e="$tend" '$1 <= e' "$OUT/rss.txt" | sort -k2 -n | tail -1 | awk '{print $2}')
hwm=$(awk '/VmHWM/{print $2}' "$OUT/status-burst")
idle=$(awk '/VmRSS/{print $2}' "$OUT/status-idle")
after=$(awk '/VmRSS/{print $2}' "$OUT/status-burst")
[ "$after" -gt "$peak" ] && peak=$after
echo "events $n of $COUNT in the file$netdone; kernel lost ${lost:-?}; RSS idle $((idle / 1024)) MB, peak in burst and drain $((peak / 1024)) MB, VmHWM $((hwm / 1024)) MB (includes the compile at start); CPU $(( (t1 - t0) * 10000000 / COUNT )) ns/event; raw: $OUT" | tee -a "$OUT/summary.txt"
