#!/usr/bin/env bash
# The image's base layer: a Debian 12 root file system with a JRE 17, libbcc and one set of kernel
# headers, built by mmdebstrap from the host's Debian sources (no image registry). Written as a
# tar to $1. Docs, man pages, locales and apt's lists are left out.
set -euo pipefail
out=$1
sources=${TCPTRACE_IMAGE_APT_SOURCES:-/etc/apt/sources.list.d/debian.sources}
[ -f "$sources" ] || sources=/etc/apt/sources.list
[ -f "$sources" ] || { echo "tcptrace: no apt sources for the image's base (set TCPTRACE_IMAGE_APT_SOURCES to a sources file listing Debian 12)" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
# update-alternatives needs the man directory to exist even when man pages are not installed.
mmdebstrap --mode=root --variant=apt --format=tar --quiet \
  --include=openjdk-17-jre-headless,libbpfcc \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --essential-hook='mkdir -p "$1/usr/share/man/man1"' \
  --customize-hook="sh '$here/base-headers.sh' \"\$1\"" \
  --customize-hook='rm -f "$1"/usr/lib/jvm/java-17-openjdk-*/lib/ct.sym "$1"/var/cache/apt/*.bin "$1"/var/log/*.log "$1"/var/log/apt/*' \
  bookworm "$out" "$sources"
