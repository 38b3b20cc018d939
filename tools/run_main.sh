#!/usr/bin/env bash
# The main job, from a fresh clone: install what is missing, build, and estimate DeepSeek-V3.2 on
# 8 x H200 (TP8, EP8, 4096 in / 1024 out, batch 64) from the embedded perf database. Extra
# arguments go to `aiconf estimate` (e.g. --mode agg, --json).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh
tools/configure.sh build
cmake --build build -j"$(nproc)" --target aiconf_cli aiconf_plugins
exec build/bin/aiconf estimate --model examples/configs/DeepSeek-V3.2.json --system h200_sxm \
  --tp 8 --ep 8 --isl 4096 --osl 1024 --batch 64 "$@"
