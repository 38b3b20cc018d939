#!/bin/bash
# usage: run_table.sh <label> <dsa|smla|cmla|gemm>: adaptive replay from scratch into /tmp/a2/<label>/<table>,
# then adaptive_vs_random.py (5 seeds, --model) into /tmp/a2/<label>/<table>_holdout_model.md
set -e
rule=$1 name=$2
cd "$(git rev-parse --show-toplevel)"
B=${B:-build-a2}
case $name in
 dsa) sys=h100_sxm tab=dsa_context_module_perf model=examples/configs/DeepSeek-V3.2.json n=128 max=3107 first=780 step=256
      schema=architecture:cat,mla_dtype:cat,kv_cache_dtype:cat,gemm_type:cat,num_heads:log,batch_size:log,isl:sqrt,tp_size:linear,step:sqrt;;
 smla) sys=h200_sxm tab=sparse_mla_context_perf model=examples/configs/DeepSeek-V3.2.json n=64 max=1554 first=390 step=194
      schema=num_heads:log,kv_lora_rank:cat,qk_rope_head_dim:cat,index_topk:cat,kv_cache_dtype:cat,batch_size:log,isl:sqrt,step:sqrt;;
 cmla) sys=h100_sxm tab=context_mla_perf model=examples/configs/DeepSeek-V3.json n=64 max=1250 first=320 step=155
      schema=mla_dtype:cat,kv_cache_dtype:cat,num_heads:log,batch_size:log,isl:sqrt,step:sqrt;;
 gemm) sys=h200_sxm tab=gemm_perf model=examples/configs/DeepSeek-V3.2.json n=64 max=1540 first=496 step=174
      schema=gemm_dtype:cat,m:log,n:log,k:log;;
esac
out=/tmp/a2/$rule/$name
rm -rf $out; mkdir -p /tmp/a2/$rule
AICONF_REPLAY_TABLE=perfdb/$sys/aiconf/0.1.0/$tab.txt AICONF_REPLAY_SCHEMA=$schema \
  $B/bin/aiconf-collect --plugin-dir $B/collectors/replay --collector replay --model $model \
  --system-name $sys --out $out --adaptive $n --adaptive-target 0.02 --max-cases $max > $out.log 2>&1
python3 tools/perfdb/adaptive_vs_random.py $B/bin/aiconf $out/$sys/aiconf/0.1.0/$tab.txt perfdb $sys $tab $first $step \
  --seeds 5 --model $model > /tmp/a2/$rule/${name}_holdout_model.md 2>&1
echo "$rule $name done"
