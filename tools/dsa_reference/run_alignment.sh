#!/usr/bin/env bash
# The GPU half of docs/alignment/: builds what it needs, then writes into $OUT (default ./alignment-out):
# the card, `aiconf check` of dsa_indexer and sparse_mla, aiconf-profile kernel tables of the DSA
# mock layers (context and generation, with --check), the mock kernels' outputs against the PyTorch
# reference, the reference layer's latencies and torch.profiler kernel tables, and kernel-table diffs.
# usage: tools/dsa_reference/run_alignment.sh [build-dir]   (CLI11: AICONF_CLI11_ROOT in the environment)
set -uo pipefail
B=${1:-build}
OUT=${OUT:-alignment-out}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv > "$OUT/card.csv" 2>&1
cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=Release ${AICONF_CLI11_ROOT:+-DAICONF_CLI11_ROOT=$AICONF_CLI11_ROOT} > "$OUT/configure.log" 2>&1
cmake --build "$B" -j"$(nproc)" --target aiconf_cli aiconf_profile aiconf_plugins dsa_dump_mock_outputs aiconf_collect > "$OUT/build.log" 2>&1 \
  || { tail -40 "$OUT/build.log"; exit 1; }
A=$B/bin/aiconf P=$B/bin/aiconf-profile CFG=examples/configs/DeepSeek-V3.2.json
$P --list > "$OUT/mock_layers.txt" 2>&1
for t in dsa_indexer sparse_mla; do
  $A check $t > "$OUT/check_$t.txt" 2>&1; echo "exit $?" >> "$OUT/check_$t.txt"
  $A check $t --json > "$OUT/check_$t.json" 2>/dev/null
done
IDX="index_n_heads=64 index_head_dim=128"
SM="num_heads=128 kv_lora_rank=512 qk_rope_head_dim=64 index_topk=2048 kv_cache_dtype=bfloat16"
for isl in 1024 4096 8192; do
  S="batch_size=1 isl=$isl step=0"
  $P dsa_indexer_logits_context $IDX $S + dsa_topk_context index_topk=2048 $S + sparse_mla_context $SM $S \
     --check --iterations 10 --out "$OUT/ours_context_isl$isl.csv" > "$OUT/profile_context_isl$isl.txt" 2>&1
done
G="batch_size=64 isl=1 step=8192"
$P dsa_indexer_logits_generation $IDX $G + dsa_topk_generation index_topk=2048 $G + sparse_mla_generation $SM $G \
   --check --iterations 20 --out "$OUT/ours_generation_b64_past8192.csv" > "$OUT/profile_generation_b64_past8192.txt" 2>&1
mkdir -p "$OUT/dump"
$B/bin/dsa_dump_mock_outputs "$OUT/dump" 2048 > "$OUT/compare_isl2048.log" 2>&1 \
  && python3 tools/dsa_reference/dsa_reference.py compare "$OUT/dump" --json "$OUT/compare_isl2048.json" >> "$OUT/compare_isl2048.log" 2>&1
rm -f "$OUT"/dump/*.f32 "$OUT"/dump/*.i32
timeout 200 python3 tools/dsa_reference/dsa_reference.py layer --config $CFG --context 1024 4096 8192 --generation 64x8192 \
  --reps 5 --out "$OUT/torch" > "$OUT/torch_layer.log" 2>&1
MAP="--map indexer|mqa_logits=indexer_logits --map topk|radix|sort=topk --map sparse_mla|flash=sparse_mla --map nvjet|gemm|xmma|cutlass=gemm"
for isl in 1024 4096 8192; do
  [ -f "$OUT/torch/torch_context_isl$isl.csv" ] && $P --diff "$OUT/torch/torch_context_isl$isl.csv" "$OUT/ours_context_isl$isl.csv" $MAP \
     > "$OUT/diff_context_isl$isl.txt" 2>&1
done
[ -f "$OUT/torch/torch_generation_b64_past8192.csv" ] && $P --diff "$OUT/torch/torch_generation_b64_past8192.csv" \
   "$OUT/ours_generation_b64_past8192.csv" $MAP > "$OUT/diff_generation_b64_past8192.txt" 2>&1
# Quick op-level tables on this GPU, then the DSA module op over them: with no module table it sums
# its parts (projection GEMMs, BMMs, indexer logits, top-k, sparse MLA) from the measured op tables.
timeout 150 $B/bin/aiconf-collect --plugin dsa_indexer,sparse_mla,gemm,mla --model $CFG --quick --out "$OUT/perfdb" \
  --system-name h200_sxm --max-samples 20 > "$OUT/collect.log" 2>&1
cp -r perfdb/systems "$OUT/perfdb/" 2>/dev/null
DIMS="architecture=DeepseekV32ForCausalLM mla_dtype=bfloat16 kv_cache_dtype=bfloat16 gemm_type=bfloat16 num_heads=128 tp_size=1 hidden_size=7168 q_lora_rank=1536 kv_lora_rank=512 qk_nope_head_dim=128 qk_rope_head_dim=64 v_head_dim=128 index_n_heads=64 index_head_dim=128 index_topk=2048"
for isl in 1024 4096 8192; do
  $A query dsa_context_module $DIMS batch_size=1 isl=$isl step=0 --perfdb "$OUT/perfdb" --json > "$OUT/module_context_isl$isl.json" 2>&1
done
$A query dsa_generation_module $DIMS batch_size=64 isl=1 step=8192 --perfdb "$OUT/perfdb" --json > "$OUT/module_generation_b64_past8192.json" 2>&1
echo done > "$OUT/DONE"
tar -czf "$OUT.tar.gz" -C "$(dirname "$OUT")" "$(basename "$OUT")"
