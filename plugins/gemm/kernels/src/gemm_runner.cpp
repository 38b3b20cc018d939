// cuBLASLt plumbing of GemmRunner: problem -> descriptors -> heuristic -> cached plan -> launch.
#include <aiconf/gemm/gemm_runner.h>

#include <cublasLt.h>
#include <nvtx3/nvToolsExt.h>

#include <cstdio>
#include <map>
#include <string>
#include <tuple>
#include <utility>

namespace aiconf::gemm {

const char* gemm_dtype_name(GemmDtype dtype) noexcept {
  switch (dtype) {
    case GemmDtype::kBf16: return "bfloat16";
    case GemmDtype::kFp8: return "fp8";
    case GemmDtype::kFp8Block: return "fp8_block";
  }
  return "unknown";
}

namespace {

std::string where(const char* file, int line) { return std::string(file) + ":" + std::to_string(line); }

// Own names for cuBLAS statuses: cublasGetStatusName lives in libcublas, which we do not link.
std::string status_name(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    case CUBLAS_STATUS_LICENSE_ERROR: return "CUBLAS_STATUS_LICENSE_ERROR";
    default: return "cublasStatus_t " + std::to_string(static_cast<int>(s));
  }
}

// Turns a failing cuBLASLt call into a status naming the call, file:line and the cuBLAS status.
#define AICONF_LT_TRY(call)                                                                          \
  do {                                                                                              \
    cublasStatus_t st_ = (call);                                                                    \
    if (st_ != CUBLAS_STATUS_SUCCESS) {                                                             \
      GemmStatus s_;                                                                                \
      s_.cublas = static_cast<int>(st_);                                                            \
      s_.message = where(__FILE__, __LINE__) + ": " #call " failed: " + status_name(st_);                                                     \
      return s_;                                                                                    \
    }                                                                                               \
  } while (0)

GemmStatus invalid(const std::string& what) {
  GemmStatus s;
  s.cuda = cudaErrorInvalidValue;
  s.message = "GemmArgs: " + what;
  return s;
}

// Largest power of two (<= 256) dividing the address: the heuristic must not pick a kernel that
// assumes more alignment than the operands have (cuBLASLt then fails at launch).
std::uint32_t alignment_of(const void* p) {
  auto v = reinterpret_cast<std::uintptr_t>(p);
  std::uint32_t a = 256;
  while (a > 1 && (v % a) != 0) a >>= 1;
  return a;
}

struct PlanKey {
  GemmDtype dtype;
  std::int64_t m, n, k;
  bool fast_accum;
  std::uint32_t align_a, align_b, align_d;
  auto tie() const { return std::tie(dtype, m, n, k, fast_accum, align_a, align_b, align_d); }
  bool operator<(const PlanKey& o) const { return tie() < o.tie(); }
};

// Descriptors and the chosen algorithm of one problem. Scale pointers are per call, so they are
// set on the descriptor right before each launch (a host-side attribute write).
struct Plan {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, d = nullptr;
  cublasLtMatmulAlgo_t algo{};
  Plan() = default;
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;
  Plan(Plan&& o) noexcept { *this = std::move(o); }
  Plan& operator=(Plan&& o) noexcept {
    std::swap(desc, o.desc);
    std::swap(a, o.a);
    std::swap(b, o.b);
    std::swap(d, o.d);
    std::swap(algo, o.algo);
    return *this;
  }
  ~Plan() {
    if (d) cublasLtMatrixLayoutDestroy(d);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (desc) cublasLtMatmulDescDestroy(desc);
  }
};

}  // namespace

struct GemmRunner::Impl {
  cublasLtHandle_t handle = nullptr;
  bool owns_handle = false;
  std::map<PlanKey, Plan> plans;

  ~Impl() {
    plans.clear();
    if (owns_handle && handle) cublasLtDestroy(handle);
  }

  GemmStatus ensure_handle() {
    if (handle) return {};
    AICONF_LT_TRY(cublasLtCreate(&handle));
    owns_handle = true;
    return {};
  }

  static PlanKey key_of(const GemmArgs& g) {
    // Block-scaled fp8 runs on the padded token count (see gemm_rows_allocated).
    return PlanKey{g.dtype, gemm_rows_allocated(g.dtype, g.m), g.n, g.k, g.dtype == GemmDtype::kFp8 && g.fp8_fast_accum,
                   alignment_of(g.a), alignment_of(g.b), alignment_of(g.d)};
  }

