#!/usr/bin/env bash
# Configures a build folder. usage: configure.sh <build-dir> [extra cmake args...]
set -euo pipefail
build=$1
shift
args=(-DCMAKE_BUILD_TYPE=Release)
if [ -x /usr/local/cuda/bin/nvcc ]; then
  args+=(-DCMAKE_CUDA_COMPILER=/usr/local/cuda/bin/nvcc)
fi
cmake -S "$(dirname "$0")/.." -B "$build" "${args[@]}" "$@" >/dev/null
