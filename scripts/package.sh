#!/usr/bin/env bash
# ./tcptrace package [deb] [image] [chart]: builds, from the jar of ./tcptrace build, into target/
#   tcptrace-agent_VERSION_all.deb   the Debian package (deploy/debian), checked by lintian
#   tcptrace-image-VERSION.tar       an OCI image archive (deploy/image/build.sh)
#   tcptrace-chart-VERSION.tgz       the Helm chart (deploy/helm/tcptrace), routes included
# Reproducible where the tools allow: SOURCE_DATE_EPOCH defaults to the last commit's time.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "package: $*" >&2; }

pom_version=$(sed -n 's:^    <version>\(.*\)</version>$:\1:p' pom.xml | head -1)
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
# A snapshot's Debian version sorts below the release (~) and above older snapshots (commit time).
if [[ $pom_version == *-SNAPSHOT ]]; then
  deb_version="${pom_version%-SNAPSHOT}~snapshot.$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%d%H%M%S).$commit"
else
  deb_version=$pom_version
fi

deb() {
  local stage=target/deb/tcptrace-agent-$deb_version
  rm -rf target/deb target/tcptrace-agent_*.deb
  mkdir -p "$stage"
  cp -r deploy/debian "$stage/debian"
  cp deploy/tcptrace.service "$stage/debian/tcptrace-agent.tcptrace.service"
  cp target/tcptrace.jar deploy/jvm.options deploy/tcptrace-agent "$stage/"
  cp -r routes "$stage/routes"
  cat > "$stage/debian/changelog" <<CHANGES
tcptrace-agent ($deb_version) unstable; urgency=medium

  * Built from commit $commit of tcptrace.

 -- tcptrace developers <dev@tcptrace.invalid>  $(date -u -R -d "@$SOURCE_DATE_EPOCH")
CHANGES
  say "building tcptrace-agent $deb_version"
  (cd "$stage" && dpkg-buildpackage -b --no-sign) >target/deb/build.log 2>&1 \
    || { tail -20 target/deb/build.log >&2; echo "tcptrace: the Debian package did not build: see target/deb/build.log" >&2; exit 1; }
  mv target/deb/tcptrace-agent_"$deb_version"_all.deb target/
  # Debian's own checker; its overrides are in deploy/debian/*.lintian-overrides, with reasons.
  lintian --fail-on error,warning --suppress-tags-from-file /dev/null "target/tcptrace-agent_${deb_version}_all.deb" \
    || { echo "tcptrace: lintian found problems in the package (above)" >&2; exit 1; }
  say "target/tcptrace-agent_${deb_version}_all.deb"
}

# A chart archive is the chart's directory in a gzipped tar (what helm package writes); the
# symlink to routes/ is followed, so the archive holds the routes themselves.
chart() {
  local out=target/tcptrace-chart-$pom_version.tgz
  grep -qx "version: $pom_version" deploy/helm/tcptrace/Chart.yaml \
    || { echo "tcptrace: deploy/helm/tcptrace/Chart.yaml's version is not the pom's $pom_version: change it there" >&2; exit 1; }
  tar -C deploy/helm --dereference --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
    --exclude-from=<(sed -n 's:^\([^#].*\):\1:p' deploy/helm/tcptrace/.helmignore) -cf - tcptrace | gzip -n -9 > "$out"
  say "$out"
}

image() {
  bash deploy/image/build.sh "$pom_version" "target/tcptrace-image-$pom_version.tar"
}

what=("$@")
[ ${#what[@]} -gt 0 ] || what=(deb image chart)
for w in "${what[@]}"; do
  case "$w" in
    deb) deb ;;
    image) image ;;
    chart) chart ;;
    *) echo "tcptrace: package builds 'deb', 'image' or 'chart', not '$w'" >&2; exit 2 ;;
  esac
done
