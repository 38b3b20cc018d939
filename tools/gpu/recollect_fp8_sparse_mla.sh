#!/usr/bin/env bash
# On the GPU machine, after a change of the sparse MLA kernel's FP8 path: build, run the kernel's GPU
# test and benchmark, and re-collect the FP8-cache rows of the tables that time that kernel into a
# fresh perf database root (merged into perfdb/ afterwards with tools/perfdb/replace_rows.py).
# usage: tools/gpu/recollect_fp8_sparse_mla.sh <out-dir> gen|ctx|none [seconds per collector] [model:collector...]
#   gen: the kernel test and benchmark, then sparse_mla_generation, mla_generation (dense mode) and
#   mla_generation_module; ctx: sparse_mla_context; none: only the given model:collector pairs
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$1 part=$2 budget=${3:-240}
mkdir -p "$out"
t0=$(date +%s)
tools/gpu/device_build.sh aiconf_collect aiconf_plugins sparse_mla_kernels_test sparse_mla_kernels_bench >"$out/build.log" 2>&1
tail -3 "$out/build.log"
echo "build: $(( $(date +%s) - t0 )) s"
if [ "$part" = gen ]; then
  ./build-gpu/bin/sparse_mla_kernels_test >"$out/sparse_mla_kernels_test.txt" 2>&1
  echo "sparse_mla_kernels_test rc=$? $(tail -1 "$out/sparse_mla_kernels_test.txt")"
  ./build-gpu/bin/sparse_mla_kernels_bench "$out/bench_table.md" >"$out/bench_log.txt" 2>&1
  echo "bench rc=$? ($(( $(date +%s) - t0 )) s)"
fi
case $part in
  gen) pairs="DeepSeek-V3.2:sparse_mla_generation DeepSeek-V3:mla_generation DeepSeek-V3:mla_generation_module" ;;
  ctx) pairs="DeepSeek-V3.2:sparse_mla_context" ;;
  *) pairs="" ;;
esac
shift $(( $# < 3 ? $# : 3 ))
# The collection itself: the FP8-cache rows of each pair (its build step finds everything built).
tools/gpu/recollect_rows.sh "$out" kv_cache_dtype=fp8 "$budget" $pairs "$@"
