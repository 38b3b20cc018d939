#!/usr/bin/env bash
# On the GPU machine: the mock-layer GPU tests of every family, then a first, time-budgeted coverage of
# the base-operator tables (dense MLA, GQA attention, MoE, memory-bound ops) into perfdb/ (resumable:
# later runs with the same command add the missing cases). Each group takes every n-th case of its
# sweep first (--shard 0/n) so a short budget still spans the whole range.
# usage: tools/gpu/collect_base_tables.sh <out-dir> <seconds-per-group> [full] [no-tests]
#        full: whole sweeps (no every-n-th-case shard) within the same time budget per group
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$1 secs=$2 full=${3:-} tests=${4:-tests}
tools/gpu/device_build.sh aiconf_cli aiconf_plugins aiconf_mock_layers_test aiconf_collect >"$out/build.log" 2>&1
tail -2 "$out/build.log"
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1 | tr ' ' '_')
[ "$tests" = no-tests ] || for cfg in DeepSeek-V3.2 DeepSeek-V3 Qwen3-32B Qwen3-235B-A22B; do
  timeout 120 ./build-gpu/bin/aiconf_mock_layers_test examples/configs/$cfg.json 3 >"$out/mock_layers_${cfg}.txt" 2>&1
  echo "mock layers $cfg rc=$? $(tail -1 "$out/mock_layers_${cfg}.txt")"
done
collect() {  # <model> <collectors> <shard> [args]
  local model=$1 names=$2 shard=$3
  shift 3
  [ "$full" = full ] && shard=0/1
  ./build-gpu/bin/aiconf-collect --model examples/configs/$model.json --collector "$names" --resume --shard "$shard" \
    --time-budget-s "$secs" --min-samples 3 --max-samples 15 --case-time-s 0.5 --warmup 2 "$@" 2>&1 | grep "^aiconf-collect"
}
collect DeepSeek-V3 mla_generation 0/2 --filter 'num_heads=128|64|32|16|8'
collect DeepSeek-V3 mla_bmm_pre,mla_bmm_post 0/1
collect DeepSeek-V3 mla_context 0/4 --filter 'kv_cache_dtype=bfloat16'
collect DeepSeek-V3 mla_generation_module 0/6 --filter 'num_heads=128|16'
collect DeepSeek-V3 mla_context_module 0/8 --filter 'num_heads=128|16'
collect Qwen3-32B generation_attention 0/2 --filter 'kv_cache_dtype=bfloat16'
collect Qwen3-32B context_attention 0/3 --filter 'kv_cache_dtype=bfloat16'
collect Qwen3-235B-A22B moe 0/4
collect Qwen3-235B-A22B activation,elementwise,embedding,kv_cache_write,quantize,rms_norm 0/1
tar czf "$out/perfdb_${card}.tar.gz" perfdb/*/aiconf
