#!/usr/bin/env bash
# A/B of FP8-producer variants (device machine): tools/variants.sh builds each variant and runs its
# FP8 test cases and FP8-only quick benchmark, then every variant's benchmark runs again in
# interleaved rounds at the shapes the FP8 changes aim at: full lists (contiguous, L 8192), short
# lists (SMLA_VALID_KEYS = 1, 64, 1024 of 2048 slots valid) and a paged L 32768 cache.
# Usage: tools/ab_fp8.sh OUTDIR ROUNDS label=FLAGS...   e.g. tools/ab_fp8.sh /tmp/ab 2 base=-DX new=
# Prints one line per (shape set, round, variant): "b<b>s<s_q>h<h> <us>" per shape; logs in OUTDIR.
set -u
cd "$(dirname "$0")/.."
OUTDIR=$1 ROUNDS=$2
shift 2
export SMLA_FP8_ONLY=1
SMLA_TEST_FILTER=${SMLA_TEST_FILTER-fp8} tools/variants.sh "$OUTDIR" "$@" || exit $?
for round in $(seq "$ROUNDS"); do
  for set in full valid1:SMLA_VALID_KEYS=1 valid64:SMLA_VALID_KEYS=64 valid1024:SMLA_VALID_KEYS=1024 \
             paged32k:SMLA_PAGED=1,SMLA_QUICK_L=32768; do
    name=${set%%:*} vars=
    [ "$name" != "$set" ] && vars=${set#*:}
    for spec in "$@"; do
      label=${spec%%=*} md="$OUTDIR/${name}_${label}_r$round.md"
      env SMLA_QUICK=1 ${vars//,/ } timeout "${SMLA_RUN_TIMEOUT:-300}" ./build/bench_$label "$md" > /dev/null 2>&1
      echo "$name r$round $label: $(grep '^| gen' "$md" | awk -F'|' '{gsub(/ /, ""); printf "b%ss%sh%s %s  ", $4, $5, $6, $10}')"
    done
  done
done | tee "$OUTDIR/ab.txt"
