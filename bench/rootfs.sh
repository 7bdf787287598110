#!/usr/bin/env bash
# A task in a cached image against the same task with --rootfs on the same
# files, side by side in one hyperfine run: the image is a busybox root in
# three layers (the binaries, /etc, and one that adds files and whites one
# out), stacked by overlayfs as the agent stacks an image; the --rootfs
# directory holds the very files the stack shows, and is stacked as the
# agent stacks it (one read-only layer). Both run /bin/true through the
# helper with the agent's defaults, in a fresh provisioner directory each
# time. Prints the image's ratio to the --rootfs directory.
#
# Needs root, a built package (npm run build), busybox-static and
# hyperfine. BENCH_RUNS sets the number of runs (default 30).
set -euo pipefail
cd "$(dirname "$0")/.."

bench=rootfs.sh
# shellcheck source=bench/lib.sh
source bench/lib.sh
require node hyperfine
find_busybox

runs=${BENCH_RUNS:-30}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The driver, bundled beside links to the package's programs (it finds bin/, native/ and seccomp/ above itself).
mkdir -p "$work/pkg/dist"
for part in bin native seccomp; do ln -s "$PWD/$part" "$work/pkg/$part"; done
node_modules/.bin/esbuild bench/rootfs-task.ts --bundle --platform=node --format=cjs --target=node20 --log-level=warning --outfile="$work/pkg/dist/rootfs-task.js"
driver="$work/pkg/dist/rootfs-task.js"

# The image's layers.
l0="$work/layers/0" l1="$work/layers/1" l2="$work/layers/2"
mkdir -p "$l0"/{bin,dev,proc,sys,tmp,root} "$l1/etc" "$l2/usr/share/bench"
cp "$busybox" "$l0/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$l0/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$l1/etc/passwd"
printf 'root:x:0:\n' >"$l1/etc/group"
: >"$l1/etc/hosts"
: >"$l1/etc/hostname"
: >"$l1/etc/resolv.conf"
for i in $(seq 1 200); do echo "$i" >"$l2/usr/share/bench/$i"; done
mkdir "$l2/bin"
mknod "$l2/bin/vi" c 0 0

# The same files in one directory: what the stack shows.
flat="$work/flat"
mkdir "$flat"
for layer in "$l0" "$l1" "$l2"; do cp -a "$layer/." "$flat/"; done
rm "$flat/bin/vi"

image="node $driver $l0 $l1 $l2"
rootfs="node $driver $flat"
check $image
check $rootfs

hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/results.json" \
  --command-name 'image (3 layers)' "$image" \
  --command-name 'rootfs directory' "$rootfs"

node -e '
  const { results } = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const median = (name) => results.find((result) => result.command === name).median;
  const image = median("image (3 layers)");
  const rootfs = median("rootfs directory");
  console.log("");
  console.log(`image median: ${(image * 1000).toFixed(1)} ms, rootfs directory median: ${(rootfs * 1000).toFixed(1)} ms: ${(image / rootfs).toFixed(3)}x`);
' "$work/results.json"
