#!/usr/bin/env bash
# On a 4-GPU device machine, from the repo root: build aiconf-collect-nccl and the comm plugin,
# check and time the NCCL collectives (2 and 4 GPUs), then the custom all-reduce in a second
# process (a hang there cannot cost the NCCL rows), writing into perfdb/<system>/aiconf/0.1.0/.
# Logs and tables are copied to $OUT (8 files at most come back).
# usage: collectors/nccl/device_run.sh [total seconds, default 400] [GPU counts, default 2,4]: the
# build's time is taken off first; the rest is split NCCL 75% / custom all-reduce 25%, each also
# under `timeout`. On a 2-GPU machine pass 2.
set -uo pipefail
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1  # never NVLink multicast
out=${OUT:-/tmp/aiconf-nccl-out}
mkdir -p "$out"
total=${1:-400}
gpus=${2:-2,4}
tools/gpu/device_build.sh aiconf_collect_nccl aiconf_plugin_comm > "$out/build.log" 2>&1
bin=build-gpu/bin/aiconf-collect-nccl
if [ ! -x "$bin" ]; then  # NCCL not at a known root: look for it and point AICONF_NCCL_ROOT at a link farm
  h=$(find /opt /usr -xdev -name nccl.h -path '*/include/*' 2>/dev/null | head -1)
  l=$(find /opt /usr -xdev -name 'libnccl.so.2*' 2>/dev/null | head -1)
  echo "fallback NCCL: header '$h' library '$l'" >> "$out/build.log"
  if [ -n "$h" ] && [ -n "$l" ]; then
    mkdir -p /tmp/nccl-root/include /tmp/nccl-root/lib
    ln -sf "$(dirname "$h")"/nccl*.h /tmp/nccl-root/include/ && ln -sf "$l" /tmp/nccl-root/lib/libnccl.so.2
    cmake -S . -B build-gpu -DAICONF_NCCL_ROOT=/tmp/nccl-root >> "$out/build.log" 2>&1
    cmake --build build-gpu -j"$(nproc)" --target aiconf_collect_nccl >> "$out/build.log" 2>&1
  fi
fi
[ -x "$bin" ] || { echo "build failed"; tail -30 "$out/build.log"; exit 1; }
left=$((total - SECONDS - 20))
nccl_s=$((left * 3 / 4 - 25))
custom_s=$((left / 4 - 25))
[ "$custom_s" -lt 10 ] && custom_s=10
log="$out/collect.log"
echo "build took ${SECONDS}s; budgets: nccl ${nccl_s}s, custom ${custom_s}s" > "$log"
{ nvidia-smi topo -m; grep -i "_nccl_lib_.*=/" build-gpu/CMakeCache.txt; } >> "$log" 2>&1
timeout $((nccl_s + 20)) "$bin" --gpus "$gpus" --collector all_reduce,all_gather,reduce_scatter,alltoall,p2p \
  --time-budget-s "$nccl_s" >> "$log" 2>&1
echo "exit nccl: $?" >> "$log"
timeout $((custom_s + 20)) "$bin" --gpus "$gpus" --collector custom_all_reduce --resume --time-budget-s "$custom_s" >> "$log" 2>&1
echo "exit custom: $?" >> "$log"
dir=$(grep -m1 '^tables: ' "$log" | cut -d' ' -f2)  # perfdb/<system>/aiconf/<version>, from the GPU name
for f in nccl_perf.txt p2p_perf.txt custom_allreduce_perf.txt collection_meta.json; do
  [ -n "$dir" ] && [ -f "$dir/$f" ] && cp "$dir/$f" "$out/"
done
echo "tables in $dir:" >> "$log"
ls -la "$dir" >> "$log" 2>&1
grep -E "check|exit|cases measured|error" "$log"
