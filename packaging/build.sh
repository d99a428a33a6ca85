#!/usr/bin/env bash
# Build installable artifacts into target/packages/:
#   packaging/build.sh [deb|tar|all]      (default: all)
# One build of the binary (PROFILE, default `dist`: LTO, stripped, see Cargo.toml), then the
# files a package installs besides it, generated from that binary (man pages, completions),
# then each artifact. Tools are installed pinned when missing (cargo-deb).
# rpm (cargo-generate-rpm) is not built yet: see the README's Install section.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_DEB_VERSION=3.8.0
PROFILE=${PROFILE:-dist}
what=${1:-all}
case "$what" in deb | tar | all) ;; *)
  echo "usage: packaging/build.sh [deb|tar|all]" >&2
  exit 2
  ;;
esac

out=target/packages
stage=$out/stage
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
arch=$(uname -m)

echo "== building the binary (profile $PROFILE)"
cargo build --locked --profile "$PROFILE" --bin swarmglass
bin=target/$PROFILE/swarmglass
[ "$PROFILE" = dev ] && bin=target/debug/swarmglass

echo "== generating man pages and completions from the binary"
rm -rf "$stage"
mkdir -p "$stage/completions"
"$bin" generate man --out "$stage/man" >/dev/null
gzip -9n "$stage"/man/*.1
"$bin" generate completions bash >"$stage/completions/swarmglass.bash"
"$bin" generate completions zsh >"$stage/completions/_swarmglass"
"$bin" generate completions fish >"$stage/completions/swarmglass.fish"

if [ "$what" = deb ] || [ "$what" = all ]; then
  if ! cargo deb --version 2>/dev/null | grep -q "$CARGO_DEB_VERSION"; then
    echo "== installing cargo-deb $CARGO_DEB_VERSION"
    cargo install cargo-deb --version "$CARGO_DEB_VERSION" --locked
  fi
  echo "== .deb"
  cargo deb --no-build --profile "$PROFILE" --output "$out/"
fi

if [ "$what" = tar ] || [ "$what" = all ]; then
  echo "== .tar.gz"
  name=swarmglass-$version-$arch-linux
  root=$out/$name
  rm -rf "$root"
  install -Dm755 "$bin" "$root/usr/bin/swarmglass"
  install -Dm644 packaging/linux/swarmglass.desktop "$root/usr/share/applications/swarmglass.desktop"
  install -Dm644 packaging/linux/io.github.swarmglass.Swarmglass.metainfo.xml \
    "$root/usr/share/metainfo/io.github.swarmglass.Swarmglass.metainfo.xml"
  for d in assets/icons/hicolor/*/apps; do
    size=$(basename "$(dirname "$d")")
    install -Dm644 "$d/swarmglass.png" "$root/usr/share/icons/hicolor/$size/apps/swarmglass.png"
  done
  install -Dm644 assets/icon.svg "$root/usr/share/icons/hicolor/scalable/apps/swarmglass.svg"
  for m in "$stage"/man/*.1.gz; do
    install -Dm644 "$m" "$root/usr/share/man/man1/$(basename "$m")"
  done
  install -Dm644 "$stage/completions/swarmglass.bash" "$root/usr/share/bash-completion/completions/swarmglass"
  install -Dm644 "$stage/completions/_swarmglass" "$root/usr/share/zsh/vendor-completions/_swarmglass"
  install -Dm644 "$stage/completions/swarmglass.fish" "$root/usr/share/fish/vendor_completions.d/swarmglass.fish"
  install -Dm644 config/swarmglass.example.toml "$root/usr/share/doc/swarmglass/swarmglass.example.toml"
  install -Dm644 README.md "$root/usr/share/doc/swarmglass/README.md"
  install -Dm644 packaging/systemd/swarmglass-agent.service "$root/usr/lib/systemd/system/swarmglass-agent.service"
  install -Dm644 packaging/systemd/swarmglass-watch.service "$root/usr/lib/systemd/user/swarmglass-watch.service"
  install -Dm644 packaging/INSTALL-tar.md "$root/INSTALL.md"
  tar -C "$out" --owner=0 --group=0 -czf "$out/$name.tar.gz" "$name"
fi

echo "== artifacts"
ls -l "$out"/*.deb "$out"/*.tar.gz 2>/dev/null || true
