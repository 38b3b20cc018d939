#!/usr/bin/env bash
# On the GPU machine, the closing run of a session: build, every family's mock-layer GPU test and the
# kernel tests, `aiconf check` of the DSA plugins with their GPU items, then collection with what time
# is left (resumable): the base tables' full sweeps, then the DSA context tables.
# usage: tools/gpu/final_check_h200.sh <out-dir> <seconds-per-group> <seconds-for-dsa-context> [kernel test targets...]
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$1 secs=$2 dsa_s=$3
shift 3
tools/gpu/device_build.sh aiconf_cli aiconf_plugins aiconf_mock_layers_test aiconf_collect "$@" >"$out/build.log" 2>&1
tail -2 "$out/build.log"
for t in "$@"; do
  timeout 120 ./build-gpu/bin/$t >"$out/$t.txt" 2>&1
  echo "$t rc=$? $(tail -1 "$out/$t.txt")"
done
for cfg in DeepSeek-V3.2 DeepSeek-V3 Qwen3-32B Qwen3-235B-A22B; do
  timeout 120 ./build-gpu/bin/aiconf_mock_layers_test examples/configs/$cfg.json 3 >"$out/mock_layers_${cfg}.txt" 2>&1
  echo "mock layers $cfg rc=$? $(tail -1 "$out/mock_layers_${cfg}.txt")"
done
for p in dsa_indexer sparse_mla; do
  ./build-gpu/bin/aiconf check $p --system h200_sxm >"$out/check_$p.txt" 2>&1
  echo "check $p rc=$? $(tail -1 "$out/check_$p.txt")"
done
tools/gpu/collect_base_tables.sh "$out" "$secs" full no-tests 2>&1 | grep -v "^\[" | tail -20
./build-gpu/bin/aiconf-collect --model examples/configs/DeepSeek-V3.2.json --collector sparse_mla_context,dsa_context_module \
  --resume --time-budget-s "$dsa_s" --min-samples 3 --max-samples 10 --case-time-s 0.5 --warmup 2 2>&1 | grep "^aiconf-collect"
tar czf "$out/perfdb_final.tar.gz" perfdb/h200_sxm
