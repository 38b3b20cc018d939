#!/usr/bin/env bash
# GPU check of aiconf-collect on the device machine (see collectors/README.md): builds the harness,
# the CUDA copy fixture and the gemm / dsa_indexer plugins, then collects --quick tables with them,
# exercises kill-free resume (--max-cases then --resume) and the --gpus worker path, and packs the
# tables, collection_meta.json files and logs into $1 (default ./gpu_check_out).
# usage: collectors/gpu_check.sh [out-dir]
set -uo pipefail
cd "$(dirname "$0")/.."
OUTDIR=${1:-gpu_check_out}
mkdir -p "$OUTDIR"
LOG="$OUTDIR/gpu_check.log"
exec > >(tee "$LOG") 2>&1
B=build-gpu
C=$B/bin/aiconf-collect
FIX=$B/tests/collect/plugins
WORK=/tmp/collect_out
rm -rf "$WORK"
if [ ! -f /usr/include/CLI/CLI.hpp ]; then mkdir -p /tmp/cli11 && dpkg -x .deps/libcli11-dev_*.deb /tmp/cli11; fi
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,memory.total --format=csv
cmake -S . -B $B -DCMAKE_BUILD_TYPE=Release -DAICONF_CLI11_ROOT=/tmp/cli11 >/dev/null || exit 1
step() { echo; echo "=== $*"; }
step build harness + fixtures
time cmake --build $B -j16 --target aiconf_collect aiconf_collect_tests aiconf_fixture_fake_copy aiconf_fixture_fake_collector 2>&1 | grep -E "error|Built target" | tail -8
step CPU tests on the device
timeout 60 $B/bin/aiconf_collect_tests 2>&1 | tail -3
step fake_copy quick: graph timing, L2 flush, skip of an impossible case
timeout 60 $C --plugin-dir $FIX --no-default-plugins --collector fake_copy --quick --out $WORK
step fake_copy full sweep through --gpus 0 in two goes: --max-cases 5, then --resume
timeout 60 $C --plugin-dir $FIX --no-default-plugins --collector fake_copy --out $WORK/full --max-cases 5
timeout 90 $C --plugin-dir $FIX --no-default-plugins --collector fake_copy --out $WORK/full --gpus 0 --resume
step fake_copy eager vs graph on 1 MiB
timeout 30 $C --plugin-dir $FIX --no-default-plugins --collector fake_copy --out $WORK/eager --eager --filter bytes=1048576
step build real plugins
time timeout 150 cmake --build $B -j16 --target aiconf_plugin_gemm aiconf_plugin_dsa_indexer 2>&1 | grep -E "error|Built target" | tail -8
step list
timeout 30 $C --list --quick --model examples/configs/DeepSeek-V3.2.json
step gemm quick
timeout 60 $C --collector gemm --quick --out $WORK
step dsa_indexer quick
timeout 90 $C --plugin dsa_indexer --quick --model examples/configs/DeepSeek-V3.2.json --out $WORK
step results
find $WORK -type f | sort
tar -czf "$OUTDIR/collect_out.tar.gz" -C "$WORK" .
