#!/usr/bin/env bash
# Runs a selection of the kernel tests on a second kernel, in a virtual machine booted here:
# Debian's own 6.1 kernel (kprobes, fentry, BTF, ring buffer), under qemu's TCG emulator.
#
#   scripts/kernel-vm.sh [--kernel RELEASE] [--tests FILE] [--timeout SECONDS]
#
# The guest kernel package is fetched with apt-get download and unpacked (never installed over
# the host's kernel); its matching linux-headers package is installed on the host, and the guest
# sees it through the host's root file system, shared read-only over virtio-9p under a tmpfs
# overlay. A small busybox initramfs loads the 9p and overlay modules, mounts that root and hands
# over to scripts/kernel-vm-guest.sh, which runs one JUnit run per line of the tests file
# against the classes built on the host and writes the reports to a second, writable share. Reports end up in target/kernel-vm/<release>/surefire-reports/; the exit status is their
# verdict (0 only if every run passed).
#
# Environment: TCPTRACE_VM_KERNEL (release, e.g. 6.1.0-56-amd64), TCPTRACE_VM_TESTS (tests file),
# TCPTRACE_VM_TIMEOUT (seconds, default 900: CI keeps the guest under 15 minutes), TCPTRACE_VM_MEMORY (MiB, default 3072),
# TCPTRACE_VM_TIME_SCALE (factor for the tests' fixed waits, default 10),
# TCPTRACE_VM_CACHE (kernel and initramfs cache, default .tools/kernel-vm).
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
cd "$HERE"

die() { echo "tcptrace: $*" >&2; exit 1; }
say() { echo "kernel-vm: $*" >&2; }

release=${TCPTRACE_VM_KERNEL:-}
tests_file=${TCPTRACE_VM_TESTS:-$HERE/scripts/kernel-vm-tests.txt}
timeout_s=${TCPTRACE_VM_TIMEOUT:-900}
memory=${TCPTRACE_VM_MEMORY:-3072}
time_scale=${TCPTRACE_VM_TIME_SCALE:-10}
cache=${TCPTRACE_VM_CACHE:-$HERE/.tools/kernel-vm}
while [ $# -gt 0 ]; do
  case "$1" in
    --kernel) release=$2; shift 2 ;;
    --tests) tests_file=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    *) die "kernel-vm: unknown option '$1': use --kernel RELEASE, --tests FILE or --timeout SECONDS" ;;
  esac
done

[ "$(id -u)" -eq 0 ] || die "test-kernels must run as root (it installs kernel headers and the guest loads BPF programs): use sudo"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is missing: install qemu-system-x86 (./tcptrace test-kernels does through scripts/setup.sh --kernels)"
[ -x /bin/busybox ] && /bin/busybox --list | grep -qx switch_root \
  || die "a static busybox is missing: install busybox-static (scripts/setup.sh --kernels does)"
[ -f "$tests_file" ] || die "no test selection at $tests_file: pass --tests FILE"
[ "$(uname -m)" = x86_64 ] || die "test-kernels boots an x86_64 guest and needs an x86_64 host"

# The guest kernel: by default the 6.1 release that Debian's linux-image-amd64 points at.
if [ -z "$release" ]; then
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*-amd64\)$/\1/p' | head -1)
  if [ -z "$pkg" ]; then
    apt-get update -qq >/dev/null 2>&1 || true
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*-amd64\)$/\1/p' | head -1)
  fi
  [ -n "$pkg" ] || die "cannot find which kernel linux-image-amd64 depends on (apt-cache depends linux-image-amd64): set TCPTRACE_VM_KERNEL=6.1.0-N-amd64"
  release=$pkg
fi

kdir=$cache/$release
vmlinuz=$kdir/root/boot/vmlinuz-$release
if [ ! -f "$kdir/.unpacked" ]; then
  say "fetching linux-image-$release (unpacked under $kdir, not installed)"
  rm -rf "$kdir"; mkdir -p "$kdir/deb"
  fetch() { (cd "$kdir/deb" && apt-get download -qq "linux-image-$release" >/dev/null 2>&1); }
  fetch || { apt-get update -qq >/dev/null 2>&1 || true; fetch; } \
    || die "cannot download the package linux-image-$release (apt-get download failed): check the package name and apt sources, or set TCPTRACE_VM_KERNEL"
  dpkg-deb -x "$kdir"/deb/linux-image-*.deb "$kdir/root"
  rm -rf "$kdir/deb"
  [ -f "$vmlinuz" ] || die "linux-image-$release has no boot/vmlinuz-$release"
  touch "$kdir/.unpacked"
fi

# Matching headers on the host: the guest finds them at /lib/modules/<release>/build through the
# shared root, so kprobe mode there compiles against its own kernel's struct layouts.
if [ ! -e "/lib/modules/$release/build/include" ]; then
  say "installing linux-headers-$release on the host (for the guest's kprobe mode)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "linux-headers-$release" >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 || true
         DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "linux-headers-$release" >/dev/null 2>&1; } \
    || die "cannot install linux-headers-$release: check apt sources, or choose another kernel with TCPTRACE_VM_KERNEL"
fi

