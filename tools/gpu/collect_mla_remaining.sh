#!/usr/bin/env bash
# On the GPU machine: the parts of the dense-MLA sweeps that earlier, time-budgeted runs left out
# (perfdb/README.md, coverage): generation_mla heads 4/2/1, more of mla_generation_module, and
# mla_context_module grown with --adaptive (seeded with the committed rows). Resumable: each
# collector skips the cases its table already has. Tables come back as one tarball.
# usage: tools/gpu/collect_mla_remaining.sh <out-dir> <seconds-gen> <seconds-gen-module> <seconds-ctx-module>
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$1 s_gen=$2 s_genmod=$3 s_ctxmod=$4
tools/gpu/device_build.sh aiconf_plugins aiconf_collect >"$out/build_mla.log" 2>&1
tail -1 "$out/build_mla.log"
sys=$(nvidia-smi --query-gpu=name --format=csv,noheader | grep -q H200 && echo h200_sxm || echo h100_sxm)
collect() {  # <collector> <seconds> [args]
  local name=$1 secs=$2
  shift 2
  ./build-gpu/bin/aiconf-collect --model examples/configs/DeepSeek-V3.json --collector "$name" --resume \
    --time-budget-s "$secs" --min-samples 3 --max-samples 15 --case-time-s 0.5 --warmup 2 "$@" 2>&1 |
    grep -v "^\[" | tail -6 | tee -a "$out/collect.log"
}
collect mla_generation "$s_gen" --filter 'num_heads=4|2|1'
collect mla_generation_module "$s_genmod"
collect mla_context_module "$s_ctxmod" --adaptive 128 --adaptive-target 0.02
find perfdb/$sys -name '*.lock' -delete
tar czf "$out/perfdb_$sys.tar.gz" perfdb/$sys/aiconf/0.1.0/{generation_mla_perf,mla_generation_module_perf,mla_context_module_perf}.txt \
  perfdb/$sys/aiconf/0.1.0/collection_meta.json
