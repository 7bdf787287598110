#!/usr/bin/env bash
# What a mesos-local with running tasks keeps resident: BENCH_TASKS (default
# 50) `/bin/sleep 1000` tasks launched in one ACCEPT (bench/cluster-driver.ts),
# then every process counted, 2 s after the last TASK_RUNNING and again once
# things have settled: the mesos-local Node process and all its descendants
# (clone programs, waiters, the sleeps themselves; any helper still there),
# and anything else in the cluster's cgroups. Sums VmRSS (/proc/PID/status; shared pages counted in every
# process) and, beside it, Pss (/proc/PID/smaps_rollup; shared pages split
# between their users). The budget: at most 150 MiB of VmRSS in all.
#
# Then the cluster is stopped with SIGTERM (it kills its tasks and removes
# what it made), and the script checks that it exited 0 and left nothing:
# none of the measured processes, none of its cgroups, no work directory.
#
# Needs root, a built package and its dev dependencies (npm ci: esbuild).
# Settings from the environment:
#   BENCH_TASKS=50                        tasks
#   BENCH_TASK_RESOURCES=cpus:0.01;mem:1  each task's resources
#   BENCH_SETTLE=20                       seconds between the two measurements
set -euo pipefail
cd "$(dirname "$0")/.."
bench_name=cluster-memory.sh
. bench/common.sh

need_root
need_tools node
need_build
unset NODE_OPTIONS

tasks=${BENCH_TASKS:-50}
task_resources=${BENCH_TASK_RESOURCES:-cpus:0.01;mem:1}
settle=${BENCH_SETTLE:-20}
agent_resources="cpus:$((tasks * 2));mem:$((tasks * 1024))"
work=$(mktemp -d)
driver_pid=""
cleanup() {
  stop_cluster || true
  if [ -n "$driver_pid" ]; then kill "$driver_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

bundle_script cluster-driver
bundle_script process-memory
start_cluster "$agent_resources"
say_environment
echo "mesos-local (pid $cluster_pid) at $cluster_url"

node "$work/cluster-driver.js" --master="$cluster_url" --tasks="$tasks" --resources="$task_resources" \
  --command='/bin/sleep 1000' --hold >"$work/driver.out" 2>"$work/driver.err" &
driver_pid=$!
for tries in $(seq 1200); do
  grep -q '^running$' "$work/driver.out" && break
  kill -0 "$driver_pid" 2>/dev/null || { cat "$work/driver.err" >&2; fail "the driver stopped before its tasks ran"; }
  sleep 0.1
done
grep -q '^running$' "$work/driver.out" || fail "the $tasks tasks were not all running within 120 s"
# Measured twice: soon after the last TASK_RUNNING (the agent's heap still
# holds what the burst of starts left), and once it has settled.
measure() {
  echo
  echo "== $tasks '/bin/sleep 1000' tasks running, $1"
  node "$work/process-memory.js" measure "$cluster_pid" "$cluster_cgroups" "$work/snapshot-$2.json" | tee "$work/memory.txt"
  eval "$(grep '^TOTAL_RSS_KB=' "$work/memory.txt")"
  echo "VmRSS in all: $((TOTAL_RSS_KB / 1024)) MiB (budget: 150 MiB); Pss in all: $((TOTAL_PSS_KB / 1024)) MiB"
}
sleep 2
measure "2 s after the last TASK_RUNNING" soon
sleep "$settle"
measure "$((settle + 2)) s after the last TASK_RUNNING" settled

echo
echo "== SIGTERM to mesos-local"
start=$(date +%s%N)
status=0
stop_cluster || status=$?
echo "mesos-local exited with status $status after $((($(date +%s%N) - start) / 1000000)) ms"
wait "$driver_pid" 2>/dev/null || true
driver_pid=""
left=0
for snapshot in soon settled; do
  node "$work/process-memory.js" leftovers "$work/snapshot-$snapshot.json" || left=1
done
if [ -e "$work/tmp/mesos" ]; then
  echo "work directory left: $(find "$work/tmp/mesos" | head -5)"
  left=1
fi
[ "$status" = 0 ] && [ "$left" = 0 ] || fail "the cluster did not stop cleanly"
echo "nothing left"
