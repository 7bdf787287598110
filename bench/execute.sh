#!/usr/bin/env bash
# One mesos-execute run against `node -e 0`, side by side in one hyperfine
# run: `bin/mesos-execute --master=local` of /bin/true in a busybox rootfs
# (exec'd, no shell), from its start to its exit after TASK_FINISHED. Prints
# its median's ratio to `node -e 0`'s. The budget is 2.1x: a run starts Node
# twice (mesos-execute, then our helper in the container), so 2x is the
# floor.
#
# Needs root, a built package (npm run build), busybox-static and
# hyperfine. BENCH_RUNS sets the number of timed runs (default 30).
set -euo pipefail
cd "$(dirname "$0")/.."
bench_name=execute.sh
. bench/common.sh

need_root
need_tools node hyperfine
need_build
unset NODE_OPTIONS

runs=${BENCH_RUNS:-30}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
make_busybox_rootfs "$work/rootfs"

execute="bin/mesos-execute --master=local --rootfs=$work/rootfs --shell=false --command=/bin/true --name=t"
check_works $execute

say_environment
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/results.json" \
  --command-name 'node -e 0' 'node -e 0' \
  --command-name mesos-execute "$execute"

echo
print_ratios "$work/results.json" mesos-execute 'node -e 0'
echo "  (budget: 2.1x)"
