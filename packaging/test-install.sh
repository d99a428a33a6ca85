#!/usr/bin/env bash
# Install the .deb in a clean Debian root and check it works there:
#   packaging/test-install.sh [path/to/swarmglass.deb]   (default: the one in target/packages/)
# A minbase bookworm root (debootstrap, about 30 s), the package installed with apt so that its
# declared dependencies are resolved from Debian, then inside: --version, the man page and the
# completions, the desktop entry and the icon, a headless snapshot of a simulator, and the demo
# window under Xvfb writing a non-blank screenshot (Xvfb is the only thing added by hand).
# Needs root (debootstrap, chroot) and Debian's mirror. Prints what it checked and saw.
set -euo pipefail
cd "$(dirname "$0")/.."

deb=${1:-$(ls -t target/packages/swarmglass_*.deb 2>/dev/null | head -1)}
[ -f "$deb" ] || {
  echo "no .deb: run packaging/build.sh deb first" >&2
  exit 2
}
root=${TEST_ROOT:-target/packages/test-root}
start=$(date +%s)

step() { echo "== $*"; }
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }
cleanup() {
  for m in proc sys dev; do umount -lf "$root/$m" 2>/dev/null || true; done
}
trap cleanup EXIT

if [ ! -x "$root/usr/bin/apt-get" ]; then
  step "debootstrap --variant=minbase bookworm $root"
  rm -rf "$root"
  debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >/dev/null
fi
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --rbind /dev "$root/dev"
cp /etc/resolv.conf "$root/etc/resolv.conf"

step "apt install ./$(basename "$deb") (its declared dependencies from Debian)"
cp "$deb" "$root/tmp/swarmglass.deb"
in_root apt-get update -qq
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq /tmp/swarmglass.deb >/dev/null

step "swarmglass --version"
in_root swarmglass --version

step "man page, completions, desktop entry, icon, metainfo, units, example config"
for f in /usr/share/man/man1/swarmglass.1.gz /usr/share/bash-completion/completions/swarmglass \
  /usr/share/zsh/vendor-completions/_swarmglass /usr/share/fish/vendor_completions.d/swarmglass.fish \
  /usr/share/applications/swarmglass.desktop /usr/share/icons/hicolor/256x256/apps/swarmglass.png \
  /usr/share/icons/hicolor/scalable/apps/swarmglass.svg \
  /usr/share/metainfo/io.github.swarmglass.Swarmglass.metainfo.xml \
  /usr/lib/systemd/system/swarmglass-agent.service /usr/lib/systemd/user/swarmglass-watch.service \
  /usr/share/doc/swarmglass/swarmglass.example.toml; do
  [ -s "$root$f" ] || {
    echo "missing: $f" >&2
    exit 1
  }
  echo "  $f"
done
zcat "$root/usr/share/man/man1/swarmglass.1.gz" | grep -q '^.TH' || {
  echo "the man page is not roff" >&2
  exit 1
}

step "a headless snapshot of a simulator, inside the root"
in_root sh -c 'rm -f /tmp/sim.toml; swarmglass sim --write-config /tmp/sim.toml >/tmp/sim.log 2>&1 & sim=$!;
  for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s /tmp/sim.toml ] && break; sleep 0.5; done;
  swarmglass snapshot --config /tmp/sim.toml --no-history --duration 4s >/tmp/snap.txt;
  kill $sim; head -2 /tmp/snap.txt; grep -q "2/2 nodes up" /tmp/snap.txt'

step "the demo window under Xvfb (Xvfb added by hand), a non-blank screenshot"
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xvfb xauth >/dev/null
in_root sh -c 'xvfb-run -a -s "-screen 0 1280x800x24" swarmglass demo --no-history \
  --size 1280x800 --screenshot /tmp/demo.png --screenshot-after 10s'
size=$(stat -c %s "$root/tmp/demo.png")
echo "  /tmp/demo.png: $size bytes"
[ "$size" -gt 20000 ] || {
  echo "the screenshot is blank or missing" >&2
  exit 1
}
cp "$root/tmp/demo.png" target/packages/test-install-demo.png

echo "== passed in $(($(date +%s) - start)) s; screenshot: target/packages/test-install-demo.png"
