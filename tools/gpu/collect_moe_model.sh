#!/usr/bin/env bash
# On the GPU machine: the moe_perf sweep for one more model's dimensions (appended to the system's
# table: its keys differ, so --resume measures only that model's cases), within a time budget.
# usage: tools/gpu/collect_moe_model.sh <out-dir> <seconds> <config.json>
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$1 secs=$2 cfg=$3
tools/gpu/device_build.sh aiconf_plugins aiconf_collect >"$out/build.log" 2>&1
tail -1 "$out/build.log"
./build-gpu/bin/aiconf-collect --model "$cfg" --collector moe --resume --time-budget-s "$secs" 2>&1 | grep "^aiconf-collect" | tee "$out/collect.log"
sys=$(nvidia-smi --query-gpu=name --format=csv,noheader | grep -q H200 && echo h200_sxm || echo h100_sxm)
tar czf "$out/moe_$sys.tar.gz" perfdb/$sys/aiconf/0.1.0/moe_perf.txt perfdb/$sys/aiconf/0.1.0/collection_meta.json
