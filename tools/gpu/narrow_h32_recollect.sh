#!/usr/bin/env bash
# On the GPU machine: after the kernel choice for 17-32 heads changed (sparse_mla_kernel), test and
# benchmark the kernels and re-collect the 32-head rows of every table the sparse MLA kernel times.
# usage: tools/gpu/narrow_h32_recollect.sh <out-dir>      (set AICONF_GIT_COMMIT; carry .deps)
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$1
mkdir -p "$out"
tools/gpu/device_build.sh sparse_mla_kernels_test sparse_mla_kernels_bench >"$out/build_kernels.log" 2>&1
./build-gpu/bin/sparse_mla_kernels_test >"$out/sparse_mla_kernels_test.txt" 2>&1
echo "sparse_mla_kernels_test rc=$? $(tail -1 "$out/sparse_mla_kernels_test.txt")"
./build-gpu/bin/sparse_mla_kernels_bench "$out/sparse_mla_bench.md" >"$out/sparse_mla_bench_log.txt" 2>&1
echo "bench rc=$?"
tools/gpu/recollect_rows.sh "$out/rc" 'num_heads=32,kv_cache_dtype=bfloat16' 200 DeepSeek-V3.2:sparse_mla_generation \
  DeepSeek-V3.2:dsa_generation_module DeepSeek-V3:mla_generation DeepSeek-V3:mla_generation_module \
  DeepSeek-V3.2:sparse_mla_context DeepSeek-V3.2:dsa_context_module 2>&1 | grep "aiconf-collect\|wall\|build:"
