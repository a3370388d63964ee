#!/usr/bin/env bash
# Builds the OCI image archive (OCI layout in a tar) without a container engine or a registry:
#   layer 1  base.sh's Debian 12 root (JRE, libbcc, kernel headers), cached in .tools/image-base
#            under the hash of base.sh and base-headers.sh;
#   layer 2  the application: the jar, jvm.options, the launcher, the default routes, the
#            kernel header tree merged ahead of time;
# then the configuration (entrypoint, environment, volume) with umoci.
# Usage: deploy/image/build.sh VERSION OUT.tar   (from ./tcptrace package; SOURCE_DATE_EPOCH set)
set -euo pipefail
cd "$(dirname "$0")/../.."
version=$1 out=$2
say() { echo "image: $*" >&2; }
epoch=${SOURCE_DATE_EPOCH:?}
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
work=target/image
rm -rf "$work" "$out"
mkdir -p "$work/app" .tools/image-base

key=$(cat deploy/image/base.sh deploy/image/base-headers.sh | sha256sum | cut -c1-16)
base=.tools/image-base/base-$key.tar
if [ ! -f "$base" ]; then
  say "building the base root file system with mmdebstrap (once per base.sh version)"
  find .tools/image-base -name 'base-*.tar' -delete
  bash deploy/image/base.sh "$base.tmp"
  mv "$base.tmp" "$base"
fi

app=$work/app
install -D -m 0644 target/tcptrace.jar "$app/usr/share/tcptrace/tcptrace.jar"
install -D -m 0644 deploy/jvm.options "$app/usr/share/tcptrace/jvm.options"
install -D -m 0755 deploy/tcptrace-agent "$app/usr/sbin/tcptrace-agent"
install -d -m 0755 "$app/etc/tcptrace/routes"
install -m 0644 routes/*.yaml "$app/etc/tcptrace/routes/"
install -d -m 0750 "$app/var/lib/tcptrace" "$app/var/cache/tcptrace"
# The merged kernel header tree (thousands of symlinks, seconds of every first start) is built
# now, by the jar itself in the assembled root, and shipped in the application layer.
root=$work/root
mkdir -p "$root"
tar -xf "$base" -C "$root"
cp -a "$app/." "$root/"
mount -t proc proc "$root/proc"
trap 'umount "$root/proc" 2>/dev/null || true' EXIT
chroot "$root" java -Xshare:auto -cp /usr/share/tcptrace/tcptrace.jar io.tcptrace.kernel.KernelHeaders /var/cache/tcptrace >&2
umount "$root/proc"
cp -a "$root/var/cache/tcptrace/kernel-headers" "$app/var/cache/tcptrace/"
rm -rf "$root"
tar -C "$app" --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -cf "$work/app.tar" etc usr var

layout=$work/oci
# The full name, not the tag alone: podman load and skopeo name the image after it.
ref=localhost/tcptrace:$version
umoci init --layout "$layout"
umoci new --image "$layout:$ref"
umoci raw add-layer --image "$layout:$ref" --history.created="$created" \
  --history.created_by="deploy/image/base.sh" --history.comment="Debian 12: JRE 17, libbcc, kernel headers" "$base"
umoci raw add-layer --image "$layout:$ref" --history.created="$created" \
  --history.created_by="deploy/image/build.sh" --history.comment="tcptrace $version" "$work/app.tar"
# Settings come from the environment (README, "Configuration"); /etc/tcptrace/routes and
# /var/lib/tcptrace (events, spools) are meant to be mounted.
umoci config --image "$layout:$ref" --created="$created" --author="tcptrace developers" \
  --history.created="$created" --history.created_by="deploy/image/build.sh" \
  --config.entrypoint=/usr/sbin/tcptrace-agent --config.workingdir=/var/lib/tcptrace \
  --config.env=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --config.env=TCPTRACE_ROUTES_DIR=/etc/tcptrace/routes \
  --config.env=TCPTRACE_CACHE_DIR=/var/cache/tcptrace \
  --config.env=XDG_CACHE_HOME=/var/cache/tcptrace \
  --config.env=TCPTRACE_FILE=/var/lib/tcptrace/data/tcp-connect.jsonl \
  --config.env=SPLUNK_SPOOL_DIR=/var/lib/tcptrace/spool/splunk \
  --config.env=KAFKA_SPOOL_DIR=/var/lib/tcptrace/spool/kafka \
  --config.volume=/var/lib/tcptrace \
  --config.stopsignal=SIGTERM \
  --config.label=org.opencontainers.image.title=tcptrace \
  --config.label=org.opencontainers.image.version="$version" \
  --config.label=org.opencontainers.image.licenses=Apache-2.0 \
  --config.label=org.opencontainers.image.created="$created"
umoci gc --layout "$layout"
tar -C "$layout" --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner -cf "$out" .
say "$out: $(du -m "$out" | cut -f1) MB (layers gzip-compressed), $(sha256sum "$layout"/index.json | cut -c1-12) index"
