#!/bin/sh
# mmdebstrap customize hook ($1: the image's root): unpacks Debian's current 6.1 kernel headers
# (linux-headers-amd64's target and its -common half) under /usr/src without installing their
# dependencies: dpkg would pull gcc-12 and kbuild (about 150 MB) that libbcc's built-in clang
# does not use. Tracepoint mode is correct with another kernel's headers: struct offsets come
# from the node's BTF.
set -eu
root=$1
arch=$(chroot "$root" dpkg --print-architecture)
flavour=$(chroot "$root" apt-cache depends "linux-headers-$arch" | sed -n "s/.*Depends: linux-headers-//p" | head -1)
[ -n "$flavour" ] || { echo "base-headers: linux-headers-$arch names no headers package" >&2; exit 1; }
version=${flavour%-"$arch"}
mkdir -p "$root/tmp/headers"
chroot "$root" sh -c "cd /tmp/headers && apt-get download -q=2 -o APT::Sandbox::User=root linux-headers-$flavour linux-headers-$version-common"
# --keep-directory-symlink: /lib is a link to usr/lib (merged /usr), which dpkg-deb -x would replace.
for deb in "$root"/tmp/headers/*.deb; do
  dpkg-deb --fsys-tarfile "$deb" | tar -x --keep-directory-symlink -C "$root"
done
rm -rf "$root/tmp/headers"
# The -common half carries every architecture's arch/ headers; keep this one's.
case $arch in amd64) karch=x86 ;; arm64) karch=arm64 ;; *) karch=$arch ;; esac
find "$root/usr/src/linux-headers-$version-common/arch" -mindepth 1 -maxdepth 1 ! -name "$karch" -exec rm -rf {} +
echo "base-headers: linux-headers-$flavour unpacked in /usr/src" >&2
