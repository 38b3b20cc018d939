#!/usr/bin/env bash
# On the GPU machine, one call per card: the FP8-KV context path's GPU tests (e4m3 quantize, flash
# attention, mla mock layers), then the table work of 2026-11-27 (fourth session) into perfdb/:
# context_mla fp8 rows, a fresh generation_attention_perf on the 2^k - 1 grid, the dense-MLA sweeps
# left partial (tools/gpu/collect_mla_remaining.sh; the context module now with its fp8 rows) and,
# when a model config is given, that model's moe_perf rows. Tables come back as one tarball.
# usage: tools/gpu/session_tables.sh <out-dir> <s-gen-mla> <s-gen-module> <s-ctx-module> [moe-config]
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$1 s_gen=$2 s_genmod=$3 s_ctxmod=$4 moe=${5:-}
tools/gpu/device_build.sh aiconf_plugins aiconf_collect fp8_e4m3_reference_test fp8_quantize_kernels_test \
  flash_attention_kernels_test mla_mock_layers_gpu_test >"$out/build.log" 2>&1
echo "build rc=$? $(tail -1 "$out/build.log")"
sys=$(nvidia-smi --query-gpu=name --format=csv,noheader | grep -q H200 && echo h200_sxm || echo h100_sxm)
for t in fp8_e4m3_reference_test fp8_quantize_kernels_test flash_attention_kernels_test mla_mock_layers_gpu_test; do
  timeout 300 ./build-gpu/bin/$t >"$out/$t.txt" 2>&1
  echo "$t rc=$? $(tail -1 "$out/$t.txt")"
done
./build-gpu/bin/aiconf-collect --model examples/configs/DeepSeek-V3.json --collector mla_context --resume --filter 'kv_cache_dtype=fp8' \
  --time-budget-s 150 --min-samples 3 --max-samples 15 --case-time-s 0.5 --warmup 2 2>&1 | grep "^aiconf-collect" | tee "$out/collect.log"
tools/gpu/recollect_generation_attention.sh "$out"
tools/gpu/collect_mla_remaining.sh "$out" "$s_gen" "$s_genmod" "$s_ctxmod" >/dev/null
tail -4 "$out/collect.log"
if [ -n "$moe" ]; then
  ./build-gpu/bin/aiconf-collect --model "$moe" --collector moe --resume --time-budget-s 150 2>&1 | grep "^aiconf-collect" | tee -a "$out/collect.log"
fi
find perfdb/$sys -name '*.lock' -delete
tar czf "$out/perfdb_$sys.tar.gz" perfdb/$sys/aiconf
# The device tool returns at most 8 files: the logs travel as one tarball too.
(cd "$out" && tar czf logs.tar.gz ./*.log ./*.txt && rm -f ./*.log ./*.txt)
