#!/usr/bin/env bash
# A whole container start, side by side in one hyperfine run: mesos-execute
# running /bin/true in a busybox rootfs (embedded agent, clone with the
# hostname and loopback, the helper, cgroups, mounts, pivot_root, the task,
# the cleanup) against a bare `node -e 0`, and against `runc run` and `bwrap`
# on the same rootfs. Prints mesos-execute's ratio to each.
#
# Needs root, a built package (npm run build), and busybox-static, runc,
# bubblewrap and hyperfine. BENCH_RUNS sets the number of runs (default 30).
set -euo pipefail
cd "$(dirname "$0")/.."

bench=container.sh
# shellcheck source=bench/lib.sh
source bench/lib.sh
require node hyperfine runc bwrap
find_busybox

runs=${BENCH_RUNS:-30}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The rootfs, inside a runc bundle so that all three use the very same one.
bundle="$work/bundle"
rootfs="$bundle/rootfs"
mkdir -p "$rootfs"/{bin,dev,proc,sys,tmp,etc,root}
cp "$busybox" "$rootfs/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\n' >"$rootfs/etc/group"
# The files the agent binds in: present, so nothing is made in the image.
printf '127.0.0.1 localhost\n' >"$rootfs/etc/hosts"
: >"$rootfs/etc/hostname"
: >"$rootfs/etc/resolv.conf"

# runc's default spec (pid, network, ipc, uts and mount namespaces), made to
# run /bin/true without a terminal.
(cd "$bundle" && runc spec)
node -e '
  const fs = require("fs");
  const path = process.argv[1];
  const spec = JSON.parse(fs.readFileSync(path, "utf8"));
  spec.process.terminal = false;
  spec.process.args = ["/bin/true"];
  spec.hostname = "bench";
  fs.writeFileSync(path, JSON.stringify(spec, null, 2));
' "$bundle/config.json"

mesos_execute="bin/mesos-execute --name=bench --no-shell --command=/bin/true --rootfs=$rootfs"
runc_run="runc run --bundle $bundle mesos-bench-$$"
bwrap_run="bwrap --unshare-all --bind $rootfs / --proc /proc --dev /dev /bin/true"

# Each must work before it is timed (what they say goes to a log, shown on failure).
check $mesos_execute
check $runc_run
check $bwrap_run

hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/results.json" \
  --command-name 'node -e 0' 'node -e 0' \
  --command-name mesos-execute "$mesos_execute" \
  --command-name 'runc run' "$runc_run" \
  --command-name bwrap "$bwrap_run"

node -e '
  const { results } = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const median = (name) => results.find((result) => result.command === name).median;
  const ours = median("mesos-execute");
  console.log("");
  console.log(`mesos-execute median: ${(ours * 1000).toFixed(1)} ms`);
  for (const other of ["node -e 0", "runc run", "bwrap"]) {
    const theirs = median(other);
    console.log(`  ${(ours / theirs).toFixed(2)}x ${other} (${(theirs * 1000).toFixed(1)} ms)`);
  }
' "$work/results.json"
