#!/usr/bin/env bash
# The main job, from a fresh clone: install what is missing, build, and estimate DeepSeek-V3.2
# on 8 x H200 from the embedded perf database.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh
tools/configure.sh build
cmake --build build -j"$(nproc)" --target aiconf_cli aiconf_plugins
exec build/bin/aiconf model examples/configs/DeepSeek-V3.2.json "$@"
