#!/usr/bin/env bash
# Timing experiment: the quick benchmark for the normal kernel and for two crippled variants
# (no wgmma: gather + softmax only; no gather: math on stale tiles, bf16 cache only). Says which
# part bounds a tile. Usage: tools/experiment.sh OUTDIR
set -u
SMLA_NO_TEST=1 exec "$(dirname "$0")/variants.sh" "$1" normal= NO_MMA=-DAICONF_SMLA_DEBUG_NO_MMA \
  NO_GATHER=-DAICONF_SMLA_DEBUG_NO_GATHER
