#!/usr/bin/env bash
# On the GPU machine: grow one system's dsa_context_module_perf with `aiconf-collect --adaptive`
# (seeded with the rows already committed: adaptive mode skips present cases), then the measured
# ceilings of the card and `aiconf check` of both DSA plugins. Tables come back as one tarball.
# usage: tools/gpu/adaptive_dsa_context.sh <out-dir> <seconds> <system> [reference-root]
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$1 secs=$2 system=$3 ref=${4:-}
work=build-gpu/perfdb-work
tools/gpu/device_build.sh aiconf_cli aiconf_plugins aiconf_collect aiconf_bench_ceilings >"$out/build.log" 2>&1
tail -1 "$out/build.log"
if [ ! -d "$work/$system" ]; then
  mkdir -p "$work" && cp -r perfdb/systems "perfdb/$system" "$work/"
fi
./build-gpu/bin/aiconf-collect --model examples/configs/DeepSeek-V3.2.json --collector dsa_context_module \
  --out "$work" --resume --adaptive 128 --adaptive-target 0.02 --time-budget-s "$secs" \
  --min-samples 3 --max-samples 10 --case-time-s 0.5 --warmup 2 2>&1 | grep -v "^\[" | tail -40 | tee "$out/collect.log"
tar czf "$out/perfdb_$system.tar.gz" -C "$work" "$system"
timeout 120 ./build-gpu/bin/aiconf_bench_ceilings --json "$out/ceilings_$system.json" >"$out/ceilings.txt" 2>&1
echo "ceilings rc=$? $(tail -3 "$out/ceilings.txt")"
tools/gpu/check_dsa_plugins.sh "$out" "$system" "$work" "$ref"
