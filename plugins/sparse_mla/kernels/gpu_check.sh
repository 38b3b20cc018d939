#!/usr/bin/env bash
# Standalone build + test + benchmark of the sparse MLA kernels with nvcc (device iteration).
# Usage: plugins/sparse_mla/kernels/gpu_check.sh [outdir] [test|bench|all]   (default: $OUT or ./out, all)
set -u
cd "$(dirname "$0")"
OUTDIR=${1:-${OUT:-./out}}
WHAT=${2:-all}
mkdir -p "$OUTDIR" build
NVCC="nvcc -gencode=arch=compute_90a,code=sm_90a -O3 -std=c++20 --expt-relaxed-constexpr -lineinfo -Iinclude -I../../common/cuda/include ${EXTRA_NVCC_FLAGS:-}"
LIBSRC="src/sparse_mla_wgmma.cu src/sparse_mla_narrow.cu src/sparse_mla_producer.cu src/sparse_mla_simple.cu src/sparse_mla_check.cpp"
set -x
$NVCC -Xptxas -v -c src/sparse_mla_wgmma.cu -o build/wgmma.o 2> "$OUTDIR/ptxas.txt" || { cat "$OUTDIR/ptxas.txt"; exit 2; }
$NVCC -Xptxas -v -c src/sparse_mla_narrow.cu -o build/narrow.o 2> "$OUTDIR/ptxas_narrow.txt" || { cat "$OUTDIR/ptxas_narrow.txt"; exit 2; }
$NVCC -Xptxas -v -c src/sparse_mla_producer.cu -o build/producer.o 2> "$OUTDIR/ptxas_producer.txt" || { cat "$OUTDIR/ptxas_producer.txt"; exit 2; }
$NVCC -c src/sparse_mla_simple.cu -o build/simple.o || exit 2
$NVCC -x cu -c src/sparse_mla_check.cpp -o build/check.o || exit 2
cuobjdump -sass build/wgmma.o > "$OUTDIR/sass.txt" 2>/dev/null && grep -o 'HGMMA\.[A-Za-z0-9.]*' "$OUTDIR/sass.txt" | sort | uniq -c > "$OUTDIR/hgmma_count.txt"
LIBOBJ="build/wgmma.o build/narrow.o build/producer.o build/simple.o build/check.o"
rc=0
if [ "$WHAT" != bench ]; then
  $NVCC tests/sparse_mla_test.cu reference/sparse_mla_reference.cpp $LIBOBJ -o build/sparse_mla_test || exit 2
  ./build/sparse_mla_test 2>&1 | tee "$OUTDIR/test_log.txt"
  rc=${PIPESTATUS[0]}
fi
if [ "$WHAT" != test ]; then
  $NVCC bench/sparse_mla_bench.cu $LIBOBJ -o build/sparse_mla_bench || exit 2
  ./build/sparse_mla_bench "$OUTDIR/bench_table.md" 2>&1 | tee "$OUTDIR/bench_log.txt"
fi
exit $rc
