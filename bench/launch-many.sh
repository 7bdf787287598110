#!/usr/bin/env bash
# Many tasks at once on a running mesos-local: a framework (our scheduler
# client, bench/cluster-driver.ts) subscribes, takes the first offer and
# launches BENCH_TASKS (default 100) /bin/true tasks in ONE ACCEPT,
# acknowledging every update; timed from the driver's start to its exit
# after the last terminal update. Side by side in one hyperfine run with
# as many sequential `node -e 0` (the budget: at most 0.7x of them) and as
# many sequential `runc run` of /bin/true in a busybox bundle.
#
# mesos-local is started once, before anything is timed, on a free port of
# 127.0.0.1, and stopped (SIGTERM) at the end, whatever happened.
#
# Needs root, a built package and its dev dependencies (npm ci: esbuild),
# busybox-static, runc and hyperfine. Settings from the environment:
#   BENCH_RUNS=5                  timed runs of each command (after 1 warm-up)
#   BENCH_TASKS=100               tasks per ACCEPT, and node and runc starts per run
#   BENCH_TASK_RESOURCES=cpus:0.01;mem:1   each task's resources
set -euo pipefail
cd "$(dirname "$0")/.."
bench_name=launch-many.sh
. bench/common.sh

need_root
need_tools node hyperfine runc
need_build
unset NODE_OPTIONS

runs=${BENCH_RUNS:-5}
tasks=${BENCH_TASKS:-100}
task_resources=${BENCH_TASK_RESOURCES:-cpus:0.01;mem:1}
# The agent offers what every task of one ACCEPT needs, and then some.
agent_resources="cpus:$((tasks * 2));mem:$((tasks * 1024))"
work=$(mktemp -d)
runc_id="mesos-bench-$$"
cleanup() {
  stop_cluster || echo "bench/$bench_name: mesos-local exited with status $? on SIGTERM" >&2
  runc delete --force "$runc_id" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

make_runc_bundle "$work/bundle"
bundle_script cluster-driver
start_cluster "$agent_resources"
echo "mesos-local (pid $cluster_pid) at $cluster_url, its agent offering $agent_resources"

driver="node $work/cluster-driver.js --master=$cluster_url --tasks=$tasks --resources=$task_resources --command=/bin/true"
node_loop="bash -c 'for i in \$(seq $tasks); do node -e 0; done'"
runc_loop="bash -c 'for i in \$(seq $tasks); do runc run --bundle $work/bundle $runc_id || exit 1; done'"
check_works $driver
check_works runc run --bundle "$work/bundle" "$runc_id"

say_environment
BENCH_TIMINGS="$work/timings.jsonl"
export BENCH_TIMINGS
# CPU time of mesos-local itself and of what it reaped (clone programs, and
# below them the helpers, waiters and tasks), in clock ticks.
cluster_cpu() {
  awk '{ print $14 + $15, $16 + $17 }' "/proc/$cluster_pid/stat"
}
read -r self_before reaped_before < <(cluster_cpu)
hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/results.json" \
  --command-name "$tasks x node -e 0" "$node_loop" \
  --command-name "$tasks tasks in one ACCEPT" "$driver" \
  --command-name "$tasks x runc run" "$runc_loop"

read -r self_after reaped_after < <(cluster_cpu)

echo
print_ratios "$work/results.json" "$tasks tasks in one ACCEPT" "$tasks x node -e 0" "$tasks x runc run"
echo "  (budget: 0.7x $tasks x node -e 0)"
# The driver's own view, over every run (warm-up included): from its start.
node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((line) => JSON.parse(line));
  const median = (key) => {
    const values = lines.map((line) => line[key]).sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)];
  };
  console.log(`inside the driver (medians of ${lines.length} runs, ms from its start): subscribed ${median("subscribed")}, ` +
    `offer ${median("offer")}, ACCEPT answered ${median("accepted")}, last terminal update ${median("lastTerminal")}`);
' "$BENCH_TIMINGS"
# CPU, which the load of the moment changes less than it changes times.
node -e '
  const [self, reaped, ticks, launched, tasks, file] = process.argv.slice(1);
  const perTask = (value) => (((Number(value) / Number(ticks)) * 1000) / Number(launched)).toFixed(1);
  const { results } = JSON.parse(require("fs").readFileSync(file, "utf8"));
  const loop = results.find((result) => result.command === `${tasks} x node -e 0`);
  console.log(`CPU per task, over all ${launched} tasks: mesos-local ${perTask(self)} ms, and what it reaped ` +
    `(clone programs, helpers, waiters, tasks) ${perTask(reaped)} ms; one node -e 0: ${(((loop.user + loop.system) * 1000) / Number(tasks)).toFixed(1)} ms`);
' "$((self_after - self_before))" "$((reaped_after - reaped_before))" "$(getconf CLK_TCK)" "$(((runs + 1) * tasks))" "$tasks" "$work/results.json"
