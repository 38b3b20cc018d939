#!/usr/bin/env bash
# On the GPU machine: re-collect the rows of some collectors that match a case filter into a fresh
# perf database root (merged into perfdb/ afterwards with tools/perfdb/replace_rows.py).
# usage: tools/gpu/recollect_rows.sh <out-dir> <filter> <seconds per collector> <model:collector>...
#   e.g. tools/gpu/recollect_rows.sh /tmp/o 'isl=1|16|32|64' 300 DeepSeek-V3.2:dsa_context_module
# Builds aiconf_collect and the plugins first (tools/gpu/device_build.sh; set AICONF_GIT_COMMIT).
# AICONF_COLLECT_GPUS=0,1,2,3 runs one worker per GPU (aiconf-collect --gpus) on a several-GPU machine.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$1 filter=$2 budget=$3
shift 3
mkdir -p "$out"
t0=$(date +%s)
tools/gpu/device_build.sh aiconf_collect aiconf_plugins >"$out/build.log" 2>&1
tail -3 "$out/build.log"
echo "build: $(( $(date +%s) - t0 )) s"
for pair in "$@"; do
  s=$(date +%s)
  ./build-gpu/bin/aiconf-collect --model "examples/configs/${pair%%:*}.json" --collector "${pair#*:}" --out "$out/perfdb" \
    --filter "$filter" --resume --time-budget-s "$budget" --min-samples 3 --max-samples 15 \
    --case-time-s 0.5 --warmup 2 ${AICONF_COLLECT_GPUS:+--gpus "$AICONF_COLLECT_GPUS"} 2>&1 | grep "^aiconf-collect"
  echo "  ${pair#*:}: $(( $(date +%s) - s )) s wall"
done
