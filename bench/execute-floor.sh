#!/usr/bin/env bash
# What a `mesos-execute --master=local` run can't do without, side by side
# in one hyperfine run with the run itself, each as a ratio of `node -e 0`:
#
#   node -e 0             a bare Node start
#   mesos-execute --help  its Node start and its bundle: every module a run
#                         loads at start is loaded, then the usage is printed
#   launch                the helper alone (bench/startup.sh's launch of
#                         /bin/true), as the agent runs it: without
#                         NODE_EXTRA_CA_CERTS, through `env -u`
#   runc run              /bin/true in the same busybox rootfs: the kernel's
#                         container work (namespaces, cgroups, mounts,
#                         pivot_root, exec) by a program that is not Node
#   mesos-execute         the whole run, as bench/execute.sh times it
#
# Then `--help` and `launch` together, the two Node starts no run can skip
# (the budget of bench/execute.sh, 2.1x, is 2x of them plus 0.1x), and what
# the run spends beyond them: the cluster, the HTTP round trips, the agent,
# the container's kernel work and the teardown.
#
# Needs root, a built package (npm run build), busybox-static, runc and
# hyperfine. BENCH_RUNS sets the number of timed runs (default 30).
set -euo pipefail
cd "$(dirname "$0")/.."
bench_name=execute-floor.sh
. bench/common.sh

need_root
need_tools node hyperfine runc
need_build
unset NODE_OPTIONS

runs=${BENCH_RUNS:-30}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# One rootfs for runc and mesos-execute alike.
bundle="$work/bundle"
make_runc_bundle "$bundle"

true_info='{"command":{"shell":false,"value":"/bin/true"}}'
help_cmd="bin/mesos-execute --help"
launch_cmd="env -u NODE_EXTRA_CA_CERTS bin/mesos-containerizer launch --launch_info='$true_info'"
runc_cmd="runc run --bundle $bundle mesos-floor-$$"
execute_cmd="bin/mesos-execute --master=local --rootfs=$bundle/rootfs --shell=false --command=/bin/true --name=t"

check_works $help_cmd
check_works env -u NODE_EXTRA_CA_CERTS bin/mesos-containerizer launch --launch_info="$true_info"
check_works $runc_cmd
check_works $execute_cmd

say_environment
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/results.json" \
  --command-name 'node -e 0' 'node -e 0' \
  --command-name 'mesos-execute --help' "$help_cmd" \
  --command-name launch "$launch_cmd" \
  --command-name 'runc run' "$runc_cmd" \
  --command-name mesos-execute "$execute_cmd"

node -e '
  const { results } = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const median = (name) => results.find((result) => result.command === name).median;
  const floor = median("node -e 0");
  const ms = (seconds) => `${(seconds * 1000).toFixed(1)} ms`.padStart(9);
  const line = (name, seconds) => console.log(`  ${name.padEnd(36)} ${ms(seconds)}  ${(seconds / floor).toFixed(3)}x`);
  console.log("");
  console.log("median, and its ratio to `node -e 0`:");
  for (const { command } of results) line(command, median(command));
  const starts = median("mesos-execute --help") + median("launch");
  console.log("");
  line("--help + launch (two Node starts)", starts);
  line("the run beyond them", median("mesos-execute") - starts);
  console.log("  (budget of the run: 2.1x)");
' "$work/results.json"
