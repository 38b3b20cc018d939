#!/usr/bin/env bash
# On the GPU machine: build, test and benchmark the sparse MLA kernels after a kernel change (the
# narrow-heads kernel), with the mock layers that run them and compute-sanitizer on two small cases.
# usage: tools/gpu/narrow_heads_check.sh <out-dir>      (set AICONF_GIT_COMMIT; carry .deps)
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$1
mkdir -p "$out"
t0=$(date +%s)
tools/gpu/device_build.sh aiconf_collect aiconf_plugins aiconf_mock_layers_test sparse_mla_kernels_test \
  sparse_mla_kernels_bench >"$out/build.log" 2>&1
tail -3 "$out/build.log"
echo "build: $(( $(date +%s) - t0 )) s"
bin=./build-gpu/bin
$bin/sparse_mla_kernels_test >"$out/sparse_mla_kernels_test.txt" 2>&1
echo "sparse_mla_kernels_test rc=$? $(tail -1 "$out/sparse_mla_kernels_test.txt")"
for tool in racecheck synccheck; do
  SMLA_TEST_FILTER="narrow gen bf16 b2 h16" compute-sanitizer --tool $tool $bin/sparse_mla_kernels_test \
    >"$out/sanitizer_$tool.txt" 2>&1
  echo "compute-sanitizer $tool rc=$? $(grep -h "ERROR SUMMARY\|RACECHECK SUMMARY" "$out/sanitizer_$tool.txt" | head -1)"
done
$bin/sparse_mla_kernels_bench "$out/sparse_mla_bench.md" >"$out/sparse_mla_bench_log.txt" 2>&1
echo "bench rc=$?"
SMLA_QUICK=1 SMLA_PAGED=1 $bin/sparse_mla_kernels_bench "$out/sparse_mla_quick_paged.md" >/dev/null 2>&1
for cfg in DeepSeek-V3.2:12 DeepSeek-V3:4; do
  timeout 240 $bin/aiconf_mock_layers_test "examples/configs/${cfg%%:*}.json" "${cfg#*:}" >"$out/mock_layers_${cfg%%:*}.txt" 2>&1
  echo "mock layers ${cfg%%:*} rc=$? $(tail -1 "$out/mock_layers_${cfg%%:*}.txt")"
done
echo "total: $(( $(date +%s) - t0 )) s"
