#!/usr/bin/env bash
# On the GPU machine (Ubuntu 24.04 image: Boost headers, Catch2 3, CMake 4, nvcc 13, no CLI11):
# unpack the carried CLI11 .deb, configure and build the given targets into build-gpu.
# usage: tools/gpu/device_build.sh <target>...
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -f /usr/include/CLI/CLI.hpp ]; then
  deb=$(ls .deps/libcli11-dev_*.deb 2>/dev/null | head -1)
  [ -n "$deb" ] || { echo "CLI11 missing: carry .deps/ (apt-get download libcli11-dev into .deps/)"; exit 1; }
  mkdir -p /tmp/cli11 && dpkg -x "$deb" /tmp/cli11
fi
# The tree here sits next to the .git of the session's start: collection_meta.json records
# $AICONF_GIT_COMMIT when the caller sets it (to the commit it sent), else HEAD with -dirty.
[ -n "${AICONF_GIT_COMMIT:-}" ] || echo "note: AICONF_GIT_COMMIT is not set: tables will record this checkout's HEAD (-dirty if it differs)"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,memory.total --format=csv
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DAICONF_CLI11_ROOT=/tmp/cli11 >/dev/null
cmake --build build-gpu -j"$(nproc)" --target "$@" 2>&1 | grep -E "error|warning: .*(spill|stack)|Built target" | tail -40
