#!/usr/bin/env bash
# compute-sanitizer runs of the GPU test after gpu_check.sh has built it (device machine): racecheck
# on the FP8 cases that exercise the in-place dequantization's ordering (odd tile counts per split;
# rows with large scales), synccheck on every FP8 case, memcheck on a partial head tile.
# Usage: tools/sanitize.sh OUTDIR   (writes racecheck*.txt, synccheck.txt, memcheck.txt; prints verdicts)
set -u
cd "$(dirname "$0")/.."
OUTDIR=$1
mkdir -p "$OUTDIR"
CS=${COMPUTE_SANITIZER:-/usr/local/cuda/bin/compute-sanitizer}
run() {  # name tool filter
  SMLA_TEST_FILTER="$3" "$CS" --tool "$2" --error-exitcode 3 ./build/sparse_mla_test > "$OUTDIR/$1.txt" 2>&1
  echo "$1 ($2, '$3'): rc=$? $(grep -h 'SUMMARY\|ALL PASS\|SOME FAILED' "$OUTDIR/$1.txt" | tr '\n' ' ')"
}
run racecheck racecheck k700
run racecheck_large_rows racecheck "large rows"
run synccheck synccheck fp8
run memcheck memcheck "fp8 b3 h100"
