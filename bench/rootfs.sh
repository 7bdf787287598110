#!/usr/bin/env bash
# A task in a cached image against the same task with --rootfs on the same
# files, side by side in one hyperfine run: the image is a busybox root in
# three layers (the binaries, /etc, and one that adds files and whites one
# out), stacked by overlayfs as the agent stacks an image; the --rootfs
# directory holds the very files the stack shows, and is stacked as the
# agent stacks it (one read-only layer). Both run /bin/true through the
# helper with the agent's defaults, in a fresh provisioner directory each
# time. Prints the image's ratio to the --rootfs directory, over two
# rounds in both orders.
#
# Needs root, a built package (npm run build), busybox-static and
# hyperfine. BENCH_RUNS sets the number of runs (default 30).
set -euo pipefail
cd "$(dirname "$0")/.."

bench_name=rootfs.sh
. bench/common.sh
need_root
need_tools node hyperfine
need_build

runs=${BENCH_RUNS:-30}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The driver, bundled beside links to the package's programs (it finds bin/, native/ and seccomp/ above itself).
mkdir -p "$work/pkg/dist"
for part in bin native seccomp; do ln -s "$PWD/$part" "$work/pkg/$part"; done
node_modules/.bin/esbuild bench/rootfs-task.ts --bundle --platform=node --format=cjs --target=node20 \
  --log-level=warning --outfile="$work/pkg/dist/rootfs-task.js" || fail "could not bundle bench/rootfs-task.ts (npm ci first)"
driver="$work/pkg/dist/rootfs-task.js"

# The image's layers: the binaries and the mount points; /etc; 200 more files and a whiteout.
l0="$work/layers/0" l1="$work/layers/1" l2="$work/layers/2"
make_busybox_rootfs "$l0"
mkdir -p "$l1" "$l2/usr/share/bench" "$l2/bin"
mv "$l0/etc" "$l1/etc"
for i in $(seq 1 200); do echo "$i" >"$l2/usr/share/bench/$i"; done
mknod "$l2/bin/vi" c 0 0

# The same files in one directory: what the stack shows.
flat="$work/flat"
mkdir "$flat"
for layer in "$l0" "$l1" "$l2"; do cp -a "$layer/." "$flat/"; done
rm "$flat/bin/vi"

image="node $driver $l0 $l1 $l2"
rootfs="node $driver $flat"
check_works $image
check_works $rootfs

say_environment
# Twice, in both orders, so that a machine that drifts during a run weighs on both alike.
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/first.json" \
  --command-name 'image (3 layers)' "$image" \
  --command-name 'rootfs directory' "$rootfs"
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/second.json" \
  --command-name 'rootfs directory' "$rootfs" \
  --command-name 'image (3 layers)' "$image"
node -e '
  const fs = require("fs");
  const runs = (name) => process.argv.slice(1).flatMap((file) => JSON.parse(fs.readFileSync(file, "utf8")).results.find((r) => r.command === name).times);
  const median = (times) => { const sorted = [...times].sort((a, b) => a - b); const mid = sorted.length >> 1; return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2; };
  const image = median(runs("image (3 layers)"));
  const rootfs = median(runs("rootfs directory"));
  console.log("");
  console.log(`medians of both rounds: image (3 layers) ${(image * 1000).toFixed(1)} ms, rootfs directory ${(rootfs * 1000).toFixed(1)} ms: ${(image / rootfs).toFixed(3)}x`);
' "$work/first.json" "$work/second.json"
