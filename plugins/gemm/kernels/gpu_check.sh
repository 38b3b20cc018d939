#!/usr/bin/env bash
# Builds the GEMM mock layer with nvcc directly (no CMake needed on the device machine), runs its
# GPU tests and benchmark, and also builds/runs bench/ceilings. Logs go to ${OUT:-./gpu_out}.
#   plugins/gemm/kernels/gpu_check.sh [test|square|all]   (default all)
set -u -o pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="${OUT:-$here/gpu_out}"
mode="${1:-all}"
mkdir -p "$out"
build="$(mktemp -d)"
flags=(-gencode=arch=compute_90a,code=sm_90a -O3 -std=c++20 -lineinfo -I"$here/include" -I"$here/../../common/cuda/include")
libs=(-lcublasLt -lcublas)
status=0

nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,temperature.gpu,power.draw --format=csv | tee "$out/gpu.txt"
echo "== build" && set -x
nvcc "${flags[@]}" -c "$here/src/gemm_runner.cpp" -o "$build/gemm_runner.o" &&
nvcc "${flags[@]}" -c "$here/src/fp8_quantize.cu" -o "$build/fp8_quantize.o" &&
nvcc "${flags[@]}" -c "$here/src/random_fill.cu" -o "$build/random_fill.o" &&
objs=("$build/gemm_runner.o" "$build/fp8_quantize.o" "$build/random_fill.o") &&
nvcc "${flags[@]}" "$here/tests/gemm_runner_test.cu" "${objs[@]}" "${libs[@]}" -o "$build/gemm_runner_test" &&
nvcc "${flags[@]}" "$here/tests/fp8_quantize_test.cu" "${objs[@]}" "${libs[@]}" -o "$build/fp8_quantize_test" &&
nvcc "${flags[@]}" "$here/bench/gemm_bench.cu" "${objs[@]}" "${libs[@]}" -o "$build/bench_gemm" &&
nvcc "${flags[@]}" "$here/bench/block_scale_probe.cu" "$build/random_fill.o" "${libs[@]}" -o "$build/block_scale_probe" &&
nvcc "${flags[@]}" "$root/bench/ceilings/ceilings_bench.cu" "${objs[@]}" "${libs[@]}" -o "$build/bench_ceilings" || { echo "BUILD FAILED"; exit 1; }
set +x

echo "== block-scale probe"
"$build/block_scale_probe" 2>&1 | tee "$out/block_scale_probe.log"

echo "== tests"
"$build/fp8_quantize_test" 2>&1 | tee "$out/fp8_quantize_test.log"; [ "${PIPESTATUS[0]}" = 0 ] || status=1
"$build/gemm_runner_test" 2>&1 | tee "$out/gemm_runner_test.log"; [ "${PIPESTATUS[0]}" = 0 ] || status=1
[ "$mode" = test ] && exit $status

echo "== ceilings"
"$build/bench_ceilings" --json "$out/ceilings.json" 2>&1 | tee "$out/ceilings.log" || status=1

echo "== bench"
if [ "$mode" = square ]; then
  "$build/bench_gemm" --square-only 2>&1 | tee "$out/gemm_bench.md" || status=1
else
  "$build/bench_gemm" --csv "$out/gemm_perf.txt" 2>&1 | tee "$out/gemm_bench.md" || status=1
fi
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,temperature.gpu,power.draw --format=csv | tee -a "$out/gpu.txt"
exit $status
