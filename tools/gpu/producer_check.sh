#!/usr/bin/env bash
# The bf16 producer-warpgroup head-tile kernel on the device: quick benchmark against the old bf16
# path (gather in the math warps) and the no-gather / no-wgmma timing variants, the GPU test, and
# compute-sanitizer race/sync checks. Usage (device tool): bash tools/gpu/producer_check.sh  ($OUT/p.tgz)
set -u
nvidia-smi --query-gpu=name --format=csv,noheader > "$OUT/card.txt"
cd plugins/sparse_mla/kernels
R=$OUT/p; mkdir -p "$R"
SMLA_NO_TEST=1 timeout 300 tools/variants.sh "$R" new= old=-DAICONF_SMLA_BF16_INLINE_GATHER new_l2pf=-DAICONF_SMLA_L2_256B \
  new_nogather=-DAICONF_SMLA_DEBUG_NO_GATHER new_nomma=-DAICONF_SMLA_DEBUG_NO_MMA > /dev/null 2>&1
timeout 150 ./build/test_new > "$R/test_new.txt" 2>&1; echo "rc=$?" >> "$R/test_new.txt"
SMLA_TEST_FILTER="gen bf16 b5 h64" timeout 60 compute-sanitizer --tool racecheck ./build/test_new > "$R/racecheck.txt" 2>&1
SMLA_TEST_FILTER="gen bf16 b2 h100" timeout 60 compute-sanitizer --tool synccheck ./build/test_new > "$R/synccheck.txt" 2>&1
cd "$OUT" && tar czf p.tgz p card.txt && rm -rf p
