#!/usr/bin/env bash
# What `launch` costs a container start, side by side in one hyperfine run:
# a bare `node -e 0` (the floor for any Node program), `mesos-containerizer
# help` (our bundle loaded, no addon), `launch` of /bin/true (flags, plan,
# the addon, the clean exec), and the same with --runtime_directory (plus
# the sealed waiter, its fork and the status file). Prints each median's
# ratio to `node -e 0`; ratios, not milliseconds, are what compare across
# machines. Then the memory a launch holds: the waiter's resident set while
# a task runs, and the peak RSS of a plain launch (/usr/bin/time -v).
#
# Needs a built package (npm run build), node and hyperfine; /usr/bin/time
# (Debian package `time`) for the peak RSS. Root is not needed.
# BENCH_RUNS sets the number of timed runs per command (default 50).
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
  echo "bench/startup.sh: $*" >&2
  exit 1
}

for tool in node hyperfine; do
  command -v "$tool" >/dev/null || fail "'$tool' is missing (hyperfine: apt-get install hyperfine)"
done
[ -f dist/mesos-containerizer.js ] && [ -f native/build/addon.node ] && [ -x native/build/waiter ] ||
  fail "build the package first: npm run build"

# Preloads in NODE_OPTIONS would be timed too, and would touch the stdio the
# task inherits: measure the helper as an agent normally runs it.
unset NODE_OPTIONS

runs=${BENCH_RUNS:-50}
work=$(mktemp -d)
waiter_pid=""
cleanup() {
  if [ -n "$waiter_pid" ]; then kill "$waiter_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

helper=bin/mesos-containerizer
true_info='{"command":{"shell":false,"value":"/bin/true"}}'
sleep_info='{"command":{"shell":false,"value":"/bin/sleep","arguments":["sleep","2"]}}'
mkdir "$work/run" "$work/rss"

# hyperfine -N splits each command with shell quoting rules, without a shell.
node_cmd='node -e 0'
help_cmd="$helper help"
launch_cmd="$helper launch --launch_info='$true_info'"
waiter_cmd="$helper launch --runtime_directory=$work/run --launch_info='$true_info'"

# Each must work before it is timed.
node -e 0 || fail "node -e 0 failed"
"$helper" help >/dev/null || fail "$help_cmd failed"
"$helper" launch --launch_info="$true_info" || fail "launch of /bin/true failed"
"$helper" launch --runtime_directory="$work/run" --launch_info="$true_info" || fail "launch with --runtime_directory failed"
[ "$(cat "$work/run/status")" = 0 ] || fail "launch with --runtime_directory left status '$(cat "$work/run/status")', not 0"

echo "== start-up: $runs runs each, after 3 warm-ups"
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/results.json" \
  --command-name 'node -e 0' "$node_cmd" \
  --command-name 'help' "$help_cmd" \
  --command-name 'launch' "$launch_cmd" \
  --command-name 'launch --runtime_directory' "$waiter_cmd"

node -e '
  const { results } = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const median = (name) => results.find((result) => result.command === name).median;
  const floor = median("node -e 0");
  const ms = (seconds) => `${(seconds * 1000).toFixed(1)} ms`.padStart(9);
  console.log("");
  console.log("median, and its ratio to `node -e 0`:");
  for (const { command } of results) {
    console.log(`  ${command.padEnd(28)} ${ms(median(command))}  ${(median(command) / floor).toFixed(3)}x`);
  }
  console.log("");
  console.log(`launch / help:                          ${(median("launch") / median("help")).toFixed(3)}x`);
  console.log(`launch --runtime_directory / launch:    ${(median("launch --runtime_directory") / median("launch")).toFixed(3)}x`);
' "$work/results.json"

echo ""
echo "== memory"
# The helper execs the waiter in place: same pid, a task (sleep 2) below it.
"$helper" launch --runtime_directory="$work/rss" --launch_info="$sleep_info" &
waiter_pid=$!
for _ in $(seq 1 500); do
  children=$(cat "/proc/$waiter_pid/task/$waiter_pid/children" 2>/dev/null || true)
  [ -n "$children" ] && [ "$(cat "/proc/$waiter_pid/comm" 2>/dev/null)" != node ] && break
  sleep 0.01
done
[ -n "${children:-}" ] || fail "the task of the --runtime_directory launch did not start"
rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$waiter_pid/status")
echo "waiter (pid $waiter_pid, $(readlink "/proc/$waiter_pid/exe")) VmRSS while its task runs: ${rss} kB"
wait "$waiter_pid"
waiter_pid=""
echo "  its status file afterwards: '$(cat "$work/rss/status")' (0: sleep 2 exited 0)"

if [ -x /usr/bin/time ]; then
  peak() {
    /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ { print $2 }'
  }
  echo "peak RSS of a plain launch of /bin/true (Node until the exec): $(peak "$helper" launch --launch_info="$true_info") kB"
  echo "  for comparison, node -e 0: $(peak node -e 0) kB"
else
  echo "peak RSS: /usr/bin/time is missing (apt-get install time)"
fi
