#!/bin/busybox sh
# /init of the test guest's initramfs (scripts/kernel-vm.sh builds it). Loads the virtio-9p and
# overlay modules, mounts the host's root (read-only 9p) under a tmpfs overlay, mounts the kernel's
# file systems there, and hands over to scripts/kernel-vm-guest.sh from the shared checkout.
/bin/busybox --install -s /bin
export PATH=/bin

halt() {
  echo "kernel-vm init: $*"
  echo o >/proc/sysrq-trigger
  sleep 30
}

mkdir -p /proc /sys /dev /ro /rw /newroot
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules/order); do
  insmod "/modules/$m.ko" || halt "cannot load module $m"
done

# The host's root, read-only; the guest's writes go to a tmpfs upper layer.
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /ro || halt "cannot mount the host root over 9p"
mount -t tmpfs -o size=75% tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/ro,upperdir=/rw/upper,workdir=/rw/work /newroot || halt "cannot mount the overlay root"

mkdir -p /newroot/kernel-vm
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 results /newroot/kernel-vm || halt "cannot mount the results share"
. /newroot/kernel-vm/job.env

mount -t proc proc /newroot/proc
mount -t sysfs sys /newroot/sys
mount -t devtmpfs dev /newroot/dev
mkdir -p /newroot/dev/shm && mount -t tmpfs tmpfs /newroot/dev/shm
mount -t tmpfs tmpfs /newroot/tmp
mount -t tmpfs tmpfs /newroot/run
# The project from a share of its own, at the same path: a checkout under /tmp or /run would
# otherwise be hidden by the fresh mounts above. Writes go to the tmpfs, as for the root.
mkdir -p /project-ro /rw/project-upper /rw/project-work "/newroot$REPO"
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose project /project-ro \
  || halt "cannot mount the project share"
mount -t overlay overlay -o lowerdir=/project-ro,upperdir=/rw/project-upper,workdir=/rw/project-work "/newroot$REPO" \
  || halt "cannot mount the project overlay at $REPO"
mount -t tracefs tracefs /newroot/sys/kernel/tracing
mount -t debugfs debugfs /newroot/sys/kernel/debug
mount -t bpf bpf /newroot/sys/fs/bpf
mount -t cgroup2 cgroup2 /newroot/sys/fs/cgroup
umount /proc /sys /dev 2>/dev/null

ip link set lo up
hostname "$HOST_NAME"
exec switch_root /newroot /bin/bash "$REPO/scripts/kernel-vm-guest.sh"
