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

bench_name=container.sh
. bench/common.sh

need_root
need_tools node hyperfine runc bwrap
need_build

runs=${BENCH_RUNS:-30}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The rootfs, inside a runc bundle so that all three use the very same one.
bundle="$work/bundle"
rootfs="$bundle/rootfs"
make_runc_bundle "$bundle"

mesos_execute="bin/mesos-execute --name=bench --no-shell --command=/bin/true --rootfs=$rootfs"
runc_run="runc run --bundle $bundle mesos-bench-$$"
bwrap_run="bwrap --unshare-all --bind $rootfs / --proc /proc --dev /dev /bin/true"

check_works $mesos_execute
check_works $runc_run
check_works $bwrap_run

say_environment
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/results.json" \
  --command-name 'node -e 0' 'node -e 0' \
  --command-name mesos-execute "$mesos_execute" \
  --command-name 'runc run' "$runc_run" \
  --command-name bwrap "$bwrap_run"

echo
print_ratios "$work/results.json" mesos-execute 'node -e 0' 'runc run' bwrap
