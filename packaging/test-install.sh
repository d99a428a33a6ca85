#!/usr/bin/env bash
# Install the .deb in a clean Debian root and check it works there:
#   packaging/test-install.sh [path/to/swarmglass.deb]   (default: the one in target/packages/)
# First, on this machine: the three artifacts packaging/build.sh made hold the same files, and
# the .rpm's metadata (`rpm -qp --requires`) names what the binary links and loads.
# Then a minbase bookworm root (debootstrap, about 30 s) where, as an ordinary user:
#   1. an older version of the package is installed with apt (the same .deb relabelled
#      0.0.1-1: this is the first release, there is no older one to fetch), a simulator is
#      watched with history on and the config saved in the user's config directory;
#   2. the new .deb is installed over it with apt (its declared dependencies from Debian): the
#      config is byte for byte the same and the history still opens, with the old points;
#   3. inside it: --version, the man page and the completions, the desktop entry and the icon, a
#      headless snapshot of a simulator, and the demo window under Xvfb writing a non-blank
#      screenshot (Xvfb is the only thing added by hand);
#   4. `apt-get remove`, then `apt-get purge`: the program goes, the user's config and history
#      stay (they live in the home directory; purging is about the package's own files).
# Needs root (debootstrap, chroot), Debian's mirror (the one this machine's apt uses, else
# deb.debian.org; DEBIAN_MIRROR overrides) and dpkg-deb, rpm. Prints what it checked and saw.
set -euo pipefail
cd "$(dirname "$0")/.."

deb=${1:-$(ls -t target/packages/swarmglass_*.deb 2>/dev/null | head -1)}
[ -f "$deb" ] || {
  echo "no .deb: run packaging/build.sh deb first" >&2
  exit 2
}
root=${TEST_ROOT:-target/packages/test-root}
out=$(dirname "$deb")
start=$(date +%s)
# The mirror this machine's apt uses (deb822 sources, else a one-line sources.list entry).
mirror=${DEBIAN_MIRROR:-$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)}
mirror=${mirror:-$(sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) bookworm .*/\2/p' /etc/apt/sources.list 2>/dev/null | head -1)}
mirror=${mirror:-http://deb.debian.org/debian}

step() { echo "== $*"; }
fail() {
  echo "FAILED: $*" >&2
  exit 1
}
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }
# As the ordinary user `op`, in a login-like environment (HOME, XDG defaults).
as_op() { chroot --userspec=op:op "$root" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/home/op "$@"; }
apt_in_root() { in_root env DEBIAN_FRONTEND=noninteractive apt-get "$@"; }

# A chroot needs root with the right to mount (a VM or a full machine, not every container).
probe=$(mktemp -d)
if ! mount -t tmpfs none "$probe" 2>/dev/null; then
  rmdir "$probe"
  echo "== SKIPPED: the install test needs root with the right to mount (debootstrap, chroot); this machine has neither"
  exit 0
fi
umount "$probe" && rmdir "$probe"

step "the .deb, the .rpm and the .tar.gz hold the same files"
rpm_file=$(ls -t "$out"/swarmglass-*.rpm 2>/dev/null | head -1)
tar_file=$(ls -t "$out"/swarmglass-*-linux.tar.gz 2>/dev/null | head -1)
[ -f "$rpm_file" ] && [ -f "$tar_file" ] || fail "no .rpm or .tar.gz beside $deb: run packaging/build.sh all"
# cargo-deb adds the Debian copyright file; the tar adds its INSTALL.md.
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $NF}' | sed 's|^\./|/|' |
  grep -v '^/usr/share/doc/swarmglass/copyright$' | sort >"$out/files.deb"
rpm -qlp "$rpm_file" 2>/dev/null | sort >"$out/files.rpm"
tar -tzf "$tar_file" | grep -v '/$' | sed 's|^[^/]*/|/|' | grep -v '^/INSTALL.md$' | sort >"$out/files.tar"
diff -u "$out/files.deb" "$out/files.rpm" || fail "the .deb and the .rpm differ"
diff -u "$out/files.deb" "$out/files.tar" || fail "the .deb and the .tar.gz differ"
echo "  $(wc -l <"$out/files.deb") files in each"

step "rpm -qp --requires $(basename "$rpm_file")"
rpm -qp --requires "$rpm_file" 2>/dev/null | tee "$out/rpm-requires.txt" | sed 's/^/  /'
for need in 'libc.so.6(GLIBC_' 'libGL.so.1()(64bit)' 'libEGL.so.1()(64bit)' 'libX11.so.6()(64bit)' \
  'libxkbcommon-x11.so.0()(64bit)' 'libwayland-client.so.0()(64bit)' 'ca-certificates'; do
  grep -qF "$need" "$out/rpm-requires.txt" || fail "the rpm does not require $need"
done
cleanup() {
  for m in proc sys dev; do umount -lf "$root/$m" 2>/dev/null || true; done
}
trap cleanup EXIT

if [ ! -x "$root/usr/bin/apt-get" ]; then
  step "debootstrap --variant=minbase bookworm $root"
  rm -rf "$root"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >/dev/null
