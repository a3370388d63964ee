#!/usr/bin/env bash
# Installs what tcptrace needs on Debian 12 / Ubuntu, as root. Idempotent: a second run changes nothing.
#   JDK 17+, Maven (to fetch the project's own Maven 3.9.12 by its coordinates), libbcc (libbpfcc),
#   kernel headers (the running kernel's, else the distribution's generic ones), bpftool (tests), and a mounted tracefs.
#   --kernels adds qemu and a static busybox (./tcptrace test-kernels); --bench the benchmark's peers;
#   --tests node and Splunk's dashboard schema package (./tcptrace test); --package the Debian packaging
#   tools, lintian, mmdebstrap, umoci and runc (./tcptrace package, test-package).
set -euo pipefail
cd "$(dirname "$0")/.."

MAVEN_VERSION=3.9.12
say() { echo "setup: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  echo "tcptrace: setup must run as root (it installs packages and loads BPF programs): use sudo" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "tcptrace: setup supports Debian and Ubuntu (apt-get); install a JDK 17+, Maven, libbcc and kernel headers by hand" >&2
  exit 1
fi

missing=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
java_ok() { command -v javac >/dev/null && [ "$(javac -version 2>&1 | sed -E 's/javac ([0-9]+).*/\1/')" -ge 17 ]; }

java_ok || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null || missing+=(maven)
have_pkg libbpfcc || missing+=(libbpfcc)
command -v gcc >/dev/null || missing+=(gcc libc6-dev)   # the load generator of the benchmark and its test
command -v bash >/dev/null || missing+=(bash)
# The tests check the struct offsets read from kernel BTF against bpftool's reading of it.
command -v bpftool >/dev/null || [ -x /usr/sbin/bpftool ] || missing+=(bpftool)

release=$(uname -r)
headers=""
if [ ! -d "/lib/modules/$release/build" ] && ! ls -d /usr/src/linux-headers-*-common >/dev/null 2>&1; then
  headers=pending
fi

if [ ${#missing[@]} -gt 0 ] || [ -n "$headers" ]; then
  say "installing: ${missing[*]} ${headers:+kernel headers}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  if [ -n "$headers" ]; then
    if apt-cache show "linux-headers-$release" >/dev/null 2>&1; then
      missing+=("linux-headers-$release")
    else
      arch=$(dpkg --print-architecture)
      if apt-cache show "linux-headers-$arch" >/dev/null 2>&1; then
        missing+=("linux-headers-$arch")        # Debian's generic headers
      else
        missing+=(linux-headers-generic)        # Ubuntu's
      fi
      say "no headers packaged for kernel $release: installing the distribution's generic ones (tracepoint mode works with them)"
    fi
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# libbcc reads tracepoint formats and ids from tracefs.
if [ ! -d /sys/kernel/tracing/events ] && [ ! -d /sys/kernel/debug/tracing/events ]; then
  say "mounting tracefs on /sys/kernel/tracing"
  mount -t tracefs nodev /sys/kernel/tracing
fi

# The Camel component plugin needs Maven >= 3.9.12; the distribution's may be older. Fetch the
# Maven distribution by its coordinates through the installed Maven, into .tools/.
if [ ! -x ".tools/apache-maven-$MAVEN_VERSION/bin/mvn" ]; then
  say "fetching Maven $MAVEN_VERSION (org.apache.maven:apache-maven:$MAVEN_VERSION:tar.gz:bin)"
  mkdir -p .tools
  mvn -q -B dependency:copy -Dartifact="org.apache.maven:apache-maven:$MAVEN_VERSION:tar.gz:bin" \
    -DoutputDirectory=.tools >/dev/null
  tar xzf ".tools/apache-maven-$MAVEN_VERSION-bin.tar.gz" -C .tools
  rm -f ".tools/apache-maven-$MAVEN_VERSION-bin.tar.gz"
fi

# install_for WHAT PACKAGE...: installs the packages (refreshing apt's lists once if needed), or
# stops with one line naming what needed them.
install_for() {
  local what=$1; shift
  [ $# -gt 0 ] || return 0
  say "installing for $what: $*"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" >/dev/null; } \
    || { echo "tcptrace: cannot install $* (needed by $what): check apt sources" >&2; exit 1; }
}

# ./tcptrace test-kernels boots a guest kernel under qemu with a static busybox initramfs
# (scripts/kernel-vm.sh fetches the kernel and installs its headers itself).
if [ "${1:-}" = "--kernels" ]; then
  vm_missing=()
  command -v qemu-system-x86_64 >/dev/null || vm_missing+=(qemu-system-x86)
  have_pkg busybox-static || vm_missing+=(busybox-static)
  command -v setpriv >/dev/null || vm_missing+=(util-linux)   # KprobeModeTest connects as another user
  install_for test-kernels ${vm_missing[@]+"${vm_missing[@]}"}
fi

# The tests (./tcptrace test) also validate the Splunk app's Dashboard Studio view against the schema
# Splunk publishes on npm (@splunk/dashboard-definition), with ajv, under node: fetched by the npm
# client into .tools/dashboard-definition, pinned.
if [ "${1:-}" = "--tests" ]; then
  node_missing=()
  command -v node >/dev/null || node_missing+=(nodejs)
  command -v npm >/dev/null || node_missing+=(npm)
  install_for "the Splunk app's dashboard test" ${node_missing[@]+"${node_missing[@]}"}
  # DestHostTest: a real DNS server (dnsmasq) in a network namespace, resolved by Python's getaddrinfo
  dns_missing=()
  command -v dnsmasq >/dev/null || dns_missing+=(dnsmasq-base)
  command -v python3 >/dev/null || dns_missing+=(python3)
  install_for "the destination-name test" ${dns_missing[@]+"${dns_missing[@]}"}
  validator=.tools/dashboard-definition
  if [ ! -f "$validator/node_modules/@splunk/dashboard-definition/package.json" ] || [ ! -f "$validator/node_modules/ajv/package.json" ]; then
    say "fetching @splunk/dashboard-definition@29.6.0 and ajv@8.20.0 with npm into $validator"
    mkdir -p "$validator"
    npm install --prefix "$validator" --no-audit --no-fund --ignore-scripts --loglevel=error --no-save \
      @splunk/dashboard-definition@29.6.0 ajv@8.20.0 >/dev/null \
      || { echo "tcptrace: npm could not fetch @splunk/dashboard-definition (the Splunk app's dashboard test needs it): check npm's registry access" >&2; exit 1; }
  fi
fi

# ./tcptrace package builds the .deb with debhelper and checks it with lintian; the image's base with
# mmdebstrap and its layers with umoci; test-package runs the image with runc.
if [ "${1:-}" = "--package" ]; then
  pkg_missing=()
  for p in debhelper lintian mmdebstrap umoci runc; do have_pkg "$p" || pkg_missing+=("$p"); done
  install_for "./tcptrace package" ${pkg_missing[@]+"${pkg_missing[@]}"}
fi

# The benchmark also needs BCC's Python bindings (its baseline) and the peers it measures tcptrace
# beside: bpftrace and libbpf-tools (tcpstates, tcplife; C, CO-RE).
if [ "${1:-}" = "--bench" ]; then
  bench_missing=()
  for pkg in python3-bpfcc bpftrace libbpf-tools dnsmasq-base bpftool; do
    have_pkg "$pkg" || bench_missing+=("$pkg")
  done
  if [ ${#bench_missing[@]} -gt 0 ]; then
    say "installing for the benchmark: ${bench_missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-cache show "${bench_missing[@]}" >/dev/null 2>&1 || apt-get update -qq
    apt-get install -o DPkg::Lock::Timeout=300 -y -qq --no-install-recommends "${bench_missing[@]}" >/dev/null
  fi
fi
