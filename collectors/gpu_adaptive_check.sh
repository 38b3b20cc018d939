#!/usr/bin/env bash
# GPU check of --adaptive (see collectors/README.md): for two DSA context tables, the full sweep and
# an adaptive collection into separate roots, each with its GPU-minutes, then `aiconf db validate`
# (leave-one-out) on both. Tables, metas and the log go into $1 (default ./gpu_adaptive_out).
set -uo pipefail
cd "$(dirname "$0")/.."
OUTDIR=${1:-gpu_adaptive_out}
mkdir -p "$OUTDIR"
exec > >(tee "$OUTDIR/gpu_adaptive_check.log") 2>&1
B=build-gpu
C=$B/bin/aiconf-collect
M=examples/configs/DeepSeek-V3.2.json
W=/tmp/adaptive_out
rm -rf $W
if [ ! -f /usr/include/CLI/CLI.hpp ]; then mkdir -p /tmp/cli11 && dpkg -x .deps/libcli11-dev_*.deb /tmp/cli11; fi
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv
cmake -S . -B $B -DCMAKE_BUILD_TYPE=Release -DAICONF_CLI11_ROOT=/tmp/cli11 >/dev/null 2>&1 || exit 1
time cmake --build $B -j16 --target aiconf_collect aiconf_cli aiconf_plugin_dsa_indexer 2>&1 | grep -E "error|Built target" | tail -5
for t in dsa_topk_context dsa_indexer_logits_context; do
  echo "=== $t full"
  timeout 110 $C --collector $t --model $M --out $W/full
  echo "=== $t adaptive"
  timeout 80 $C --collector $t --model $M --out $W/adaptive --adaptive 8 --adaptive-target 0.03
done
for r in full adaptive; do echo "=== validate $r"; timeout 60 $B/bin/aiconf db validate $W/$r; done
find $W -name '*.lock' -delete
tar -czf "$OUTDIR/adaptive_out.tar.gz" -C $W .
