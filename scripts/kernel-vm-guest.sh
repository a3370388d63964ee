#!/bin/bash
# Runs in the test guest as PID 1, after scripts/kernel-vm-init.sh has switched to the host's root
# (read-only, tmpfs overlay). One JUnit run per line of the tests file, with JUnit's console
# launcher in one JVM (a Maven start costs about 90 s under the emulator), against the classes and
# the test class path built on the host. Reports (JUnit's legacy XML, the format Surefire writes)
# and the verdict go to the writable share at /kernel-vm, then the guest powers off.
set -u
. /kernel-vm/job.env
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8

finish() {
  echo "$1" >/kernel-vm/status
  sync
  echo o >/proc/sysrq-trigger
  sleep 60
}
trap 'finish 1' ERR

echo "kernel-vm guest: $(uname -r), $(nproc) CPU, kprobes: $([ -e /sys/kernel/tracing/kprobe_events ] && echo yes || echo no), BTF: $([ -e /sys/kernel/btf/vmlinux ] && echo yes || echo no)"
cd "$REPO"
mkdir -p /kernel-vm/surefire-reports
classpath="target/test-classes:target/classes:$(cat /kernel-vm/test.classpath)"
verdict=0
run=0
while read -r probe tests; do
  case "$probe" in ''|'#'*) continue ;; esac
  run=$((run + 1))
  selectors=()
  for t in ${tests//,/ }; do
    exclude=
    case "$t" in -*) exclude=1; t=${t#-} ;; esac
    cls=${t%%#*}
    file=$(find target/test-classes -name "$cls.class" | head -1)
    if [ -z "$file" ]; then
      echo "kernel-vm guest: no test class $cls in target/test-classes"; verdict=1; continue
    fi
    fqcn=$(echo "${file#target/test-classes/}" | sed 's|\.class$||; s|/|.|g')
    if [ -n "$exclude" ]; then selectors+=(--exclude-methodname "$fqcn#${t#*#}")
    elif [ "$t" = "$cls" ]; then selectors+=(--select-class "$fqcn"); else selectors+=(--select-method "$fqcn#${t#*#}"); fi
  done
  echo "kernel-vm guest: probe=$probe tests=$tests"
  started=$(date +%s)
  reports=/tmp/reports-$run
  # C1 only: under the emulator C2's compile time costs more than it gains in a short run.
  java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xmx1g -cp "$classpath" \
    -Dtcptrace.requireKernel=true -Dtcptrace.test.requireKprobes=true -Dtcptrace.home="$REPO" \
    -Dtcptrace.test.probe="$probe" -Dtcptrace.test.timeScale="$TIME_SCALE" \
    org.junit.platform.console.ConsoleLauncher execute --disable-banner --disable-ansi-colors \
    --details=tree --fail-if-no-tests --reports-dir="$reports" "${selectors[@]}" \
    || verdict=1
  echo "kernel-vm guest: probe=$probe took $(( $(date +%s) - started ))s"
  cp "$reports/TEST-junit-jupiter.xml" "/kernel-vm/surefire-reports/TEST-kernel-vm-$run-$probe.xml" || verdict=1
done </kernel-vm/tests.txt
finish "$verdict"
