#!/usr/bin/env bash
# On the GPU machine: `aiconf check` of both DSA plugins (GPU items included) against a perf database.
# usage: tools/gpu/check_dsa_plugins.sh <out-dir> <system> <perfdb-root> [reference-root]
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$1 system=$2 perfdb=$3 ref=${4:-}
refopt=()
[ -n "$ref" ] && refopt=(--reference "$ref")
for p in dsa_indexer sparse_mla; do
  ./build-gpu/bin/aiconf check $p --system "$system" --perfdb "$perfdb" "${refopt[@]}" >"$out/check_$p.txt" 2>&1
  echo "check $p rc=$? $(tail -1 "$out/check_$p.txt")"
done
