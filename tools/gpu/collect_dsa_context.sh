#!/usr/bin/env bash
# On the GPU machine: resume the DSA context tables (sparse_mla_context, dsa_context_module) for one
# system within a time budget, then run `aiconf check` of both DSA plugins with their GPU items.
# The tables are collected into build-gpu/perfdb-work (ignored, so it survives the tree re-sync of the
# next call while the machine stays warm; seeded from perfdb/ on a fresh machine) and come back as
# one tarball: the device tool returns at most 8 files.
# usage: tools/gpu/collect_dsa_context.sh <out-dir> <seconds> <system> [reference-root]
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$1 secs=$2 system=$3 ref=${4:-}
work=build-gpu/perfdb-work
tools/gpu/device_build.sh aiconf_cli aiconf_plugins aiconf_collect >"$out/build.log" 2>&1
tail -1 "$out/build.log"
if [ ! -d "$work/$system" ]; then
  mkdir -p "$work" && cp -r perfdb/systems "perfdb/$system" "$work/"
fi
./build-gpu/bin/aiconf-collect --model examples/configs/DeepSeek-V3.2.json --collector sparse_mla_context,dsa_context_module \
  --out "$work" --resume --time-budget-s "$secs" --min-samples 3 --max-samples 10 --case-time-s 0.5 --warmup 2 \
  2>&1 | grep "^aiconf-collect" | tee "$out/collect.log"
tar czf "$out/perfdb_$system.tar.gz" -C "$work" "$system"
tools/gpu/check_dsa_plugins.sh "$out" "$system" "$work" "$ref"
