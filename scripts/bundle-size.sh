#!/usr/bin/env bash
# Builds the release bundle as scripts/run.sh serves it (split into lazily loaded chunks) and prints
# every file's size, raw and brotli-compressed, then what a first visit downloads per entry: the core
# (main module, its JS glue and the chunk loader) plus the chunks the page's lazy code needs
# (`__wasm_split_manifest.json`). `--no-build` measures the last build as it is.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
# The sizes are brotli's at its best level, measured with Debian's brotli (also for --no-build).
command -v brotli >/dev/null || { sudo_cmd=""; [[ $(id -u) -ne 0 ]] && sudo_cmd=sudo; $sudo_cmd apt-get install -y -q brotli >&2; }
if [[ "${1:-}" != "--no-build" ]]; then
  "$ROOT/scripts/setup.sh"
  cargo leptos build --release --split --precompress >&2
fi
python3 - "$ROOT/target/site/pkg" <<'EOF'
import json, pathlib, subprocess, sys

pkg = pathlib.Path(sys.argv[1])
sizes = {}
for f in sorted(pkg.iterdir()):
    if f.suffix in (".wasm", ".js"):
        br = len(subprocess.run(["brotli", "-c", "-q", "11", str(f)], capture_output=True, check=True).stdout)
        sizes[f.name] = (f.stat().st_size, br)

def kib(b):
    return f"{b / 1024:7.1f} KiB"

print(f"{'file':58} {'raw':>10} {'brotli':>10}")
for name, (raw, br) in sizes.items():
    print(f"{name:58} {raw:10,} {br:10,}")
print(f"{'all files':58} {sum(r for r, _ in sizes.values()):10,} {sum(b for _, b in sizes.values()):10,}")

core = [n for n in sizes if n.startswith("dealchat.") or n.startswith("__wasm_split")]
core_br = sum(sizes[n][1] for n in core)
manifest_file = pkg / "__wasm_split_manifest.json"
manifest = json.loads(manifest_file.read_text()) if manifest_file.exists() else {}
print()
print("first visit, brotli (core = " + " + ".join(core) + "):")
print(f"  {'core (the chat page and every page not listed)':64} {core_br:9,} B {kib(core_br)}")
for entry, files in sorted(manifest.items()):
    # `__login_route_view_<hash>` → `login_route`; lazy functions keep their name.
    name = entry.strip("_").rsplit("_", 1)[0].removesuffix("_view")
    extra = sum(sizes[f + ".wasm"][1] for f in files)
    print(f"  {'+ ' + name + f' ({len(files)} files)':64} {core_br + extra:9,} B {kib(core_br + extra)}")
EOF
