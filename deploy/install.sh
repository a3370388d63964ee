#!/usr/bin/env bash
# Installs or upgrades tcptrace from a checkout: builds the Debian package tcptrace-agent
# (./tcptrace package deb), installs it with apt (which pulls its dependencies), then enables and
# (re)starts tcptrace.service. As root:  sudo deploy/install.sh
# The service runs as the system user 'tcptrace' with only CAP_BPF, CAP_PERFMON and
# CAP_DAC_READ_SEARCH (deploy/tcptrace.service). Upgrading: run it again; the restart stops the
# old version with SIGTERM (it delivers what it buffered, or spools it under /var/lib/tcptrace) and
# the new version replays the spool.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "install: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  echo "tcptrace: install.sh must run as root (it installs a package and a service): use sudo" >&2
  exit 1
fi

./tcptrace package deb
deb=$(ls -t target/tcptrace-agent_*_all.deb | head -1)
# confold: conffiles the administrator edited are kept without a question.
apt-get install -y -qq -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "./$deb" >/dev/null

# Installations by the install.sh of before the package: their unit in /etc/systemd/system would
# hide the package's, and their settings were in /etc/default/tcptrace.
if [ -f /etc/systemd/system/tcptrace.service ] && grep -q /opt/tcptrace /etc/systemd/system/tcptrace.service; then
  rm -f /etc/systemd/system/tcptrace.service
  say "removed the old /etc/systemd/system/tcptrace.service; /opt/tcptrace is no longer used (remove it when you like)"
fi
if [ -f /etc/default/tcptrace ] && ! grep -q '^[A-Z]' /etc/tcptrace/tcptrace.env; then
  install -m 0600 /etc/default/tcptrace /etc/tcptrace/tcptrace.env
  say "settings copied from /etc/default/tcptrace to /etc/tcptrace/tcptrace.env"
fi

if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable --quiet tcptrace.service
  systemctl restart tcptrace.service
  say "tcptrace.service (re)started: journalctl -u tcptrace -f"
else
  say "systemd is not running here: tcptrace-agent installed, start it with 'systemctl start tcptrace' on boot"
fi