  // Builds descriptors for the column-major view cuBLASLt works in: y^T [n,m] = W [n,k] . x^T.
  // cuBLAS "A" = W stored k x n (ld k), transposed; cuBLAS "B" = x stored k x m (ld k), not
  // transposed; D = y^T stored n x m (ld n). That is the TN layout Hopper fp8 kernels require.
  GemmStatus make_plan(const PlanKey& key, const GemmArgs& args, Plan& plan) {
    const bool fp8 = key.dtype != GemmDtype::kBf16;
    const cudaDataType_t in_t = fp8 ? CUDA_R_8F_E4M3 : CUDA_R_16BF;
    AICONF_LT_TRY(cublasLtMatmulDescCreate(&plan.desc, CUBLAS_COMPUTE_32F, CUDA_R_32F));
    const cublasOperation_t op_t = CUBLAS_OP_T, op_n = CUBLAS_OP_N;
    AICONF_LT_TRY(cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_TRANSA, &op_t, sizeof(op_t)));
    AICONF_LT_TRY(cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_TRANSB, &op_n, sizeof(op_n)));
    if (key.dtype == GemmDtype::kFp8) {
      const std::int8_t fast = key.fast_accum ? 1 : 0;
      AICONF_LT_TRY(cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_FAST_ACCUM, &fast, sizeof(fast)));
    }
    if (key.dtype == GemmDtype::kFp8Block) {
      // Weights (cuBLAS A) carry 128x128 block scales, activations (cuBLAS B) 1x128 group scales.
      const cublasLtMatmulMatrixScale_t a_mode = CUBLASLT_MATMUL_MATRIX_SCALE_BLK128x128_32F;
      const cublasLtMatmulMatrixScale_t b_mode = CUBLASLT_MATMUL_MATRIX_SCALE_VEC128_32F;
      AICONF_LT_TRY(cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_A_SCALE_MODE, &a_mode, sizeof(a_mode)));
      AICONF_LT_TRY(cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_B_SCALE_MODE, &b_mode, sizeof(b_mode)));
    }
    if (fp8) {
      // The heuristic validates non-scalar scale modes against real scale pointers, so set them
      // now; run() rewrites them for each call. cuBLAS A is W (args.b_scale), B is x (args.a_scale).
      const void* sa = args.b_scale;
      const void* sb = args.a_scale;
      AICONF_LT_TRY(cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, &sa, sizeof(sa)));
      AICONF_LT_TRY(cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &sb, sizeof(sb)));
    }
    AICONF_LT_TRY(cublasLtMatrixLayoutCreate(&plan.a, in_t, key.k, key.n, key.k));
    AICONF_LT_TRY(cublasLtMatrixLayoutCreate(&plan.b, in_t, key.k, key.m, key.k));
    AICONF_LT_TRY(cublasLtMatrixLayoutCreate(&plan.d, CUDA_R_16BF, key.n, key.m, key.n));

    cublasLtMatmulPreference_t pref = nullptr;
    AICONF_LT_TRY(cublasLtMatmulPreferenceCreate(&pref));
    // Destroy the preference on every exit path.
    struct PrefGuard {
      cublasLtMatmulPreference_t p;
      ~PrefGuard() { cublasLtMatmulPreferenceDestroy(p); }
    } guard{pref};
    const std::size_t ws = kWorkspaceBytes;
    AICONF_LT_TRY(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof(ws)));
    // cuBLAS A is W (args.b), cuBLAS B is x (args.a).
    AICONF_LT_TRY(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &key.align_b, sizeof(key.align_b)));
    AICONF_LT_TRY(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &key.align_a, sizeof(key.align_a)));
    AICONF_LT_TRY(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &key.align_d, sizeof(key.align_d)));
    AICONF_LT_TRY(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &key.align_d, sizeof(key.align_d)));

    cublasLtMatmulHeuristicResult_t result{};
    int returned = 0;
    AICONF_LT_TRY(cublasLtMatmulAlgoGetHeuristic(handle, plan.desc, plan.a, plan.b, plan.d, plan.d, pref, 1,
                                                 &result, &returned));
    if (returned == 0) {
      GemmStatus s;
      s.cublas = static_cast<int>(CUBLAS_STATUS_NOT_SUPPORTED);
      s.message = std::string("cuBLASLt heuristic found no algorithm for ") + gemm_dtype_name(key.dtype) +
                  " m=" + std::to_string(key.m) + " n=" + std::to_string(key.n) + " k=" + std::to_string(key.k);
      return s;
    }
    plan.algo = result.algo;
    return {};
  }

  GemmStatus plan_for(const GemmArgs& args, Plan** out) {
    if (GemmStatus s = ensure_handle(); !s.ok()) return s;
    const PlanKey key = key_of(args);
    auto it = plans.find(key);
    if (it == plans.end()) {
      Plan plan;
      if (GemmStatus s = make_plan(key, args, plan); !s.ok()) return s;
      it = plans.emplace(key, std::move(plan)).first;
    }
    *out = &it->second;
    return {};
  }
};

GemmRunner::GemmRunner(cublasLtContext* handle) noexcept : impl_(new (std::nothrow) Impl) {
  if (impl_) impl_->handle = handle;
}
GemmRunner::~GemmRunner() = default;
GemmRunner::GemmRunner(GemmRunner&&) noexcept = default;
GemmRunner& GemmRunner::operator=(GemmRunner&&) noexcept = default;

