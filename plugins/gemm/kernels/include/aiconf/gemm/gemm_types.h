#pragma once
/// Plain value types of the GEMM mock layer: dtypes, problem dimensions, operands and status.
/// Header-only, no CUDA calls; safe to include from code that never touches a GPU at load time.

#include <cuda_runtime_api.h>

#include <cstdint>
#include <string>

namespace aiconf::gemm {

/// Precision of a GEMM as it appears in aiconfigurator's `gemm_perf` table (`gemm_dtype` column).
enum class GemmDtype : std::uint8_t {
  kBf16 = 0,      ///< bf16 x bf16, fp32 accumulate, bf16 out ("bfloat16").
  kFp8 = 1,       ///< e4m3 x e4m3 with one fp32 scale per tensor, bf16 out ("fp8").
  kFp8Block = 2,  ///< e4m3 x e4m3, 1x128 activation scales, 128x128 weight scales, bf16 out ("fp8_block").
};

/// Name used in perf tables: "bfloat16", "fp8", "fp8_block".
const char* gemm_dtype_name(GemmDtype dtype) noexcept;

/// Block edge of the DeepSeek-V3 style scales (activations 1x128 per token, weights 128x128).
inline constexpr int kFp8BlockSize = 128;

/// Leading dimension (in floats) of the 1x128 activation scale tensor: the token count padded to a
/// multiple of 4, so that each 128-column group's scale vector starts 16-byte aligned (cuBLASLt).
constexpr std::int64_t act_scale_ld(std::int64_t m) noexcept { return (m + 3) / 4 * 4; }

/// Leading dimension (in floats) of the 128x128 weight scale tensor: ceil(k/128) padded to 4.
constexpr std::int64_t weight_scale_ld(std::int64_t k) noexcept {
  return ((k + kFp8BlockSize - 1) / kFp8BlockSize + 3) / 4 * 4;
}

/// Floats to allocate for the 1x128 activation scales of an [m,k] activation.
constexpr std::int64_t act_scale_elems(std::int64_t m, std::int64_t k) noexcept {
  return act_scale_ld(m) * ((k + kFp8BlockSize - 1) / kFp8BlockSize);
}

/// Floats to allocate for the 128x128 weight scales of an [n,k] weight.
constexpr std::int64_t weight_scale_elems(std::int64_t n, std::int64_t k) noexcept {
  return weight_scale_ld(k) * ((n + kFp8BlockSize - 1) / kFp8BlockSize);
}

/// Rows of x and y the caller must allocate. kFp8Block: act_scale_ld(m) (m padded to 4), because
/// cuBLASLt's Hopper block-scaled kernels accept only token counts that are multiples of 4
/// (measured: H200, cuBLAS 13.1 returns NOT_SUPPORTED for m = 1, 2, 7, 130). The runner then
/// multiplies all padded rows: rows m.. of x are read (any finite or not, never used for rows < m)
/// and rows m.. of y are scratch. Other dtypes: m.
constexpr std::int64_t gemm_rows_allocated(GemmDtype dtype, std::int64_t m) noexcept {
  return dtype == GemmDtype::kFp8Block ? act_scale_ld(m) : m;
}

/// One linear-layer GEMM, y = x W^T, all matrices row-major and densely packed:
///   x (a)  [m,k]   activations, bf16 or e4m3 (allocated rows: gemm_rows_allocated(dtype, m))
///   W (b)  [n,k]   weights (one row per output feature), same dtype as a
///   y (d)  [m,n]   bf16 output (allocated rows: gemm_rows_allocated(dtype, m))
/// This is cuBLASLt's "TN" layout, the only one Hopper fp8 supports.
///
/// Scales (device pointers to fp32), by dtype:
///   kBf16:     unused, leave null.
///   All scale pointers must be 16-byte aligned (cuBLASLt refuses others).
///   kFp8:      a_scale, b_scale each point to one float; y = a_scale * b_scale * (x_q W_q^T).
///   kFp8Block: a_scale[g * act_scale_ld(m) + i] scales x[i, 128g : 128g+128]   (token-major)
///              b_scale[j * weight_scale_ld(k) + g] scales W[128j : 128j+128, 128g : 128g+128]
///              y[i,c] = sum_g a_scale(i,g) * b_scale(c/128,g) * (x_q[i,grp g] . W_q[c,grp g]).
struct GemmArgs {
  GemmDtype dtype = GemmDtype::kBf16;
  std::int64_t m = 0;  ///< tokens (rows of x and y)
  std::int64_t n = 0;  ///< output features (rows of W, columns of y)
  std::int64_t k = 0;  ///< input features (reduction)
  const void* a = nullptr;
  const void* b = nullptr;
  void* d = nullptr;
  const float* a_scale = nullptr;
  const float* b_scale = nullptr;
  /// kFp8 only: let the tensor cores accumulate without periodic fp32 promotion (faster, what
  /// inference engines use for per-tensor fp8). Block-scaled fp8 never uses it.
  bool fp8_fast_accum = true;
};

/// Outcome of a call: `cuda`/`cublas` hold the first failing code, `message` names the call,
/// the field and what was expected. Default-constructed means success.
struct GemmStatus {
  cudaError_t cuda = cudaSuccess;
  int cublas = 0;  ///< cublasStatus_t as int, so that this header needs no cuBLAS include
  std::string message;
  [[nodiscard]] bool ok() const noexcept { return cuda == cudaSuccess && cublas == 0 && message.empty(); }
};

}  // namespace aiconf::gemm
