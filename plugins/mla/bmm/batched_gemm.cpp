// cuBLASLt plumbing of BatchedGemm: column-major view y_h^T [n, m] = W_h [k, n]^T . x_h^T [k, m],
// i.e. cuBLAS A = W (op T, ld k), B = x (op N, ld ldx), D = y (ld ldy), batch strides per head.
#include "batched_gemm.h"

#include <aiconf/status.h>

#include <cublasLt.h>

#include <string>

namespace aiconf::mla {

namespace {

#define MLA_LT_CHECK(call)                                                                                   \
  do {                                                                                                       \
    cublasStatus_t st_ = (call);                                                                             \
    if (st_ != CUBLAS_STATUS_SUCCESS)                                                                        \
      throw Error(std::string("mla BMM: " #call " failed: cuBLAS status ") + std::to_string(static_cast<int>(st_))); \
  } while (0)

// Largest power of two (<= 256) dividing every address of the batch: base and batch stride.
std::uint32_t alignment_of(const void* base, std::int64_t stride_bytes) {
  const auto v = reinterpret_cast<std::uintptr_t>(base) | static_cast<std::uintptr_t>(stride_bytes);
  std::uint32_t a = 256;
  while (a > 1 && (v % a) != 0) a >>= 1;
  return a;
}

void require(bool ok, const std::string& what) {
  if (!ok) throw Error("mla BMM (BatchedGemmArgs): " + what);
}

}  // namespace

struct BatchedGemm::Impl {
  cublasLtHandle_t handle = nullptr;
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t la = nullptr, lb = nullptr, ld = nullptr;
  cublasLtMatmulAlgo_t algo{};
  bool ready = false, fp8 = false;
  std::uint32_t align_x = 0, align_w = 0, align_y = 0;

  void destroy_plan() {
    if (ld) cublasLtMatrixLayoutDestroy(ld);
    if (lb) cublasLtMatrixLayoutDestroy(lb);
    if (la) cublasLtMatrixLayoutDestroy(la);
    if (desc) cublasLtMatmulDescDestroy(desc);
    ld = lb = la = nullptr;
    desc = nullptr;
    ready = false;
  }
  ~Impl() {
    destroy_plan();
    if (handle) cublasLtDestroy(handle);
  }
};

BatchedGemm::BatchedGemm() : impl_(new Impl) {}
BatchedGemm::~BatchedGemm() = default;

void BatchedGemm::prepare(const BatchedGemmArgs& a) {
  require(a.m > 0 && a.n > 0 && a.k > 0 && a.batch > 0, "m, n, k and batch must be positive, got m=" + std::to_string(a.m) +
                                                            " n=" + std::to_string(a.n) + " k=" + std::to_string(a.k) +
                                                            " batch=" + std::to_string(a.batch));
  require(a.m <= INT32_MAX && a.n <= INT32_MAX && a.k <= INT32_MAX && a.batch <= INT32_MAX, "dimensions must fit in int32");
  require(a.x && a.w && a.y, "x, w and y must be device pointers, got a null pointer");
  require(a.ldx >= a.k && a.ldy >= a.n, "ldx must be >= k and ldy >= n");
  if (a.fp8) {
    // Hopper fp8 kernels move 16-byte rows: every row start of x and W must be 16-byte aligned.
    require(a.k % 16 == 0, "fp8 needs k % 16 == 0 (16-byte rows of e4m3), got k=" + std::to_string(a.k));
    require(a.ldx % 16 == 0 && a.x_batch_stride % 16 == 0, "fp8 needs ldx and x_batch_stride multiples of 16");
    require(a.x_scale && a.w_scale, "fp8 needs x_scale and w_scale device pointers");
  }
  Impl& p = *impl_;
  p.destroy_plan();
  if (!p.handle) MLA_LT_CHECK(cublasLtCreate(&p.handle));
  p.fp8 = a.fp8;
  const cudaDataType_t in_t = a.fp8 ? CUDA_R_8F_E4M3 : CUDA_R_16BF;
  const std::int64_t in_bytes = a.fp8 ? 1 : 2;
  MLA_LT_CHECK(cublasLtMatmulDescCreate(&p.desc, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  const cublasOperation_t op_t = CUBLAS_OP_T, op_n = CUBLAS_OP_N;
  MLA_LT_CHECK(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_TRANSA, &op_t, sizeof(op_t)));
  MLA_LT_CHECK(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_TRANSB, &op_n, sizeof(op_n)));
  if (a.fp8) {
    // Per-tensor fp8 as inference engines run it: fast accumulation (no periodic fp32 promotion).
    const std::int8_t fast = 1;
    MLA_LT_CHECK(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_FAST_ACCUM, &fast, sizeof(fast)));
    const void* sa = a.w_scale;
    const void* sb = a.x_scale;
    MLA_LT_CHECK(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, &sa, sizeof(sa)));
    MLA_LT_CHECK(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &sb, sizeof(sb)));
  }
  const std::int32_t batch = static_cast<std::int32_t>(a.batch);
  const std::int64_t w_stride = a.n * a.k;
  MLA_LT_CHECK(cublasLtMatrixLayoutCreate(&p.la, in_t, a.k, a.n, a.k));
  MLA_LT_CHECK(cublasLtMatrixLayoutCreate(&p.lb, in_t, a.k, a.m, a.ldx));
  MLA_LT_CHECK(cublasLtMatrixLayoutCreate(&p.ld, CUDA_R_16BF, a.n, a.m, a.ldy));
  for (auto [layout, stride] : {std::pair{p.la, w_stride}, std::pair{p.lb, a.x_batch_stride}, std::pair{p.ld, a.y_batch_stride}}) {
    MLA_LT_CHECK(cublasLtMatrixLayoutSetAttribute(layout, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &batch, sizeof(batch)));
    MLA_LT_CHECK(cublasLtMatrixLayoutSetAttribute(layout, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride, sizeof(stride)));
  }
  p.align_w = alignment_of(a.w, w_stride * in_bytes);
  p.align_x = alignment_of(a.x, a.x_batch_stride * in_bytes);
  p.align_y = alignment_of(a.y, a.y_batch_stride * 2);

