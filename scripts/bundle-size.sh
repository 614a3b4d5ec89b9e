#!/usr/bin/env bash
# Builds the release bundle and prints the size of the WASM and JS glue, raw and brotli-compressed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$ROOT/scripts/setup.sh"
command -v brotli >/dev/null || { sudo_cmd=""; [[ $(id -u) -ne 0 ]] && sudo_cmd=sudo; $sudo_cmd apt-get install -y -q brotli; }
cd "$ROOT"
cargo leptos build --release >&2
for f in target/site/pkg/dealchat.wasm target/site/pkg/dealchat.js; do
  raw=$(stat -c %s "$f")
  br=$(brotli -c -q 11 "$f" | wc -c)
  printf '%-32s raw %8d B (%6.1f KiB)   brotli %8d B (%6.1f KiB)\n' "$f" "$raw" "$(echo "$raw/1024" | bc -l)" "$br" "$(echo "$br/1024" | bc -l)"
done
