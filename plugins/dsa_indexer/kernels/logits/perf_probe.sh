#!/usr/bin/env bash
# Performance probes for device runs: the full gpu_check (build, test, bench), then variants of
# the kernel (diagnostic no-epilogue build, other stage counts) on a few bench cases, then an
# Nsight Compute section report of one context and one generation launch.
# Usage: bash perf_probe.sh [outdir]
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-${OUT:-$here/gpu_check_out}}"
mkdir -p "$out"
bash "$here/gpu_check.sh" "$out"
rc=$?
build="${TMPDIR:-/tmp}/indexer_logits_build"
flags=(-gencode=arch=compute_90a,code=sm_90a -O3 -std=c++20 --expt-relaxed-constexpr -lineinfo -I"$here/include" -I"$here/../../../common/cuda/include")
# PROBE_VARIANTS="name:-DFLAG ..." overrides the list; PROBE_NCU=0 skips the Nsight Compute part.
read -r -a variants <<<"${PROBE_VARIANTS:-diag_no_epilogue:-DAICONF_INDEXER_DIAG_NO_EPILOGUE stages12:-DAICONF_INDEXER_STAGES=12 stages4:-DAICONF_INDEXER_STAGES=4}"
for v in "${variants[@]}"; do
  name="${v%%:*}"; def="${v#*:}"
  ( nvcc "${flags[@]}" $def -c "$here/src/indexer_logits.cu" -o "$build/lib_$name.o" &&
    nvcc "${flags[@]}" "$build/bench.o" "$build/lib_$name.o" -o "$build/bench_$name" ) &
done
wait
filter="${PROBE_FILTER:-ctx4096,ctx16384,ctx16384-nofill,gen-n1-B256-L32768,gen-n2-B256-L32768}"
for v in "${variants[@]}"; do
  name="${v%%:*}"
  echo "== variant $name" | tee -a "$out/variants.md"
  INDEXER_BENCH_FILTER="$filter" timeout 60 "$build/bench_$name" 2>&1 | grep "^|" | tee -a "$out/variants.md"
done
if [ "${PROBE_NCU:-1}" = 1 ] && command -v ncu >/dev/null; then
  for c in ctx16384 gen-n1-B256-L32768; do
    INDEXER_BENCH_FILTER=$c timeout 120 ncu -k regex:indexer_logits_kernel --launch-skip 2 -c 1 \
      --section SpeedOfLight --section ComputeWorkloadAnalysis --section SchedulerStats \
      --section WarpStateStats --section MemoryWorkloadAnalysis \
      "$build/indexer_logits_bench" >"$out/ncu_$c.txt" 2>&1
    echo "ncu $c exit $?"
  done
fi
exit $rc
