#!/usr/bin/env bash
# The whole test suite, from a fresh clone: install what is missing, build everything (CUDA code
# compiles where nvcc exists; GPU tests skip without a GPU), run ctest, then build and run the
# unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
tools/install_deps.sh
tools/configure.sh build
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")
# Sanitizers: CPU code only (the CUDA mock layers cannot run here anyway).
tools/configure.sh build-asan -DAICONF_SANITIZE=ON -DAICONF_ENABLE_CUDA=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build-asan -j"$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -L cpu -j"$jobs")
