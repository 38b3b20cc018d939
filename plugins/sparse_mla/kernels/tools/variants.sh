#!/usr/bin/env bash
# Builds the fast kernels (sparse_mla_wgmma.cu, sparse_mla_producer.cu) in several compile-time variants and, for each, runs the GPU test (cases
# whose name contains $SMLA_TEST_FILTER; all when unset; none with SMLA_NO_TEST=1, e.g. for the
# debug variants whose results are garbage) and the quick benchmark (SMLA_QUICK=1).
# Usage: tools/variants.sh OUTDIR label=FLAGS...   e.g. base= nomma=-DAICONF_SMLA_DEBUG_NO_MMA
# Prints each variant's test verdict and quick-benchmark rows; logs go to OUTDIR. Each run is cut
# after $SMLA_RUN_TIMEOUT seconds (default 300; rc 124), so a deadlocked variant cannot eat the call.
set -u
cd "$(dirname "$0")/.."
OUTDIR=$1; shift
mkdir -p "$OUTDIR" build
NVCC="nvcc -gencode=arch=compute_90a,code=sm_90a -O3 -std=c++20 --expt-relaxed-constexpr -lineinfo -Iinclude -I../../common/cuda/include"
$NVCC -c src/sparse_mla_simple.cu -o build/simple.o && $NVCC -c src/sparse_mla_narrow.cu -o build/narrow.o && $NVCC -x cu -c src/sparse_mla_check.cpp -o build/check.o &&
  $NVCC -c reference/sparse_mla_reference.cpp -o build/reference.o || exit 2
for spec in "$@"; do
  label=${spec%%=*}; flags=${spec#*=}
  ( $NVCC $flags -Xptxas -v -c src/sparse_mla_wgmma.cu -o build/wgmma_$label.o 2> "$OUTDIR/ptxas_$label.txt" &&
    $NVCC $flags -Xptxas -v -c src/sparse_mla_producer.cu -o build/producer_$label.o 2>> "$OUTDIR/ptxas_$label.txt" &&
    $NVCC tests/sparse_mla_test.cu build/reference.o build/wgmma_$label.o build/producer_$label.o build/narrow.o build/simple.o build/check.o -o build/test_$label &&
    $NVCC bench/sparse_mla_bench.cu build/wgmma_$label.o build/producer_$label.o build/narrow.o build/simple.o build/check.o -o build/bench_$label ) || exit 2 &
done
wait
for spec in "$@"; do
  label=${spec%%=*}
  echo "== $label (${spec#*=})"
  if [ -z "${SMLA_NO_TEST:-}" ]; then
    timeout "${SMLA_RUN_TIMEOUT:-300}" ./build/test_$label > "$OUTDIR/test_$label.txt" 2>&1; echo "test rc=$? $(tail -1 "$OUTDIR/test_$label.txt")"
    grep FAIL "$OUTDIR/test_$label.txt"
  fi
  SMLA_QUICK=1 timeout "${SMLA_RUN_TIMEOUT:-300}" ./build/bench_$label "$OUTDIR/quick_$label.md" > "$OUTDIR/bench_$label.txt" 2>&1
  grep '^| gen\|^| ctx' "$OUTDIR/quick_$label.md"
done 2>&1 | tee "$OUTDIR/variants.txt"
