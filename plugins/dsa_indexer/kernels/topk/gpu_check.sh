#!/usr/bin/env bash
# Standalone build + GPU test + benchmark of this folder (no dependency on the rest of the tree).
# Usage (from anywhere): plugins/dsa_indexer/kernels/topk/gpu_check.sh [outdir]
# Writes test.log, torch.txt, torch.log, bench.md into outdir (default: ./topk_out).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$PWD/topk_out}"
mkdir -p "$out"
build="$(mktemp -d)"
flags=(-gencode=arch=compute_90a,code=sm_90a -O3 -std=c++20 --expt-relaxed-constexpr -lineinfo -I"$here/include" -I"$here/../../../common/cuda/include")
cd "$here"
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm --format=csv | tee "$out/card.txt"
nvcc "${flags[@]}" -c src/topk_kernel.cu -o "$build/topk_kernel.o" || exit 1
nvcc "${flags[@]}" -c reference/topk_reference.cpp -o "$build/topk_reference.o" || exit 1
nvcc "${flags[@]}" tests/topk_gpu_test.cu "$build/topk_kernel.o" "$build/topk_reference.o" -o "$build/topk_gpu_test" || exit 1
nvcc "${flags[@]}" bench/topk_bench.cu "$build/topk_kernel.o" "$build/topk_reference.o" -o "$build/topk_bench" || exit 1
"$build/topk_gpu_test" 2>&1 | tee "$out/test.log"
test_rc=${PIPESTATUS[0]}
echo "test exit code $test_rc" | tee -a "$out/test.log"
PYTHONUNBUFFERED=1 python3 bench/torch_topk_bench.py > "$out/torch.txt" 2> "$out/torch.log"
cat "$out/torch.log"
"$build/topk_bench" "$out/torch.txt" 2>&1 | tee "$out/bench.md"
exit "$test_rc"
