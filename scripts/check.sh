#!/usr/bin/env bash
# The one check: formatting, lints as errors, then the whole test suite. CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy (warnings are errors)"
cargo clippy --all-targets --locked -- -D warnings

# Windows' code paths (the tray, notifications, Ctrl-C) are checked from here too: clippy for
# the windows-gnu target needs only its standard library and MinGW's C compiler (aws-lc-sys),
# both installed by .ci/run. macOS cannot be checked here (its C dependencies need Apple's SDK):
# the release workflow builds it.
if rustup target list --installed 2>/dev/null | grep -qx x86_64-pc-windows-gnu &&
  command -v x86_64-w64-mingw32-gcc >/dev/null; then
  echo "== cargo clippy --target x86_64-pc-windows-gnu (warnings are errors)"
  cargo clippy --target x86_64-pc-windows-gnu --bin swarmglass --locked -- -D warnings
elif [ "${CI:-}" = true ] && ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
  echo "the Windows check needs gcc-mingw-w64-x86-64 (.ci/run installs it)" >&2
  exit 1
elif [ "${CI:-}" = true ]; then
  # rustup fetches the target from static.rust-lang.org, which a CI limited to the package
  # registries may not reach: said loudly, not a failure of the project's own checks.
  echo "== SKIPPED UNDER CI: the Windows check (rustup could not install x86_64-pc-windows-gnu here)"
else
  echo "== SKIPPED: the Windows check (rustup target add x86_64-pc-windows-gnu; apt install gcc-mingw-w64-x86-64)"
fi

echo "== cargo test"
cargo test --all-targets --locked

# The packages, built and installed on a clean Debian (packaging/test-install.sh: the three
# artifacts' files, the rpm's requires, upgrade over an older .deb, the program inside, removal).
# It needs root, debootstrap, rpm, Debian's mirror and a release build (about 13 minutes cold on
# two cores), so it runs under CI (.ci/run installs the tools) or when asked for.
if [ "${CI:-}" = true ] || [ "${SWARMGLASS_PACKAGE_TEST:-}" = 1 ]; then
  echo "== packaging/build.sh all (release profile) and packaging/test-install.sh"
  PROFILE=release packaging/build.sh all
  packaging/test-install.sh
else
  echo "== SKIPPED: the install test (SWARMGLASS_PACKAGE_TEST=1 scripts/check.sh runs it; CI always does)"
fi
