#!/usr/bin/env bash
# Build installable artifacts into target/packages/:
#   packaging/build.sh [deb|rpm|tar|all]      (default: all)
# One build of the binary (PROFILE, default `dist`: LTO, stripped, see Cargo.toml), then one
# staged install tree, target/packages/root/usr/..., holding every file a package installs: the
# binary, the man pages and completions generated from it, the desktop entry, metainfo, icons,
# units and docs. Each artifact is made from that one tree: the .deb (cargo-deb) and the .rpm
# (cargo-generate-rpm) take it through the globs in Cargo.toml, the .tar.gz is the tree itself.
# Their runtime dependencies are declared in Cargo.toml beside the globs. Tools are installed
# pinned when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_DEB_VERSION=3.8.0
CARGO_GENERATE_RPM_VERSION=0.16.1
PROFILE=${PROFILE:-dist}
what=${1:-all}
case "$what" in deb | rpm | tar | all) ;; *)
  echo "usage: packaging/build.sh [deb|rpm|tar|all]" >&2
  exit 2
  ;;
esac
wants() { [ "$what" = "$1" ] || [ "$what" = all ]; }

out=target/packages
root=$out/root
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
arch=$(uname -m)
start=$(date +%s)

echo "== building the binary (profile $PROFILE)"
cargo build --locked --profile "$PROFILE" --bin swarmglass
target_dir=${CARGO_TARGET_DIR:-target}
bin=$target_dir/$PROFILE/swarmglass
[ "$PROFILE" = dev ] && bin=$target_dir/debug/swarmglass

echo "== staging the install tree in $root"
rm -rf "$root"
share=$root/usr/share
install -Dm755 -s "$bin" "$root/usr/bin/swarmglass"
mkdir -p "$share/man/man1"
"$bin" generate man --out "$share/man/man1" >/dev/null
gzip -9n "$share"/man/man1/*.1
install -d "$share/bash-completion/completions" "$share/zsh/vendor-completions" \
  "$share/fish/vendor_completions.d"
"$bin" generate completions bash >"$share/bash-completion/completions/swarmglass"
"$bin" generate completions zsh >"$share/zsh/vendor-completions/_swarmglass"
"$bin" generate completions fish >"$share/fish/vendor_completions.d/swarmglass.fish"
install -Dm644 packaging/linux/swarmglass.desktop "$share/applications/swarmglass.desktop"
install -Dm644 packaging/linux/io.github.swarmglass.Swarmglass.metainfo.xml \
  "$share/metainfo/io.github.swarmglass.Swarmglass.metainfo.xml"
for d in assets/icons/hicolor/*/apps; do
  size=$(basename "$(dirname "$d")")
  install -Dm644 "$d/swarmglass.png" "$share/icons/hicolor/$size/apps/swarmglass.png"
done
install -Dm644 assets/icon.svg "$share/icons/hicolor/scalable/apps/swarmglass.svg"
install -Dm644 config/swarmglass.example.toml "$share/doc/swarmglass/swarmglass.example.toml"
install -Dm644 README.md "$share/doc/swarmglass/README.md"
install -Dm644 LICENSE-MIT "$share/doc/swarmglass/LICENSE-MIT"
install -Dm644 LICENSE-APACHE "$share/doc/swarmglass/LICENSE-APACHE"
install -Dm644 packaging/systemd/swarmglass-agent.service "$root/usr/lib/systemd/system/swarmglass-agent.service"
install -Dm644 packaging/systemd/swarmglass-watch.service "$root/usr/lib/systemd/user/swarmglass-watch.service"

if wants deb; then
  if ! cargo deb --version 2>/dev/null | grep -q "$CARGO_DEB_VERSION"; then
    echo "== installing cargo-deb $CARGO_DEB_VERSION"
    cargo install cargo-deb --version "$CARGO_DEB_VERSION" --locked
  fi
  echo "== .deb"
  rm -f "$out"/swarmglass_*.deb
  cargo deb --no-build --profile "$PROFILE" --output "$out/"
fi

if wants rpm; then
  if ! cargo generate-rpm --version 2>/dev/null | grep -q "$CARGO_GENERATE_RPM_VERSION"; then
    echo "== installing cargo-generate-rpm $CARGO_GENERATE_RPM_VERSION"
    cargo install cargo-generate-rpm --version "$CARGO_GENERATE_RPM_VERSION" --locked
  fi
  echo "== .rpm"
  rm -f "$out"/swarmglass-*.rpm
  # --auto-req builtin: the libraries the binary links, by soname (ldd), on any build host;
  # the ones it loads at run time are listed in Cargo.toml.
  cargo generate-rpm --profile "$PROFILE" --auto-req builtin --output "$out/"
fi

if wants tar; then
  echo "== .tar.gz"
  name=swarmglass-$version-$arch-linux
  rm -rf "${out:?}/$name" "$out/$name.tar.gz"
  cp -a "$root" "$out/$name"
  install -Dm644 packaging/INSTALL-tar.md "$out/$name/INSTALL.md"
  tar -C "$out" --owner=0 --group=0 --sort=name -czf "$out/$name.tar.gz" "$name"
  rm -rf "${out:?}/$name"
fi

echo "== artifacts (profile $PROFILE, $(($(date +%s) - start)) s)"
ls -l "$out"/*.deb "$out"/*.rpm "$out"/*.tar.gz 2>/dev/null || true