std::size_t GemmRunner::cached_plans() const noexcept { return impl_ ? impl_->plans.size() : 0; }

GemmStatus GemmRunner::validate(const GemmArgs& g) noexcept {
  try {
    if (g.m <= 0 || g.n <= 0 || g.k <= 0)
      return invalid("m, n, k must be positive, got m=" + std::to_string(g.m) + " n=" + std::to_string(g.n) +
                     " k=" + std::to_string(g.k));
    if (g.m > INT32_MAX || g.n > INT32_MAX || g.k > INT32_MAX) return invalid("m, n, k must fit in int32");
    if (!g.a || !g.b || !g.d) return invalid("a, b and d must be device pointers, got a null pointer");
    if (g.dtype == GemmDtype::kBf16) {
      if (g.a_scale || g.b_scale) return invalid("bfloat16 takes no scales; a_scale/b_scale must be null");
      return {};
    }
    // Hopper fp8 kernels read 16-byte rows: the leading dimensions (k for x and W, n for y in
    // bf16) must be multiples of 16 bytes.
    if (g.k % 16 != 0) return invalid("fp8 needs k % 16 == 0 (16-byte rows of x and W), got k=" + std::to_string(g.k));
    if (g.n % 8 != 0) return invalid("fp8 needs n % 8 == 0 (16-byte rows of bf16 y), got n=" + std::to_string(g.n));
    if (!g.a_scale || !g.b_scale) return invalid(std::string(gemm_dtype_name(g.dtype)) + " needs a_scale and b_scale device pointers");
    // cuBLASLt refuses (NOT_SUPPORTED at launch) scale pointers that are not 16-byte aligned.
    if (alignment_of(g.a_scale) < 16 || alignment_of(g.b_scale) < 16)
      return invalid("a_scale and b_scale must be 16-byte aligned device pointers");
    return {};
  } catch (...) {
    GemmStatus s;
    s.cuda = cudaErrorMemoryAllocation;
    s.message = "GemmRunner::validate: out of host memory";
    return s;
  }
}

GemmStatus GemmRunner::prepare(const GemmArgs& args) noexcept {
  try {
    if (!impl_) return invalid("GemmRunner: construction failed (out of host memory)");
    if (GemmStatus s = validate(args); !s.ok()) return s;
    Plan* plan = nullptr;
    return impl_->plan_for(args, &plan);
  } catch (...) {
    GemmStatus s;
    s.cuda = cudaErrorMemoryAllocation;
    s.message = "GemmRunner::prepare: out of host memory";
    return s;
  }
}

GemmStatus GemmRunner::run(const GemmArgs& args, void* workspace, cudaStream_t stream) noexcept {
  try {
    if (!impl_) return invalid("GemmRunner: construction failed (out of host memory)");
    if (GemmStatus s = validate(args); !s.ok()) return s;
    if (!workspace) return invalid("workspace is null; allocate GemmRunner::workspace_bytes() on the device");
    Plan* plan = nullptr;
    if (GemmStatus s = impl_->plan_for(args, &plan); !s.ok()) return s;

    if (args.dtype != GemmDtype::kBf16) {
      // cuBLAS A is W: its scale is args.b_scale; cuBLAS B is x: args.a_scale.
      const void* sa = args.b_scale;
      const void* sb = args.a_scale;
      AICONF_LT_TRY(cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, &sa, sizeof(sa)));
      AICONF_LT_TRY(cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &sb, sizeof(sb)));
    }

    char range[96];
    std::snprintf(range, sizeof(range), "aiconf.gemm.%s m=%lld n=%lld k=%lld", gemm_dtype_name(args.dtype),
                  static_cast<long long>(args.m), static_cast<long long>(args.n), static_cast<long long>(args.k));
    nvtxRangePushA(range);
    const float alpha = 1.0f, beta = 0.0f;
    const cublasStatus_t st =
        cublasLtMatmul(impl_->handle, plan->desc, &alpha, args.b, plan->a, args.a, plan->b, &beta, args.d, plan->d,
                       args.d, plan->d, &plan->algo, workspace, kWorkspaceBytes, stream);
    nvtxRangePop();
    if (st != CUBLAS_STATUS_SUCCESS) {
      GemmStatus s;
      s.cublas = static_cast<int>(st);
      s.message = where(__FILE__, __LINE__) + ": cublasLtMatmul(" + range + ") failed: " + status_name(st);
      return s;
    }
    return {};
  } catch (...) {
    GemmStatus s;
    s.cuda = cudaErrorMemoryAllocation;
    s.message = "GemmRunner::run: out of host memory";
    return s;
  }
}

}  // namespace aiconf::gemm
