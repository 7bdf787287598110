# Shared parts of the container and cluster benchmarks; sourced, after
# `bench_name` is set, from the repository root. Each script sets its own
# EXIT trap and calls the cleanup functions below from it.

fail() {
  echo "bench/$bench_name: $*" >&2
  exit 1
}

need_root() {
  [ "$(id -u)" = 0 ] || fail "needs root (namespaces, mounts and cgroups)"
}

need_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || fail "'$tool' is missing"
  done
}

need_build() {
  [ -x native/build/clone ] && [ -x native/build/waiter ] && [ -f dist/mesos-containerizer.js ] &&
    [ -f dist/mesos-execute.js ] && [ -f dist/mesos-local.js ] || fail "build the package first: npm run build"
}

# Whether Node parses extra CA certificates at every start here: it makes
# every `node` start (ours and the baseline alike) slower, so ratios to
# `node -e 0` depend on it. Said at the top of every report.
say_environment() {
  if [ -n "${NODE_EXTRA_CA_CERTS:-}" ]; then
    echo "NODE_EXTRA_CA_CERTS is set: every Node start here parses it (compare with env -u NODE_EXTRA_CA_CERTS)"
  else
    echo "NODE_EXTRA_CA_CERTS is not set"
  fi
  # The machine may be shared: what else ran shows in the load.
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cpus"
}

# A busybox root filesystem in directory $1 (made): Debian's busybox-static
# with a link per applet, the directories a container mounts over, and the
# /etc files the agent binds in, so that nothing is made in the image.
make_busybox_rootfs() {
  local rootfs=$1 busybox="" candidate applet
  for candidate in /bin/busybox /usr/bin/busybox; do
    [ -x "$candidate" ] && busybox=$candidate && break
  done
  [ -n "$busybox" ] || fail "busybox is missing (apt-get install busybox-static)"
  if ldd "$busybox" >/dev/null 2>&1; then fail "$busybox is not static (apt-get install busybox-static)"; fi
  mkdir -p "$rootfs"/{bin,dev,proc,sys,tmp,etc,root}
  cp "$busybox" "$rootfs/bin/busybox"
  for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\n' >"$rootfs/etc/group"
  printf '127.0.0.1 localhost\n' >"$rootfs/etc/hosts"
  : >"$rootfs/etc/hostname"
  : >"$rootfs/etc/resolv.conf"
}

# A runc bundle in directory $1 whose rootfs is a busybox one, running
# /bin/true without a terminal: runc's default spec (pid, network, ipc, uts
# and mount namespaces). Its rootfs is $1/rootfs.
make_runc_bundle() {
  local bundle=$1
  make_busybox_rootfs "$bundle/rootfs"
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
}

# Runs "$@" once before it is timed; what it says goes to a log, shown if it fails.
check_works() {
  "$@" >"$work/check.log" 2>&1 || { cat "$work/check.log" >&2; fail "this does not work: $*"; }
}

# bench/$1.ts bundled into $work/$1.js (esbuild, from npm ci).
bundle_script() {
  node_modules/.bin/esbuild "bench/$1.ts" --bundle --platform=node --target=node20 \
    --log-level=warning --outfile="$work/$1.js" || fail "could not bundle bench/$1.ts (npm ci first)"
}

# Starts bin/mesos-local in the background on a free port of 127.0.0.1,
# with its agent's resources $1 and its cgroups under $cluster_cgroups;
# TMPDIR is $work/tmp, so its work directory is there. Sets cluster_pid and
# cluster_url once it has said "Master started at URL".
cluster_pid=""
cluster_url=""
cluster_cgroups="mesos-bench-$$"
start_cluster() {
  mkdir -p "$work/tmp"
  MESOS_RESOURCES=$1 MESOS_CGROUPS_ROOT=$cluster_cgroups TMPDIR="$work/tmp" \
    bin/mesos-local --ip=127.0.0.1 --port=0 >"$work/cluster.out" 2>"$work/cluster.err" &
  cluster_pid=$!
  local tries
  for tries in $(seq 300); do
    cluster_url=$(sed -n 's/^Master started at //p' "$work/cluster.out")
    [ -n "$cluster_url" ] && return 0
    kill -0 "$cluster_pid" 2>/dev/null || { cat "$work/cluster.err" >&2; cluster_pid=""; fail "mesos-local did not start"; }
    sleep 0.1
  done
  fail "mesos-local said nothing within 30 s"
}

# SIGTERM to mesos-local, and its exit status once it is gone (at most 60 s; then SIGKILL).
stop_cluster() {
  [ -n "$cluster_pid" ] || return 0
  local pid=$cluster_pid status=0 tries
  cluster_pid=""
  kill -TERM "$pid" 2>/dev/null || true
  for tries in $(seq 600); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "bench/$bench_name: mesos-local still running 60 s after SIGTERM: SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" || status=$?
  return "$status"
}

# From hyperfine's --export-json $1: the median of command $2, and its
# ratio to the median of each command after it, one line each.
print_ratios() {
  node -e '
    const [file, subject, ...others] = process.argv.slice(1);
    const { results } = JSON.parse(require("fs").readFileSync(file, "utf8"));
    const median = (name) => results.find((result) => result.command === name).median;
    const ms = (seconds) => `${(seconds * 1000).toFixed(1)} ms`;
    console.log(`${subject} median: ${ms(median(subject))}`);
    for (const other of others) console.log(`  ${(median(subject) / median(other)).toFixed(3)}x ${other} (${ms(median(other))})`);
  ' "$@"
}
