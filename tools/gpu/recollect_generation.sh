#!/usr/bin/env bash
# On the GPU machine: re-collect the DSA generation-phase tables and the DSA block's GEMM rows into a
# fresh perf database root (e.g. after a change of the timing method), without touching perfdb/.
# usage: tools/gpu/recollect_generation.sh <root> [extra aiconf-collect args]
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$1
shift
c() { ./build-gpu/bin/aiconf-collect --model examples/configs/DeepSeek-V3.2.json --out "$root" --min-samples 3 --max-samples 15 \
  --case-time-s 0.5 --warmup 2 "$@" 2>&1 | grep "^aiconf-collect"; }
c --collector dsa_indexer_logits_generation,dsa_topk_generation,sparse_mla_generation,dsa_generation_module "$@"
c --collector gemm --filter 'gemm_dtype=bfloat16|fp8_block,n=2112|24576|3072|8192|128|64|7168' "$@"
