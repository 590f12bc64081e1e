#!/usr/bin/env bash
# Set-up that `npm start` and `npm test` run first. Idempotent, and quick when
# everything is present. Installs, in order:
#   - the wasm32 target and the std source (rustup; Debian's rustc-web as a
#     fallback when rustup cannot fetch),
#   - the wasm-bindgen CLI of exactly the crate's version, into .tools/,
#   - the pinned npm dev tools (npm ci),
#   - with --browser: Chromium and ChromeDriver for the browser tests.
# When something is missing and cannot be installed, it says what to install.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
TOOLS="$ROOT/.tools"
mkdir -p "$TOOLS/bin"

say() { printf '[natter] %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }
apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then
    apt-get update -qq >/dev/null 2>&1 || true
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1
}

want_browser=""
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=1 ;;
    *) die "bootstrap: unknown option $arg" ;;
  esac
done

# --- Node -------------------------------------------------------------------
command -v node >/dev/null 2>&1 || die "Node.js 20 or newer is required: install it from nodejs.org or your package manager."
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "Node.js 20 or newer is required (found $(node --version))."

# --- Rust for wasm32 ----------------------------------------------------------
# The choice is written to .tools/toolchain.env for the build and test scripts.
RUSTUP_TIMEOUT=${NATTER_RUSTUP_TIMEOUT:-120}
debian_library() { ls -d /usr/src/rustc-*/library 2>/dev/null | sort -V | tail -n 1; }

rustup_ready() {
  command -v rustup >/dev/null 2>&1 || return 1
  rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown || return 1
  rustup component list --installed 2>/dev/null | grep -q '^rust-src' || return 1
}

use_rustup() {
  rustup_ready && return 0
  command -v rustup >/dev/null 2>&1 || return 1
  say "adding the wasm32 target and rust-src with rustup"
  timeout "$RUSTUP_TIMEOUT" rustup target add wasm32-unknown-unknown >&2 || return 1
  timeout "$RUSTUP_TIMEOUT" rustup component add rust-src >&2 || return 1
  rustup_ready
}

use_debian() {
  if [ -x /usr/bin/rustc ] && /usr/bin/rustc --version 2>/dev/null | grep -q . && [ -n "$(debian_library)" ] \
    && [ -x /usr/bin/cargo ] && command -v lld-22 >/dev/null 2>&1; then
    return 0
  fi
  can_apt || return 1
  say "rustup could not fetch the wasm32 target: installing Debian's rustc-web instead"
  apt_install rustc-web cargo-web rust-web-src lld-22 || return 1
  [ -n "$(debian_library)" ]
}

toolchain=${NATTER_TOOLCHAIN:-}
if [ "$toolchain" != debian ] && use_rustup; then
  toolchain=rustup
elif use_debian; then
  toolchain=debian
else
  die "no Rust toolchain for wasm32: install rustup (https://rustup.rs) and run 'rustup target add wasm32-unknown-unknown && rustup component add rust-src'."
fi
echo "NATTER_TOOLCHAIN=$toolchain" > "$TOOLS/toolchain.env"
if [ "$toolchain" = debian ]; then
  export PATH="/usr/bin:$PATH"
fi
command -v cargo >/dev/null 2>&1 || die "cargo is missing: install Rust with rustup (https://rustup.rs)."

# --- wasm-bindgen CLI, pinned to the crate's exact version --------------------
bindgen_version=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)"/\1/p' Cargo.toml)
[ -n "$bindgen_version" ] || die "Cargo.toml must pin wasm-bindgen with '=x.y.z'."
if [ "$("$TOOLS/bin/wasm-bindgen" --version 2>/dev/null)" != "wasm-bindgen $bindgen_version" ]; then
  say "installing wasm-bindgen-cli $bindgen_version into .tools (a few minutes, once)"
  # Not --locked: the CLI's lockfile names a webpki-roots release some
  # registry mirrors lack; the version itself is pinned exactly.
  cargo install -q wasm-bindgen-cli --version "$bindgen_version" --root "$TOOLS" --force \
    || die "could not install wasm-bindgen-cli $bindgen_version: check access to crates.io."
fi

# --- npm dev tools --------------------------------------------------------------
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dev tools (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >&2 || die "npm ci failed: check access to the npm registry."
fi

# --- Chromium and ChromeDriver for the browser tests -------------------------
if [ -n "$want_browser" ]; then
  chrome=${CHROME_PATH:-/usr/bin/chromium}
  driver=${CHROMEDRIVER:-/usr/bin/chromedriver}
  if { [ ! -x "$chrome" ] || [ ! -x "$driver" ]; } && [ -z "${CHROME_PATH:-}${CHROMEDRIVER:-}" ] && can_apt; then
    say "installing Chromium and ChromeDriver (Debian packages)"
    apt_install chromium chromium-driver || true
  fi
  [ -x "$chrome" ] || die "Chromium is missing: install it (Debian: apt-get install chromium chromium-driver) or set CHROME_PATH to a Chrome/Chromium binary."
  [ -x "$driver" ] || die "ChromeDriver is missing: install it (Debian: apt-get install chromium-driver) or set CHROMEDRIVER to a chromedriver matching your Chrome."
fi
