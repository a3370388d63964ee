#!/usr/bin/env bash
# Installs or upgrades tcptrace as a systemd service run by the system user 'tcptrace' with
# only CAP_BPF, CAP_PERFMON and CAP_DAC_READ_SEARCH (see deploy/tcptrace.service). As root,
# from a checkout:  sudo deploy/install.sh
# Upgrading: run it again. The restart stops the old version with SIGTERM (it delivers what it
# buffered, or spools it under /var/lib/tcptrace) and the new version replays the spool.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "install: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  echo "tcptrace: install.sh must run as root (it creates a user and installs a service): use sudo" >&2
  exit 1
fi

./tcptrace build   # installs what is missing, rebuilds target/tcptrace.jar if sources changed

if ! id tcptrace >/dev/null 2>&1; then
  say "creating system user tcptrace"
  useradd --system --user-group --home-dir /var/lib/tcptrace --no-create-home \
    --shell /usr/sbin/nologin --comment "tcptrace service" tcptrace
fi

install -d -m 0755 /opt/tcptrace /opt/tcptrace/routes /opt/tcptrace/bpf
# A new inode: a running tcptrace keeps reading the jar it opened until it is restarted.
install -m 0644 target/tcptrace.jar /opt/tcptrace/tcptrace.jar.new
mv -f /opt/tcptrace/tcptrace.jar.new /opt/tcptrace/tcptrace.jar
for f in routes/*.yaml; do
  dest=/opt/tcptrace/routes/$(basename "$f")
  if [ -f "$dest" ] && ! cmp -s "$f" "$dest"; then
    cp -p "$dest" "$dest.bak"
    say "$dest differs from this version: replaced, the old one is in $dest.bak"
  fi
  install -m 0644 "$f" "$dest"
done
install -m 0644 bpf/tcpconnect.bpf.c /opt/tcptrace/bpf/   # reference copy; the jar holds the one used

if [ ! -e /etc/default/tcptrace ]; then
  install -m 0600 /dev/null /etc/default/tcptrace
  cat > /etc/default/tcptrace <<'DEFAULTS'
# tcptrace settings (environment variables, see README "Configuration"). Read by systemd as root.
# SPLUNK_HEC_URL=https://splunk.example:8088
# SPLUNK_HEC_TOKEN=
# KAFKA_BROKERS=kafka1:9092
# TCPTRACE_SINKS=file,splunk
DEFAULTS
fi

install -m 0644 deploy/tcptrace.service /etc/systemd/system/tcptrace.service
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable --quiet tcptrace.service
  systemctl restart tcptrace.service
  say "tcptrace.service (re)started: journalctl -u tcptrace -f"
else
  say "systemd is not running here: unit installed, start it with 'systemctl start tcptrace' on boot"
fi
