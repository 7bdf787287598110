# What the container benchmarks share; sourced after `cd` to the package,
# with $bench set to the script's name.

fail() {
  echo "bench/$bench: $*" >&2
  exit 1
}

# Root, the tools named, and a built package.
require() {
  [ "$(id -u)" = 0 ] || fail "needs root (namespaces, mounts and cgroups)"
  for tool in "$@"; do
    command -v "$tool" >/dev/null || fail "'$tool' is missing"
  done
  [ -x native/build/clone ] && [ -f dist/mesos-execute.js ] || fail "build the package first: npm run build"
}

# Sets $busybox to a static busybox.
find_busybox() {
  busybox=""
  for candidate in /bin/busybox /usr/bin/busybox; do
    [ -x "$candidate" ] && busybox=$candidate && break
  done
  [ -n "$busybox" ] || fail "busybox is missing (apt-get install busybox-static)"
  if ldd "$busybox" >/dev/null 2>&1; then fail "$busybox is not static (apt-get install busybox-static)"; fi
}

# Runs a command once, before it is timed: what it says goes to $work/check.log, shown on failure.
check() {
  "$@" >"$work/check.log" 2>&1 || { cat "$work/check.log" >&2; fail "this does not work: $*"; }
}