# The initramfs: busybox, the modules for virtio-9p and overlay in dependency order, and init.
initrd=$kdir/initrd.img
if [ ! -f "$initrd" ] || [ "$initrd" -ot "$HERE/scripts/kernel-vm.sh" ] || [ "$initrd" -ot "$HERE/scripts/kernel-vm-init.sh" ]; then
  say "building the initramfs"
  build=$kdir/initrd.d
  rm -rf "$build"; mkdir -p "$build/bin" "$build/modules"
  cp /bin/busybox "$build/bin/busybox"
  moddir=$kdir/root/lib/modules/$release
  declare -A path=()
  while IFS= read -r f; do
    n=$(basename "$f"); n=${n%%.ko*}; path[${n//-/_}]=$f
  done < <(find "$moddir" -name '*.ko*')
  order=()
  declare -A seen=()
  add() {   # depth first: dependencies before the module
    local m=${1//-/_} f deps d
    [ -n "${seen[$m]:-}" ] && return 0
    seen[$m]=1
    f=${path[$m]:-}
    [ -n "$f" ] || die "the guest kernel $release has no module $m (needed for the virtio-9p root): choose another kernel"
    case "$f" in
      *.ko.xz) xz -dc "$f" >"$build/modules/$m.ko" ;;
      *.ko.zst) zstd -qdc "$f" >"$build/modules/$m.ko" ;;
      *.ko.gz) gzip -dc "$f" >"$build/modules/$m.ko" ;;
      *) cp "$f" "$build/modules/$m.ko" ;;
    esac
    # The .deb has no modules.dep: read each module's own depends= entry from its .modinfo strings.
    deps=$(tr '\0' '\n' <"$build/modules/$m.ko" | sed -n 's/^depends=//p' | head -1)
    for d in ${deps//,/ }; do add "$d"; done
    order+=("$m")
  }
  for m in virtio_pci 9pnet_virtio 9p overlay; do
    [ -n "${path[$m]:-}" ] && add "$m"
  done
  printf '%s\n' "${order[@]}" >"$build/modules/order"
  cp "$HERE/scripts/kernel-vm-init.sh" "$build/init"
  chmod +x "$build/init"
  (cd "$build" && find . | /bin/busybox cpio -o -H newc 2>/dev/null | gzip -1 >"$initrd.tmp")
  mv "$initrd.tmp" "$initrd"
  rm -rf "$build"
fi

out=$HERE/target/kernel-vm/$release
share=$out/share
rm -rf "$out"; mkdir -p "$share"

# The classes and the test class path the guest runs with: built here, where the CPU is fast.
say "compiling the tests on the host"
"$HERE/.tools/apache-maven-3.9.12/bin/mvn" -q -B test-compile dependency:build-classpath \
  -Dmdep.outputFile="$share/test.classpath" -Dmdep.includeScope=test >/dev/null \
  || die "the tests do not compile: run ./tcptrace test first"
cp "$tests_file" "$share/tests.txt"
cat >"$share/job.env" <<EOF
REPO='$HERE'
TIME_SCALE='$time_scale'
MAVEN_REPO='${MAVEN_REPO:-$HOME/.m2/repository}'
HOST_NAME='$(hostname)'
EOF

say "booting $release under qemu TCG (1 CPU, ${memory} MiB; load now: $(cut -d' ' -f1-3 /proc/loadavg)); console in $out/console.log"
started=$(date +%s)
set +e
timeout --kill-after=10 "$timeout_s" qemu-system-x86_64 \
  -accel tcg,thread=multi -cpu max -smp 1 -m "$memory" \
  -nographic -no-reboot -nic none \
  -kernel "$vmlinuz" -initrd "$initrd" \
  -append "console=ttyS0 quiet loglevel=3 panic=-1 oops=panic" \
  -fsdev local,id=root,path=/,security_model=passthrough,readonly=on,multidevs=remap \
  -device virtio-9p-pci,fsdev=root,mount_tag=hostroot \
  -fsdev local,id=out,path="$share",security_model=passthrough,multidevs=remap \
  -device virtio-9p-pci,fsdev=out,mount_tag=results \
  -fsdev local,id=project,path="$HERE",security_model=passthrough,readonly=on,multidevs=remap \
  -device virtio-9p-pci,fsdev=project,mount_tag=project \
  </dev/null 2>&1 | tee "$out/console.log"
qemu_status=${PIPESTATUS[0]}
set -e
elapsed=$(( $(date +%s) - started ))

mkdir -p "$out/surefire-reports"
cp "$share"/surefire-reports/*.xml "$out/surefire-reports/" 2>/dev/null || true
if [ "$qemu_status" -eq 124 ] || [ "$qemu_status" -eq 137 ]; then
  die "the guest ($release) did not finish within ${timeout_s}s and was stopped: see $out/console.log (raise TCPTRACE_VM_TIMEOUT only if the machine is busy)"
fi
[ -f "$share/status" ] || die "the guest ($release) stopped without a verdict (qemu status $qemu_status): see $out/console.log"
verdict=$(cat "$share/status")
reports=$(find "$out/surefire-reports" -name 'TEST-*.xml' | wc -l)
say "guest $release: $reports report(s) in $out/surefire-reports, ${elapsed}s from boot to power-off, verdict $verdict"
[ "$reports" -gt 0 ] || die "the guest ($release) ran no test: see $out/console.log"
exit "$verdict"
