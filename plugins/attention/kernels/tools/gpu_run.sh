#!/usr/bin/env bash
# One device call: build the flash-attention test/bench and the attention plugin, run them, then
# (with the mla_context mock layer wired into a scratch copy of the mla plugin, as helper-mla will
# wire it) the mock-layer test on Qwen3-32B and DeepSeek-V3. Logs under $OUT (at most 8 files).
# usage (repo root, on the device): plugins/attention/kernels/tools/gpu_run.sh [bench args...]
set -uo pipefail
out=${OUT:-/tmp/out}
mkdir -p "$out"
# Scratch wiring of mla_context into the mla plugin (this copy only; never committed here).
if ! grep -q mla_context_mock_layer plugins/mla/CMakeLists.txt; then
  sed -i 's/mla_generation_mock_layer.cu/mla_generation_mock_layer.cu mla_context_mock_layer.cu/' plugins/mla/CMakeLists.txt
  sed -i 's/aiconf_mock_common CUDA::cublasLt/aiconf_mock_common aiconf_flash_attention_kernels CUDA::cublasLt/' plugins/mla/CMakeLists.txt
  sed -i 's/#include "mla_mock_layers.h"/#include "mla_mock_layers.h"\n#include "mla_context_mock_layer.h"/' plugins/mla/mla_mock_layers.cu
  sed -i 's/  register_mla_bmm_mock_layers(r);/  register_mla_bmm_mock_layers(r);\n  register_mla_context_mock_layer(r);/' plugins/mla/mla_mock_layers.cu
fi
tools/gpu/device_build.sh flash_attention_kernels_test flash_attention_kernels_bench aiconf_plugin_attention aiconf 2>&1 | tee "$out/build.txt"
timeout 90 build-gpu/bin/flash_attention_kernels_test 2>&1 | tee "$out/test_log.txt"
timeout 90 build-gpu/bin/flash_attention_kernels_bench "$@" 2>&1 | tee "$out/bench.txt"
cmake --build build-gpu -j"$(nproc)" --target aiconf_plugin_mla aiconf_plugin_deepseek -- -k 2>&1 | grep -E "error|Built target" | tail -20 | tee -a "$out/build.txt"
make -C build-gpu aiconf_mock_layers_test/fast 2>&1 | grep -E "error|Built target" | tee -a "$out/build.txt"
timeout 60 build-gpu/bin/aiconf_mock_layers_test examples/configs/Qwen3-32B.json 4 2>&1 | tee "$out/mock_layers_qwen3_32b.txt"
timeout 60 build-gpu/bin/aiconf_mock_layers_test examples/configs/DeepSeek-V3.json 3 2>&1 | tee "$out/mock_layers_deepseek_v3.txt"
