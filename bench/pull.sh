#!/usr/bin/env bash
# A cold pull of a multi-layer image into the provider's store (download,
# verify, extract every layer), side by side with `skopeo copy` of the same
# image to a directory (download and verify only: the issue's yardstick),
# with `skopeo copy` to an OCI layout followed by `umoci unpack` (the
# same work as ours done by those tools), and with two floors of any pull
# in a fresh node (every layer downloaded and verified; then decompressed
# too, nothing written), all from Debian's docker-registry on 127.0.0.1.
# The image is busybox and layers of this machine's own files from /usr.
# Prints hyperfine's summary and the ratios of the medians (the target
# against skopeo copy to dir: at most 1.2x).
#
# Needs root (layers keep owners), a built package (npm run build),
# docker-registry, skopeo, umoci, hyperfine. Settings from the environment:
#   BENCH_RUNS=10     timed runs per command
#   BENCH_LAYERS=4    layers besides busybox's
#   BENCH_MIB=8       MiB of files per layer (uncompressed)
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
  echo "bench/pull.sh: $*" >&2
  exit 1
}
for tool in node hyperfine docker-registry skopeo umoci; do
  command -v "$tool" >/dev/null || fail "'$tool' is missing"
done
[ -f native/build/addon.node ] || fail "build the package first: npm run build"
unset NODE_OPTIONS

runs=${BENCH_RUNS:-10}
layers=${BENCH_LAYERS:-4}
mib=${BENCH_MIB:-8}
work=$(mktemp -d)
registry_pid=""
cleanup() {
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

npx esbuild bench/pull.ts --bundle --platform=node --target=node20 --log-level=warning --outfile=dist/bench-pull.js
node dist/bench-pull.js layout "$work/layout" "$layers" "$mib"

port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
cat >"$work/registry.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/storage
http:
  addr: 127.0.0.1:$port
YAML
docker-registry serve "$work/registry.yml" 2>"$work/registry.log" &
registry_pid=$!
for _ in $(seq 100); do
  node -e 'require("http").get(process.argv[1],r=>process.exit(r.statusCode===200?0:1)).on("error",()=>process.exit(1))' "http://127.0.0.1:$port/v2/" && break
  sleep 0.1
done
skopeo --insecure-policy copy --quiet --dest-tls-verify=false "oci:$work/layout:v1" "docker://127.0.0.1:$port/bench/image:v1"
size=$(du -sb "$work/storage" | cut -f1)
echo "image: busybox + $layers layers of $mib MiB ($((size / 1024 / 1024)) MiB in the registry)"

export BENCH_PULL_TIMES="$work/pull-times"
hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/result.json" \
  --prepare "rm -rf $work/store $work/dir $work/oci $work/bundle" \
  --command-name 'provision (cold pull into the store)' "node dist/bench-pull.js pull $work/store http://127.0.0.1:$port bench/image:v1" \
  --command-name 'skopeo copy to dir:' "skopeo --insecure-policy copy --quiet --src-tls-verify=false docker://127.0.0.1:$port/bench/image:v1 dir:$work/dir" \
  --command-name 'skopeo copy to oci: + umoci unpack' "bash -c 'skopeo --insecure-policy copy --quiet --src-tls-verify=false docker://127.0.0.1:$port/bench/image:v1 oci:$work/oci:v1 && umoci unpack --image $work/oci:v1 $work/bundle >/dev/null'" \
  --command-name 'floor: download and verify in node' "node dist/bench-pull.js floor download http://127.0.0.1:$port bench/image:v1 $work/floor-download" \
  --command-name 'floor: download, verify and gunzip in node' "node dist/bench-pull.js floor gunzip http://127.0.0.1:$port bench/image:v1 $work/floor-gunzip"

node -e '
  const { readFileSync } = require("fs");
  const { results } = JSON.parse(readFileSync(process.argv[1], "utf8"));
  const [ours, skopeo, umoci, download, gunzip] = results;
  const ms = (result) => `${(result.median * 1000).toFixed(0)} ms`;
  const ratio = (result) => `${(result.median / skopeo.median).toFixed(2)}x`;
  const inside = (file) => {
    const times = readFileSync(file, "utf8").trim().split("\n").map(Number).sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
  };
  const pull = inside(process.argv[2]);
  console.log(`median: provision ${ms(ours)}, skopeo copy to dir: ${ms(skopeo)}, skopeo copy + umoci unpack ${ms(umoci)}`);
  console.log(`provision / skopeo copy to dir: ${ratio(ours)} (target: at most 1.2x)`);
  console.log(`provision / (skopeo copy + umoci unpack): ${(ours.median / umoci.median).toFixed(2)}x`);
  console.log(`the pull itself, in the process (no Node start): median ${pull.toFixed(0)} ms, ${(pull / 1000 / skopeo.median).toFixed(2)}x skopeo copy to dir:`);
  console.log(`floors of any pull in node (nothing written) / skopeo copy to dir: download and verify ${ms(download)}, ${ratio(download)}; and gunzip ${ms(gunzip)}, ${ratio(gunzip)}`);
  console.log(`the floors in the process (no Node start): median ${inside(process.argv[3]).toFixed(0)} ms and ${inside(process.argv[4]).toFixed(0)} ms`);
' "$work/result.json" "$work/pull-times" "$work/floor-download" "$work/floor-gunzip"
