#!/usr/bin/env bash
# On the GPU machine: the FP8-KV path of mla_context. Builds the targets, runs the e4m3 quantize
# tests (CPU reference and GPU kernel), the flash-attention kernel test and the mla mock-layer test
# (which has mla_context fp8 cases), then collects the whole mla_context sweep of DeepSeek-V3.2
# (880 shapes x kv_cache_dtype bfloat16 and fp8 = 1,760 rows per system) within a time budget.
# The table is collected into build-gpu/perfdb-mla-fp8 (ignored, so it survives the tree re-sync of
# the next call while the machine stays warm: rerun with the same arguments and `no-tests` until the
# log says no case is left) and copied into <out-dir> after each call, with every log.
# usage: tools/gpu/check_context_mla_fp8.sh <out-dir> [seconds, default 420] [no-tests]
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$1 secs=${2:-420} tests=${3:-tests}
mkdir -p "$out"
work=build-gpu/perfdb-mla-fp8
tools/gpu/device_build.sh aiconf_plugins aiconf_collect fp8_e4m3_reference_test fp8_quantize_kernels_test \
  flash_attention_kernels_test mla_mock_layers_gpu_test >"$out/build.log" 2>&1
echo "build rc=$? $(tail -1 "$out/build.log")"
if [ "$tests" != no-tests ]; then
  for t in fp8_e4m3_reference_test fp8_quantize_kernels_test flash_attention_kernels_test mla_mock_layers_gpu_test; do
    timeout 300 ./build-gpu/bin/$t >"$out/$t.txt" 2>&1
    echo "$t rc=$? $(tail -1 "$out/$t.txt")"
  done
fi
# A fresh table (only the system specs seeded), so the bf16 and fp8 rows come from one session.
if [ ! -d "$work/systems" ]; then
  mkdir -p "$work" && cp -r perfdb/systems "$work/"
fi
./build-gpu/bin/aiconf-collect --model examples/configs/DeepSeek-V3.2.json --collector mla_context --out "$work" --resume \
  --time-budget-s "$secs" --min-samples 3 --max-samples 15 --case-time-s 0.5 --warmup 2 \
  2>&1 | grep "^aiconf-collect" | tee -a "$out/collect.log"
for table in "$work"/*/aiconf/*/context_mla_perf.txt; do
  [ -f "$table" ] || continue
  system=$(echo "$table" | cut -d/ -f3)
  cp "$table" "$out/context_mla_perf_$system.txt"
  cp "$(dirname "$table")/collection_meta.json" "$out/collection_meta_$system.json" 2>/dev/null
  # Rows per kv_cache_dtype (column 7): 880 each when the sweep is complete.
  echo "$system: $(tail -n +2 "$table" | cut -d, -f7 | sort | uniq -c | tr '\n' ' ')"
done
