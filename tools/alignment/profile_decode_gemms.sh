#!/usr/bin/env bash
# On the GPU machine: the evidence for the decode module-vs-ops gap, GEMM by GEMM.
# For DeepSeek-V3.2 decode (past 8192) at batch 1 and 64, heads 128 and 16, bf16 and fp8_block:
#   1. the kernel table of the composed module (aiconf-profile dsa_generation_module, CUPTI);
#   2. the kernel table of each of the module's GEMMs run alone, back to back (aiconf-profile gemm);
#   3. the same GEMMs timed the way gemm_perf rows are (aiconf-collect gemm: one graph replay per
#      sample) after each L2 flush mode (--flush read|memset|none), into scratch perf databases.
# usage: tools/alignment/profile_decode_gemms.sh <out-dir>   (after tools/gpu/device_build.sh built
#        aiconf_cli aiconf_plugins aiconf_collect aiconf_profile)
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$1
mkdir -p "$out/prof"
bin=build-gpu/bin
model=examples/configs/DeepSeek-V3.2.json
shapes=""
for g in bfloat16 fp8_block; do
  for b in 1 64 256; do
    for h in 128 16; do
      tag=${g}_b${b}_h${h}
      $bin/aiconf-profile --model $model --iterations 50 --warmup 5 --out "$out/prof/module_$tag.csv" \
        dsa_generation_module batch_size=$b isl=1 step=8192 num_heads=$h gemm_type=$g >"$out/prof/module_$tag.txt" 2>&1 ||
        echo "module $tag failed: $(tail -2 "$out/prof/module_$tag.txt")"
      # The module's GEMMs (plugins/sparse_mla/dsa_module_mock_layer.cu): fused q_a+kv_a, q_b, indexer
      # wq_b, wk, weights_proj (always bf16), o_proj.
      for nk in 2112:7168 $((h * 192)):1536 8192:1536 128:7168 64:7168 7168:$((h * 128)); do
        n=${nk%%:*} k=${nk##*:} gd=$g
        [ "$n" = 64 ] && gd=bfloat16
        shapes="$shapes|$gd:$b:$n:$k"
        [ "$b" = 256 ] && continue  # batch 256: module table and rows only
        $bin/aiconf-profile --iterations 50 --warmup 5 --out "$out/prof/gemm_${gd}_m${b}_n${n}_k${k}.csv" \
          gemm gemm_dtype=$gd m=$b n=$n k=$k >"$out/prof/gemm_${gd}_m${b}_n${n}_k${k}.txt" 2>&1 || echo "gemm $gd $b $n $k failed"
      done
    done
  done
done
# Collector timing of the same GEMMs under each L2 flush mode (one process per mode: the filter
# takes every (dtype, m, n, k) combination of the values listed, a superset of the module's GEMMs).
vals() { echo "${shapes#|}" | tr '|' '\n' | cut -d: -f"$1" | sort -un | paste -sd'|'; }
filter="gemm_dtype=bfloat16|fp8_block,m=$(vals 2),n=$(vals 3),k=$(vals 4)"
for mode in read memset none; do
  $bin/aiconf-collect --model $model --collector gemm --out /tmp/pdb_$mode --filter "$filter" --flush $mode \
    --min-samples 5 --max-samples 30 --warmup 3 >"$out/prof/collect_$mode.log" 2>&1 || echo "collect $mode failed: $(tail -2 "$out/prof/collect_$mode.log")"
  cp /tmp/pdb_$mode/*/aiconf/*/gemm_perf.txt "$out/prof/gemm_perf_$mode.txt" 2>/dev/null
done
tar czf "$out/profile_decode_gemms.tar.gz" -C "$out" prof && rm -rf "$out/prof"