  cublasLtMatmulPreference_t pref = nullptr;
  MLA_LT_CHECK(cublasLtMatmulPreferenceCreate(&pref));
  struct PrefGuard {
    cublasLtMatmulPreference_t p;
    ~PrefGuard() { cublasLtMatmulPreferenceDestroy(p); }
  } guard{pref};
  const std::size_t ws = kWorkspaceBytes;
  MLA_LT_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof(ws)));
  MLA_LT_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &p.align_w, sizeof(p.align_w)));
  MLA_LT_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &p.align_x, sizeof(p.align_x)));
  MLA_LT_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &p.align_y, sizeof(p.align_y)));
  MLA_LT_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &p.align_y, sizeof(p.align_y)));
  cublasLtMatmulHeuristicResult_t result{};
  int returned = 0;
  MLA_LT_CHECK(cublasLtMatmulAlgoGetHeuristic(p.handle, p.desc, p.la, p.lb, p.ld, p.ld, pref, 1, &result, &returned));
  if (returned == 0)
    throw Error(std::string("mla BMM: cuBLASLt has no algorithm for ") + (a.fp8 ? "fp8" : "bf16") + " batch=" +
                std::to_string(a.batch) + " m=" + std::to_string(a.m) + " n=" + std::to_string(a.n) + " k=" + std::to_string(a.k));
  p.algo = result.algo;
  p.ready = true;
}

void BatchedGemm::run(const BatchedGemmArgs& a, void* workspace, cudaStream_t stream) {
  Impl& p = *impl_;
  require(p.ready && a.fp8 == p.fp8, "run() before prepare() or with another dtype");
  const std::int64_t in_bytes = a.fp8 ? 1 : 2;
  require(alignment_of(a.x, a.x_batch_stride * in_bytes) >= p.align_x && alignment_of(a.w, a.n * a.k * in_bytes) >= p.align_w &&
              alignment_of(a.y, a.y_batch_stride * 2) >= p.align_y,
          "operands less aligned than the prepared ones");
  if (a.fp8) {
    const void* sa = a.w_scale;
    const void* sb = a.x_scale;
    MLA_LT_CHECK(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, &sa, sizeof(sa)));
    MLA_LT_CHECK(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &sb, sizeof(sb)));
  }
  const float one = 1.f, zero = 0.f;
  MLA_LT_CHECK(cublasLtMatmul(p.handle, p.desc, &one, a.w, p.la, a.x, p.lb, &zero, a.y, p.ld, a.y, p.ld, &p.algo, workspace,
                              kWorkspaceBytes, stream));
}

}  // namespace aiconf::mla
