#!/usr/bin/env bash
# Timing experiment: the quick benchmark for the normal kernel and for two crippled variants
# (no wgmma: gather + softmax only; no gather: math on stale tiles). Says which part bounds a tile.
# Usage: tools/experiment.sh OUTDIR
set -u
cd "$(dirname "$0")/.."
OUTDIR=$1
mkdir -p "$OUTDIR" build
NVCC="nvcc -gencode=arch=compute_90a,code=sm_90a -O3 -std=c++20 --expt-relaxed-constexpr -lineinfo -Iinclude -I../../common/cuda/include"
$NVCC -c src/sparse_mla_simple.cu -o build/simple.o && $NVCC -x cu -c src/sparse_mla_check.cpp -o build/check.o || exit 2
for v in normal NO_MMA NO_GATHER; do
  flag=""; [ $v != normal ] && flag="-DAICONF_SMLA_DEBUG_$v"
  ( $NVCC $flag -c src/sparse_mla_wgmma.cu -o build/wgmma_$v.o &&
    $NVCC bench/sparse_mla_bench.cu build/wgmma_$v.o build/simple.o build/check.o -o build/bench_$v ) || exit 2 &
done
wait
for v in normal NO_MMA NO_GATHER; do
  echo "== $v"; SMLA_QUICK=1 ./build/bench_$v "$OUTDIR/quick_$v.md" | grep -v '^|' | tail -8
done 2>&1 | tee "$OUTDIR/experiment.txt"
