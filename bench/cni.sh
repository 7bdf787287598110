#!/usr/bin/env bash
# A task start on a CNI bridge network against the same start with only
# loopback (and on the host's network), through the agent; see bench/cni.ts.
# Everything runs in a network namespace made here and removed at the end,
# with a mount namespace of its own: the machine's network is not touched.
#
# Needs root, a built package (npm run build), containernetworking-plugins
# (bridge, host-local, loopback) and iptables. BENCH_RUNS sets the number
# of runs of each (default 20).
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
  echo "bench/cni.sh: $*" >&2
  exit 1
}

[ "$(id -u)" = 0 ] || fail "needs root (namespaces, mounts, cgroups and CNI plugins)"
for tool in node ip nsenter unshare iptables; do
  command -v "$tool" >/dev/null || fail "'$tool' is missing"
done
for plugin in bridge host-local loopback; do
  [ -x "/usr/lib/cni/$plugin" ] || fail "/usr/lib/cni/$plugin is missing (apt-get install containernetworking-plugins)"
done
[ -x native/build/clone ] && [ -f dist/mesos-containerizer.js ] || fail "build the package first: npm run build"

runs=${BENCH_RUNS:-20}
netns="mcbench$$"
work=$(mktemp -d)
ip netns add "$netns"
trap 'ip netns delete "$netns"; rm -rf "$work" dist/bench-cni.js' EXIT
ip netns exec "$netns" ip link set lo up

mkdir "$work/networks" "$work/ipam"
cat >"$work/networks/bridge.conf" <<JSON
{"cniVersion":"0.4.0","name":"bench-bridge","type":"bridge","bridge":"mcbench0","isGateway":true,
 "ipam":{"type":"host-local","subnet":"10.78.1.0/24","dataDir":"$work/ipam"}}
JSON
printf '{"cniVersion":"0.4.0","name":"lo-only","type":"loopback"}\n' >"$work/networks/loopback.conf"

# Bundled into dist/, where it finds bin/ and native/build/ as the package does.
npx esbuild bench/cni.ts --bundle --platform=node --target=node20 --log-level=warning --outfile=dist/bench-cni.js
env -u NODE_OPTIONS nsenter --net="/run/netns/$netns" unshare --mount --propagation slave \
  node dist/bench-cni.js "$work" "$runs"
