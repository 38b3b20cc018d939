#pragma once
/// cuBLASLt GEMM runner for the GEMM mock layer: y[m,n] = x[m,k] W[n,k]^T in bf16, per-tensor fp8
/// or DeepSeek-V3 block-scaled fp8 (see GemmArgs for layouts and scales).
///
/// Thread-safety: one GemmRunner per thread (its algorithm cache is not locked). Different
/// runners may share a caller-owned cuBLASLt handle.
/// Nothing here touches CUDA before the first run(): constructing a runner at plugin load is safe.

#include <aiconf/gemm/gemm_types.h>

#include <cuda_runtime_api.h>

#include <cstddef>
#include <memory>

struct cublasLtContext;  // cublasLtHandle_t is `cublasLtContext*`; keeps cublasLt.h out of this header.

namespace aiconf::gemm {

/// Runs GEMMs through cuBLASLt with heuristic algorithm selection, cached per problem
/// (dtype, m, n, k, fast-accum flag, operand alignment).
class GemmRunner {
 public:
  /// Workspace every run() expects: 32 MiB, what cuBLASLt's Hopper kernels ask for at most.
  static constexpr std::size_t kWorkspaceBytes = std::size_t{32} << 20;

  /// `handle`: a caller-owned cublasLtHandle_t that outlives the runner, or nullptr to let the
  /// runner create its own on the first run() (and destroy it in the destructor).
  explicit GemmRunner(cublasLtContext* handle = nullptr) noexcept;
  ~GemmRunner();
  GemmRunner(const GemmRunner&) = delete;
  GemmRunner& operator=(const GemmRunner&) = delete;
  GemmRunner(GemmRunner&&) noexcept;
  GemmRunner& operator=(GemmRunner&&) noexcept;

  /// Bytes of device workspace a run() needs (kWorkspaceBytes).
  [[nodiscard]] static std::size_t workspace_bytes() noexcept { return kWorkspaceBytes; }

  /// Checks the arguments (dims, null pointers, alignment rules of the dtype) without any CUDA
  /// call. An empty message means the problem is well formed; cuBLASLt may still have no kernel.
  [[nodiscard]] static GemmStatus validate(const GemmArgs& args) noexcept;

  /// Enqueues one GEMM on `stream`. `workspace` must hold workspace_bytes() on the current device
  /// and stay untouched until the GEMM completes. Selects the algorithm on the first call for a
  /// problem (cuBLASLt heuristic, top result) and reuses it after that. Host-side work only
  /// besides the launch, so the call can be captured into a CUDA graph once the problem is cached.
  /// Emits one NVTX range "aiconf.gemm.<dtype> m=.. n=.. k=..".
  [[nodiscard]] GemmStatus run(const GemmArgs& args, void* workspace, cudaStream_t stream) noexcept;

  /// Selects (and caches) the algorithm for `args` without launching. Use it before capturing
  /// a graph, or to ask whether cuBLASLt supports a problem (error with CUBLAS_STATUS_NOT_SUPPORTED).
  [[nodiscard]] GemmStatus prepare(const GemmArgs& args) noexcept;

  /// Number of cached problems (for tests and logs).
  [[nodiscard]] std::size_t cached_plans() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aiconf::gemm
