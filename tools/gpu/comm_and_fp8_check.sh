#!/usr/bin/env bash
# On a 2-GPU machine: the GPU tests of the per-tensor FP8 kernels after their amax reduction moved
# into aiconf_plugins/block_absmax.cuh (attention-input quantize, MLA BMM quantize, the mla mock
# layers that use both), then the comm tables on 2 GPUs (collectors/nccl/device_run.sh).
# usage: tools/gpu/comm_and_fp8_check.sh <out-dir> <comm seconds>
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$1 secs=$2
mkdir -p "$out/tests"
tools/gpu/device_build.sh fp8_quantize_kernels_test mla_mock_layers_gpu_test >"$out/tests/build.log" 2>&1
for t in fp8_quantize_kernels_test mla_mock_layers_gpu_test; do
  CUDA_VISIBLE_DEVICES=0 timeout 200 ./build-gpu/bin/$t >"$out/tests/$t.txt" 2>&1
  echo "$t rc=$? $(tail -1 "$out/tests/$t.txt")"
done
tar czf "$out/fp8_tests.tar.gz" -C "$out" tests && rm -rf "$out/tests"
OUT=$out collectors/nccl/device_run.sh "$secs" 2
