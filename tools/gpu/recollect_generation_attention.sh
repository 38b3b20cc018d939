#!/usr/bin/env bash
# On the GPU machine (after tools/gpu/device_build.sh aiconf_plugins aiconf_collect): a fresh
# generation_attention_perf on aiconfigurator's past-length grid (2^k - 1, whole key tiles), with
# more samples per case than the first collection (the launch-bound rows, ~5-10 us, are where the
# run-to-run noise sits). Replaces the system's table in perfdb/; its log goes to <out-dir>.
# usage: tools/gpu/recollect_generation_attention.sh <out-dir>
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$1
sys=$(nvidia-smi --query-gpu=name --format=csv,noheader | grep -q H200 && echo h200_sxm || echo h100_sxm)
rm -f perfdb/$sys/aiconf/0.1.0/generation_attention_perf.txt
./build-gpu/bin/aiconf-collect --model examples/configs/Qwen3-32B.json --collector generation_attention \
  --filter 'kv_cache_dtype=bfloat16' --min-samples 10 --max-samples 60 --max-spread 0.01 --case-time-s 1 --warmup 3 2>&1 |
  grep "^aiconf-collect" | tee "$out/generation_attention.log"
