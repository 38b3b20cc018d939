#!/usr/bin/env bash
# On the GPU machine, after the bf16 head-tile kernel moved to sparse_mla_producer.cu: test and
# benchmark the kernels, then re-collect the bf16 rows with 32, 64 and 128 heads (the rows that run
# the head-tile kernel: all of 64/128, and 32 heads with few tiles per split) of every table the
# sparse MLA kernel times. Set AICONF_GIT_COMMIT; carry .deps; AICONF_COLLECT_GPUS for several GPUs.
# usage: tools/gpu/producer_recollect.sh <out-dir> check              build, GPU test, full benchmark, sanitizers
#        tools/gpu/producer_recollect.sh <out-dir> collect <model:collector>...   e.g. DeepSeek-V3.2:sparse_mla_context
# The collectors: DeepSeek-V3.2: sparse_mla_context sparse_mla_generation dsa_generation_module
# dsa_context_module; DeepSeek-V3: mla_generation mla_generation_module.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$1 what=$2
mkdir -p "$out"
filter='num_heads=32|64|128,kv_cache_dtype=bfloat16'
case $what in
  check)
    tools/gpu/device_build.sh sparse_mla_kernels_test sparse_mla_kernels_bench dsa_indexer_logits_test >"$out/build.log" 2>&1
    tail -3 "$out/build.log"
    ./build-gpu/bin/dsa_indexer_logits_test >"$out/dsa_indexer_logits_test.txt" 2>&1
    echo "dsa_indexer_logits_test rc=$? $(tail -1 "$out/dsa_indexer_logits_test.txt")"
    ./build-gpu/bin/sparse_mla_kernels_test >"$out/sparse_mla_kernels_test.txt" 2>&1
    echo "sparse_mla_kernels_test rc=$? $(tail -1 "$out/sparse_mla_kernels_test.txt")"
    SMLA_TEST_FILTER="gen bf16 b5 h64" compute-sanitizer --tool racecheck ./build-gpu/bin/sparse_mla_kernels_test \
      >"$out/racecheck.txt" 2>&1
    SMLA_TEST_FILTER="ctx bf16 T300" compute-sanitizer --tool synccheck ./build-gpu/bin/sparse_mla_kernels_test \
      >"$out/synccheck.txt" 2>&1
    echo "sanitizers: $(tail -1 "$out/racecheck.txt") / $(tail -1 "$out/synccheck.txt")"
    ./build-gpu/bin/sparse_mla_kernels_bench "$out/sparse_mla_bench.md" >"$out/sparse_mla_bench_log.txt" 2>&1
    echo "bench rc=$?" ;;
  collect)  # collect <model:collector>...: one device call per one or two collectors (600 s per call)
    shift 2
    tools/gpu/recollect_rows.sh "$out/rc" "$filter" "${COLLECT_BUDGET_S:-280}" "$@" 2>&1 | grep "aiconf-collect\|wall\|build:" ;;
esac