fi
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --rbind /dev "$root/dev"
cp /etc/resolv.conf "$root/etc/resolv.conf"

# A root kept from an earlier run starts without the package and without the user.
apt_in_root purge -y -qq swarmglass >/dev/null 2>&1 || true
in_root userdel -r op >/dev/null 2>&1 || true
in_root useradd -m op

step "an older version (the same .deb relabelled 0.0.1-1), used by op with history on"
rm -rf "$out/old"
dpkg-deb -R "$deb" "$out/old"
sed -i 's/^Version: .*/Version: 0.0.1-1/' "$out/old/DEBIAN/control"
dpkg-deb -b "$out/old" "$root/tmp/swarmglass-old.deb" >/dev/null
rm -rf "$out/old"
apt_in_root update -qq
apt_in_root install -y -qq /tmp/swarmglass-old.deb >/dev/null
in_root dpkg-query -W swarmglass | sed 's/^/  installed: /'
# A simulator, its config saved where the program looks by default, one snapshot recording
# history into the default data directory.
as_op sh -c 'rm -f /tmp/op-sim.toml; swarmglass sim --write-config /tmp/op-sim.toml >/tmp/op-sim.log 2>&1 & sim=$!;
  for _ in $(seq 20); do [ -s /tmp/op-sim.toml ] && break; sleep 0.5; done;
  mkdir -p ~/.config/swarmglass && cp /tmp/op-sim.toml ~/.config/swarmglass/swarmglass.toml;
  swarmglass snapshot --duration 4s >/dev/null; kill $sim'
config=/home/op/.config/swarmglass/swarmglass.toml
before_sum=$(sha256sum "$root$config" | cut -d" " -f1)
as_op swarmglass history info >"$out/history-before.txt"
sed 's/^/  /' "$out/history-before.txt"
grep -Eq '^series: +[1-9]' "$out/history-before.txt" || fail "no history after the snapshot"

step "apt install ./$(basename "$deb") over it (its declared dependencies from Debian)"
cp "$deb" "$root/tmp/swarmglass.deb"
apt_in_root install -y -qq /tmp/swarmglass.deb >/dev/null
in_root dpkg-query -W swarmglass | sed 's/^/  installed: /'
in_root dpkg-query -W swarmglass | grep -q 0.0.1-1 && fail "the upgrade did not happen"
[ "$(sha256sum "$root$config" | cut -d" " -f1)" = "$before_sum" ] || fail "the upgrade changed $config"
echo "  $config: unchanged"
as_op swarmglass history info >"$out/history-after.txt"
oldest() { grep -i "oldest" "$1" | head -1; }
oldest "$out/history-before.txt" | grep -q '[0-9]' || fail "history info names no oldest point"
[ "$(oldest "$out/history-before.txt")" = "$(oldest "$out/history-after.txt")" ] ||
  fail "the history's oldest point changed over the upgrade"
echo "  history: opens after the upgrade, $(oldest "$out/history-after.txt" | sed 's/^ *//')"

step "swarmglass --version"
in_root swarmglass --version

step "man page, completions, desktop entry, icon, metainfo, units, example config, licences"
for f in /usr/share/man/man1/swarmglass.1.gz /usr/share/bash-completion/completions/swarmglass \
  /usr/share/zsh/vendor-completions/_swarmglass /usr/share/fish/vendor_completions.d/swarmglass.fish \
  /usr/share/applications/swarmglass.desktop /usr/share/icons/hicolor/256x256/apps/swarmglass.png \
  /usr/share/icons/hicolor/scalable/apps/swarmglass.svg \
  /usr/share/metainfo/io.github.swarmglass.Swarmglass.metainfo.xml \
  /usr/lib/systemd/system/swarmglass-agent.service /usr/lib/systemd/user/swarmglass-watch.service \
  /usr/share/doc/swarmglass/swarmglass.example.toml /usr/share/doc/swarmglass/LICENSE-MIT \
  /usr/share/doc/swarmglass/LICENSE-APACHE; do
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
cp "$root/tmp/demo.png" "$out/test-install-demo.png"

step "apt-get remove; installed again, apt-get purge: the program goes, op's config and history stay"
data=/home/op/.local/share/swarmglass
kept() { [ "$(sha256sum "$root$config" | cut -d" " -f1)" = "$before_sum" ] && [ -s "$root$data/history.redb" ]; }
apt_in_root remove -y -qq swarmglass >/dev/null
[ ! -e "$root/usr/bin/swarmglass" ] || fail "remove left the binary"
kept || fail "remove took the user's data"
echo "  removed: $config and $data/history.redb still there"
apt_in_root install -y -qq /tmp/swarmglass.deb >/dev/null
apt_in_root purge -y -qq swarmglass >/dev/null
[ ! -e "$root/usr/bin/swarmglass" ] && [ ! -e "$root/usr/share/doc/swarmglass" ] || fail "purge left the package's files"
kept || fail "purge took the user's data"
echo "  purged: $config and $data/history.redb still there"

echo "== passed in $(($(date +%s) - start)) s; screenshot: $out/test-install-demo.png"
