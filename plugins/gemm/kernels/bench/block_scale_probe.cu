// Diagnostic: which block-scaled fp8 configurations does this cuBLASLt accept on this GPU?
// For each operand order and shape, asks the heuristic and launches once; prints the statuses.
// Not a test: it documents what cuBLASLt supports (results/ keeps its output).
#include <cublasLt.h>
#include <aiconf_plugins/gpu_program.h>
#include <cuda_runtime_api.h>

#include <aiconf/gemm/random_fill.h>

#include <cstdio>
#include <cstdlib>

namespace {

struct Variant {
  const char* name;
  cublasLtMatmulMatrixScale_t a_mode, b_mode;
  bool weights_are_a;  // true: A = W (k x n, op T), B = x; false: A = x (k x m, op T), B = W (op N)
  bool ptrs_before_heuristic;
};

void probe(cublasLtHandle_t h, const Variant& v, int m, int n, int k, void* ws, char* buf, float* scales) {
  cublasLtMatmulDesc_t desc;
  cublasLtMatrixLayout_t la, lb, ld;
  cublasLtMatmulDescCreate(&desc, CUBLAS_COMPUTE_32F, CUDA_R_32F);
  cublasOperation_t t = CUBLAS_OP_T, nn = CUBLAS_OP_N;
  cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSA, &t, sizeof(t));
  cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSB, &nn, sizeof(nn));
  cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_A_SCALE_MODE, &v.a_mode, sizeof(v.a_mode));
  cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_B_SCALE_MODE, &v.b_mode, sizeof(v.b_mode));
  const void* sa = scales;
  const void* sb = scales + (1 << 20);
  if (v.ptrs_before_heuristic) {
    cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, &sa, sizeof(sa));
    cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &sb, sizeof(sb));
  }
  const int rows_d = v.weights_are_a ? n : m, cols_d = v.weights_are_a ? m : n;
  cublasLtMatrixLayoutCreate(&la, CUDA_R_8F_E4M3, k, rows_d, k);
  cublasLtMatrixLayoutCreate(&lb, CUDA_R_8F_E4M3, k, cols_d, k);
  cublasLtMatrixLayoutCreate(&ld, CUDA_R_16BF, rows_d, cols_d, rows_d);
  cublasLtMatmulPreference_t pref;
  cublasLtMatmulPreferenceCreate(&pref);
  size_t wsb = size_t{32} << 20;
  cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &wsb, sizeof(wsb));
  cublasLtMatmulHeuristicResult_t r{};
  int got = 0;
  cublasStatus_t hs = cublasLtMatmulAlgoGetHeuristic(h, desc, la, lb, ld, ld, pref, 1, &r, &got);
  cublasStatus_t ms = CUBLAS_STATUS_NOT_SUPPORTED;
  if (hs == CUBLAS_STATUS_SUCCESS && got > 0) {
    cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, &sa, sizeof(sa));
    cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &sb, sizeof(sb));
    float alpha = 1, beta = 0;
    char* d = buf + (size_t{1} << 30);
    ms = cublasLtMatmul(h, desc, &alpha, buf, la, buf + (size_t{512} << 20), lb, &beta, d, ld, d, ld, &r.algo, ws, wsb, 0);
    AICONF_GPU_CHECK(cudaDeviceSynchronize());
  }
  std::printf("%-44s m=%-5d n=%-5d k=%-5d heuristic=%d (%d algos) matmul=%d\n", v.name, m, n, k, (int)hs, got, (int)ms);
  cublasLtMatmulPreferenceDestroy(pref);
  cublasLtMatrixLayoutDestroy(la);
  cublasLtMatrixLayoutDestroy(lb);
  cublasLtMatrixLayoutDestroy(ld);
  cublasLtMatmulDescDestroy(desc);
}

}  // namespace

int main() {
  aiconf::plugins::exit_if_no_gpu();
  std::printf("cublasLt version %zu\n", cublasLtGetVersion());
  cublasLtHandle_t h;
  cublasLtCreate(&h);
  void* ws;
  char* buf;
  float* scales;
  AICONF_GPU_CHECK(cudaMalloc(&ws, size_t{32} << 20));
  AICONF_GPU_CHECK(cudaMalloc(&buf, size_t{2} << 30));
  AICONF_GPU_CHECK(cudaMalloc(&scales, sizeof(float) << 21));
  AICONF_GPU_CHECK(aiconf::gemm::fill_random_fp8(reinterpret_cast<std::uint8_t*>(buf), std::int64_t{1} << 30, 5, 448.f, 0));
  AICONF_GPU_CHECK(aiconf::gemm::fill_random_f32(scales, std::int64_t{1} << 21, 6, 1e-3f, 2e-3f, 0));
  const auto V = CUBLASLT_MATMUL_MATRIX_SCALE_VEC128_32F, B = CUBLASLT_MATMUL_MATRIX_SCALE_BLK128x128_32F;
  const Variant vs[] = {
      {"A=W blk128x128, B=x vec128, ptrs early", B, V, true, true},
      {"A=W blk128x128, B=x vec128, ptrs late", B, V, true, false},
      {"A=x vec128, B=W blk128x128, ptrs early", V, B, false, true},
      {"A=x vec128, B=W blk128x128, ptrs late", V, B, false, false},
      {"A=W vec128, B=x vec128 (1Dx1D), ptrs early", V, V, true, true},
  };
  const int shapes[][3] = {{128, 4096, 7168}, {1, 2112, 7168}, {7, 1536, 640}, {4096, 4096, 7168}};
  for (const auto& v : vs)
    for (const auto& s : shapes) probe(h, v, s[0], s[1], s[2], ws, buf, scales);
  cublasLtDestroy(h);
  return 0;
}
