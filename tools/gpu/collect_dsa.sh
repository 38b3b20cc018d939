#!/usr/bin/env bash
# On the GPU machine: build, run the mock-layer GPU test, then collect the DSA perf tables into
# perfdb/<system>/aiconf/<version>/ with a time budget per group (resumable with --resume).
# usage: tools/gpu/collect_dsa.sh <out-dir> <seconds-for-ops> <seconds-for-modules> <seconds-for-gemm>
#        [extra aiconf-collect args]
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$1 ops_s=$2 mod_s=$3 gemm_s=$4
shift 4
tools/gpu/device_build.sh aiconf_cli aiconf_plugins aiconf_mock_layers_test aiconf_collect aiconf_unit_tests >"$out/build.log" 2>&1
tail -3 "$out/build.log"
./build-gpu/bin/aiconf_mock_layers_test examples/configs/DeepSeek-V3.2.json 3 >"$out/mock_layers_test.txt" 2>&1
echo "mock layers test rc=$? $(tail -1 "$out/mock_layers_test.txt")"
./build-gpu/bin/aiconf_unit_tests -r compact 2>&1 | grep -vE "^Passed|passed:" | tail -8 >"$out/unit_tests.txt"
collect() {  # <seconds> <collectors> [args]
  local secs=$1 names=$2
  shift 2
  ./build-gpu/bin/aiconf-collect --model examples/configs/DeepSeek-V3.2.json --collector "$names" --resume \
    --time-budget-s "$secs" --min-samples 3 --max-samples 15 --case-time-s 0.5 --warmup 2 "$@" 2>&1 | tail -4
}
# Spread each budget over the sweep: every 3rd case first (shard 0/3), the rest on a later resume.
collect $((ops_s / 3)) dsa_indexer_logits_context,dsa_topk_context,dsa_indexer_logits_generation,dsa_topk_generation --shard 0/3 "$@"
collect $((ops_s * 2 / 3)) sparse_mla_context,sparse_mla_generation --filter 'num_heads=128|16' --shard 0/3 "$@"
collect "$mod_s" dsa_context_module,dsa_generation_module --filter 'num_heads=128|16' --shard 0/3 "$@"
# The GEMMs of the DSA attention block (fused q_a+kv_a, q_b at tp1/tp8, indexer wq_b/wk/weights,
# o_proj), bf16 and FP8 block scales, for the module-vs-ops alignment.
if [ "$gemm_s" -gt 0 ]; then
  collect "$gemm_s" gemm --filter 'gemm_dtype=bfloat16|fp8_block,n=2112|24576|3072|8192|128|64|7168' --shard 0/2 "$@"
fi
tar czf "$out/perfdb_collected.tar.gz" perfdb/*/aiconf
ls -la perfdb/*/aiconf/*/
