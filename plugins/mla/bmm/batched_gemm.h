#pragma once
/// \file batched_gemm.h
/// One strided-batched GEMM through cuBLASLt, for the MLA absorption BMMs: for every batch entry
/// (head) h, y_h[m, n] = x_h[m, k] . W_h[n, k]^T, in bf16 or in fp8 e4m3 with one fp32 scale per
/// tensor (x and W), always with bf16 output and fp32 accumulation.
///
/// Layout (row-major views, elements not bytes):
///   x_h row i at  x + h * x_batch_stride + i * ldx        (k contiguous values)
///   W_h row j at  w + h * n * k + j * k                   (dense [batch, n, k]: "TN", what Hopper fp8 needs)
///   y_h row i at  y + h * y_batch_stride + i * ldy        (n contiguous bf16 values)
/// so x and y may be strided views into [tokens, heads, width] activations.
///
/// Thread-safety: one object per thread (the plan is not locked). Not copyable.

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace aiconf::mla {

struct BatchedGemmArgs {
  bool fp8 = false;            ///< false: bf16 x and W; true: e4m3 x and W with x_scale / w_scale
  std::int64_t m = 0;          ///< rows of x_h and y_h (tokens)
  std::int64_t n = 0;          ///< rows of W_h, columns of y_h
  std::int64_t k = 0;          ///< reduction width
  std::int64_t batch = 0;      ///< heads
  const void* x = nullptr;
  std::int64_t ldx = 0, x_batch_stride = 0;
  const void* w = nullptr;
  void* y = nullptr;
  std::int64_t ldy = 0, y_batch_stride = 0;
  const float* x_scale = nullptr;  ///< fp8 only: device pointer to one float (dequantized x = e4m3 * scale)
  const float* w_scale = nullptr;  ///< fp8 only: device pointer to one float
};

/// A cuBLASLt plan for one problem shape, chosen by the heuristic once in prepare().
class BatchedGemm {
public:
  /// Workspace bytes run() expects (32 MiB, what cuBLASLt's Hopper kernels ask for at most).
  static constexpr std::size_t kWorkspaceBytes = std::size_t{32} << 20;

  BatchedGemm();
  ~BatchedGemm();
  BatchedGemm(const BatchedGemm&) = delete;
  BatchedGemm& operator=(const BatchedGemm&) = delete;

  /// Builds descriptors and picks the algorithm for `a` (pointers are used for alignment only).
  /// Throws aiconf::Error naming the field or the cuBLASLt call when the problem is refused.
  void prepare(const BatchedGemmArgs& a);
  /// Enqueues the GEMM for `a` (same shape as prepared; pointers may differ in alignment no
  /// less than prepared ones). No allocation, no synchronization. Throws on a failed launch.
  void run(const BatchedGemmArgs& a, void* workspace, cudaStream_t stream);

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aiconf::mla
