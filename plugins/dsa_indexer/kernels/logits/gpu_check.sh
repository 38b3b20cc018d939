#!/usr/bin/env bash
# Standalone build + test + benchmark of the indexer logits kernel with nvcc alone (no CMake),
# for device iterations. Usage (repo root or this folder): bash gpu_check.sh [outdir]
# Writes test.log, bench.md, sass_summary.txt to outdir (default $OUT or ./gpu_check_out).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-${OUT:-$here/gpu_check_out}}"
build="${TMPDIR:-/tmp}/indexer_logits_build"
mkdir -p "$out" "$build"
flags=(-gencode=arch=compute_90a,code=sm_90a -O3 -std=c++20 --expt-relaxed-constexpr -lineinfo -I"$here/include" -I"$here/../../../common/cuda/include")
nvcc=/usr/local/cuda/bin/nvcc
command -v nvcc >/dev/null && nvcc=nvcc
set -e
"$nvcc" "${flags[@]}" -Xptxas -v -c "$here/src/indexer_logits.cu" -o "$build/lib.o" 2>"$build/ptxas.txt" &
"$nvcc" "${flags[@]}" -c "$here/tests/indexer_logits_test.cu" -o "$build/test.o" &
"$nvcc" "${flags[@]}" -c "$here/bench/indexer_logits_bench.cu" -o "$build/bench.o" &
g++ -std=c++20 -O2 -I"$here/include" -c "$here/reference/indexer_logits_reference.cpp" -o "$build/ref.o" &
wait
"$nvcc" "${flags[@]}" "$build/test.o" "$build/lib.o" "$build/ref.o" -o "$build/indexer_logits_test"
"$nvcc" "${flags[@]}" "$build/bench.o" "$build/lib.o" -o "$build/indexer_logits_bench"
set +e
{
  grep -E "registers|spill" "$build/ptxas.txt"
  echo "ptxas wgmma serialisation notes (C751x): $(grep -c C751 "$build/ptxas.txt")"
  if command -v cuobjdump >/dev/null; then
    echo "QGMMA instructions: $(cuobjdump -sass "$build/lib.o" | grep -c QGMMA)"
    echo "local memory ops (LDL/STL): $(cuobjdump -sass "$build/lib.o" | grep -cE 'LDL|STL')"
  fi
} >"$out/sass_summary.txt"
cat "$out/sass_summary.txt"
timeout 120 "$build/indexer_logits_test" 2>&1 | tee "$out/test.log"
test_rc=${PIPESTATUS[0]}
echo "test exit code: $test_rc" | tee -a "$out/test.log"
if command -v compute-sanitizer >/dev/null; then
  INDEXER_LOGITS_QUICK=1 timeout 90 compute-sanitizer --tool memcheck "$build/indexer_logits_test" >"$out/memcheck.log" 2>&1
  echo "memcheck exit code: $? ($(tail -n 1 "$out/memcheck.log"))" | tee -a "$out/test.log"
fi
timeout 100 "$build/indexer_logits_bench" "$out/bench.md" 2>&1 | tee "$out/bench.log"
exit "$test_rc"
