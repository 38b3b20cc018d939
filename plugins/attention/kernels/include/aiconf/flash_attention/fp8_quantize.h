#pragma once
/// \file fp8_quantize.h
/// Per-tensor FP8 (e4m3) quantization of the attention inputs, the pass a serving engine runs
/// before an FP8 context FMHA / FP8 KV-cache write (TensorRT-LLM: invokeMLAContextFp8Quantize,
/// one kernel over Q, K and V with one static scale). Used by the attention mock layer when
/// kv_cache_dtype = fp8.
///
/// Convention: `scale` is the dequantization scale, value = e4m3 * scale; quantized =
/// e4m3_rn_satfinite(x * (1 / scale)), the reciprocal taken once in fp32 (the CPU reference
/// reference/fp8_e4m3_reference.h does the same fp32 operations, so results match bit for bit).
/// A calibrated scale is amax / 448 (fp8_scale_from_absmax computes it on the device).
///
/// Thread-safety: launches are reentrant; they never allocate or synchronize.
#include <cstddef>
#include <cstdint>

#include <cuda_bf16.h>
#include <cuda_runtime.h>

namespace aiconf::flash_attention {

/// Largest finite e4m3 value (the scale that maps amax onto it is amax / 448).
inline constexpr float kFp8E4m3Max = 448.f;

/// One bf16 tensor (contiguous, or whole rows at a stride) to quantize into a contiguous e4m3
/// tensor of n values.
struct Fp8QuantizeTensor {
  const __nv_bfloat16* src = nullptr;  ///< n values, 16-byte aligned
  std::uint8_t* dst = nullptr;         ///< n e4m3 bytes, 8-byte aligned
  std::size_t n = 0;                   ///< a multiple of 8 (one 16-byte load per 8 values); 0 = nothing
  const float* scale = nullptr;        ///< device pointer to the dequantization scale (> 0)
  /// Strided source (0 = contiguous): the n values are rows of `row_len` values, row r starting at
  /// src + r * src_row_stride (e.g. V read in place from an interleaved [k_nope | v] projection).
  /// Both multiples of 8, n a multiple of row_len; dst stays contiguous.
  std::size_t row_len = 0;
  std::size_t src_row_stride = 0;
};

/// Tensors one launch can take (Q, K, V, and one spare).
inline constexpr int kMaxFp8QuantizeTensors = 4;

/// nullptr if the `count` tensors can be quantized, else a message naming the tensor's index, the
/// field and what is expected (count in 1..kMaxFp8QuantizeTensors, n % 8 == 0, the strided-source
/// rules, alignments, non-null pointers); valid until this thread's next call.
const char* fp8_quantize_check(const Fp8QuantizeTensor* tensors, int count);

/// Enqueues one kernel that quantizes all `count` tensors (blockIdx.y = tensor). Returns
/// cudaErrorInvalidValue when fp8_quantize_check refuses (message on stderr), else the launch
/// error. NVTX range "fa_fp8_e4m3_quantize".
cudaError_t launch_fp8_quantize(const Fp8QuantizeTensor* tensors, int count, cudaStream_t stream);

/// Enqueues the calibration of one tensor: *scale = max(amax(|src|), 1e-12) / 448 over n bf16
/// values (n % 8 == 0, src 16-byte aligned; with row_len > 0, whole rows of row_len values every
/// src_row_stride, as in Fp8QuantizeTensor). Two kernels (amax with an atomic max into *scale,
/// then the division), NVTX ranges "fa_fp8_absmax" and "fa_fp8_scale". Not part of what an
/// FP8 serving step times: engines use a static (checkpoint) scale.
cudaError_t fp8_scale_from_absmax(const __nv_bfloat16* src, std::size_t n, float* scale, cudaStream_t stream, std::size_t row_len = 0,
                                  std::size_t src_row_stride = 0);

}  // namespace aiconf::flash_attention
