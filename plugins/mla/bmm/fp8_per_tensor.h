#pragma once
/// \file fp8_per_tensor.h
/// Dynamic per-tensor FP8 (e4m3) quantization of a strided bf16 activation [rows, heads, k] into
/// a dense head-major [heads, rows, k] e4m3 tensor (the layout the batched fp8 GEMM reads), with
/// scale = amax / 448 (dequantized value = e4m3 * scale). Two kernels: amax, then quantize.

#include <cuda_runtime_api.h>

#include <cstdint>

namespace aiconf::mla {

/// Strided bf16 source: element (r, h, c) at x[r * ld + h * head_stride + c], c < k.
struct StridedBf16 {
  const void* x = nullptr;
  std::int64_t rows = 0, heads = 0, k = 0, ld = 0, head_stride = 0;
};

/// Enqueues: amax (a device float, reset here) over the source, then q[h, r, c] = e4m3(x / scale)
/// (round to nearest, saturating) and *scale = max(amax, 1e-12) / 448. `amax` and `scale` are
/// one device float each. Needs k, ld, head_stride multiples of 8 and x 16-byte aligned
/// (cudaErrorInvalidValue otherwise). Returns the first launch error.
cudaError_t quantize_fp8_per_tensor(const StridedBf16& src, float* amax, std::uint8_t* q, float* scale, cudaStream_t stream);

}  // namespace aiconf::mla
