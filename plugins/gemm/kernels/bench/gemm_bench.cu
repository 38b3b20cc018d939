// GEMM mock-layer benchmark: aiconfigurator's gemm table sweep (m x {(n,k)} x dtype) and the
// 8192^3 ceiling check. Times CUDA-graph replays of many launches that rotate over enough
// operand sets to exceed the L2, median over replays.
//
// usage: aiconf_bench_gemm [--square-only] [--csv FILE]
//   stdout: a markdown table; --csv: aiconfigurator gemm_perf rows (latency in ms).
#include <aiconf/gemm/gemm_runner.h>
#include <aiconf_plugins/gpu_program.h>
#include <aiconf/gemm/random_fill.h>

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace aiconf::gemm;

namespace {

constexpr std::size_t kRotateBytes = std::size_t{192} << 20;  // > 3x the 50-60 MB L2 of H100/H200
constexpr double kGraphTargetMs = 3.0;                        // work per timed replay
constexpr int kReplays = 15;

std::size_t align_up(std::size_t v) { return (v + 255) / 256 * 256; }

struct Operands {
  std::vector<GemmArgs> sets;
};

struct Result {
  bool ok = false;
  std::string why;
  double ms = 0;  // median per GEMM
  int sets = 0;
};

// Carves `sets` operand sets out of the pool and fills them with random data.
bool make_sets(GemmDtype dtype, std::int64_t m, std::int64_t n, std::int64_t k, char* pool, std::size_t pool_bytes,
               cudaStream_t stream, std::vector<GemmArgs>& out) {
  const bool fp8 = dtype != GemmDtype::kBf16;
  const std::size_t eb = fp8 ? 1 : 2;
  const std::int64_t rows = gemm_rows_allocated(dtype, m);  // block-scaled fp8 pads m to 4
  const std::size_t a_b = align_up(rows * k * eb), b_b = align_up(n * k * eb), d_b = align_up(rows * n * 2);
  std::size_t sa_b = 0, sb_b = 0;
  if (dtype == GemmDtype::kFp8) sa_b = sb_b = 256;
  if (dtype == GemmDtype::kFp8Block) {
    sa_b = align_up(act_scale_elems(m, k) * 4);
    sb_b = align_up(weight_scale_elems(n, k) * 4);
  }
  const std::size_t set_b = a_b + b_b + d_b + sa_b + sb_b;
  std::size_t nsets = std::max<std::size_t>(1, (kRotateBytes + set_b - 1) / set_b);
  nsets = std::min<std::size_t>(nsets, 64);
  if (set_b > pool_bytes) return false;
  nsets = std::min(nsets, pool_bytes / set_b);
  out.clear();
  char* p = pool;
  for (std::size_t s = 0; s < nsets; ++s) {
    GemmArgs g;
    g.dtype = dtype;
    g.m = m;
    g.n = n;
    g.k = k;
    g.a = p;
    g.b = p + a_b;
    g.d = p + a_b + b_b;
    const std::uint64_t seed = 1000003ull * s + 17;
    if (fp8) {
      AICONF_GPU_CHECK(fill_random_fp8(static_cast<std::uint8_t*>(const_cast<void*>(g.a)), rows * k, seed, 448.f, stream));
      AICONF_GPU_CHECK(fill_random_fp8(static_cast<std::uint8_t*>(const_cast<void*>(g.b)), n * k, seed + 1, 448.f, stream));
      float* sa = reinterpret_cast<float*>(p + a_b + b_b + d_b);
      float* sb = reinterpret_cast<float*>(p + a_b + b_b + d_b + sa_b);
      AICONF_GPU_CHECK(fill_random_f32(sa, static_cast<std::int64_t>(sa_b / 4), seed + 2, 1e-3f, 2e-3f, stream));
      AICONF_GPU_CHECK(fill_random_f32(sb, static_cast<std::int64_t>(sb_b / 4), seed + 3, 1e-3f, 2e-3f, stream));
      g.a_scale = sa;
      g.b_scale = sb;
    } else {
      AICONF_GPU_CHECK(fill_random_bf16(const_cast<void*>(g.a), m * k, seed, -1.f, 1.f, stream));
      AICONF_GPU_CHECK(fill_random_bf16(const_cast<void*>(g.b), n * k, seed + 1, -1.f, 1.f, stream));
    }
    out.push_back(g);
    p += set_b;
  }
  return true;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

Result time_gemm(GemmRunner& runner, std::vector<GemmArgs>& sets, void* ws, cudaStream_t stream) {
  Result r;
  r.sets = static_cast<int>(sets.size());
  if (GemmStatus s = runner.prepare(sets[0]); !s.ok()) {
    r.why = s.message;
    return r;
  }
  cudaEvent_t e0, e1;
  AICONF_GPU_CHECK(cudaEventCreate(&e0));
  AICONF_GPU_CHECK(cudaEventCreate(&e1));
  // Warm-up over every set, then one timed pass for the launch count per graph.
  for (auto& g : sets)
    if (GemmStatus s = runner.run(g, ws, stream); !s.ok()) {
      r.why = s.message;
      return r;
    }
  AICONF_GPU_CHECK(cudaEventRecord(e0, stream));
  for (auto& g : sets) (void)runner.run(g, ws, stream);
  AICONF_GPU_CHECK(cudaEventRecord(e1, stream));
  AICONF_GPU_CHECK(cudaEventSynchronize(e1));
  float first_ms = 0;
  AICONF_GPU_CHECK(cudaEventElapsedTime(&first_ms, e0, e1));
  const double est = std::max(1e-4, static_cast<double>(first_ms) / static_cast<double>(sets.size()));
  const int launches = std::clamp(static_cast<int>(std::ceil(kGraphTargetMs / est)), static_cast<int>(sets.size()), 2000);

  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  AICONF_GPU_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  for (int i = 0; i < launches; ++i) {
    if (GemmStatus s = runner.run(sets[i % sets.size()], ws, stream); !s.ok()) {
      cudaStreamEndCapture(stream, &graph);
      if (graph) cudaGraphDestroy(graph);
      r.why = "capture: " + s.message;
      return r;
    }
  }
  AICONF_GPU_CHECK(cudaStreamEndCapture(stream, &graph));
  AICONF_GPU_CHECK(cudaGraphInstantiate(&exec, graph, 0));
  AICONF_GPU_CHECK(cudaGraphLaunch(exec, stream));  // warm replay
  std::vector<double> per;
  for (int rep = 0; rep < kReplays; ++rep) {
    AICONF_GPU_CHECK(cudaEventRecord(e0, stream));
    AICONF_GPU_CHECK(cudaGraphLaunch(exec, stream));
    AICONF_GPU_CHECK(cudaEventRecord(e1, stream));
    AICONF_GPU_CHECK(cudaEventSynchronize(e1));
    float ms = 0;
    AICONF_GPU_CHECK(cudaEventElapsedTime(&ms, e0, e1));
    per.push_back(ms / launches);
  }
  AICONF_GPU_CHECK(cudaGetLastError());
  AICONF_GPU_CHECK(cudaGraphExecDestroy(exec));
  AICONF_GPU_CHECK(cudaGraphDestroy(graph));
  AICONF_GPU_CHECK(cudaEventDestroy(e0));
  AICONF_GPU_CHECK(cudaEventDestroy(e1));
  r.ms = median(per);
  r.ok = true;
  return r;
}

// Measured ceilings of /work/shared/reference/anchors.md (torch matmul / _scaled_mm, 8192^3).
void anchors_for(const std::string& gpu, double& bf16, double& fp8) {
  if (gpu.find("H200") != std::string::npos) {
    bf16 = 782;
    fp8 = 1398;
  } else {
    bf16 = 779;
    fp8 = 1404;
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool square_only = false;
  const char* csv_path = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--square-only")) square_only = true;
    else if (!std::strcmp(argv[i], "--csv") && i + 1 < argc) csv_path = argv[++i];
    else {
      std::fprintf(stderr, "usage: %s [--square-only] [--csv FILE]\n", argv[0]);
      return 2;
    }
  }
  aiconf::plugins::exit_if_no_gpu();
  cudaDeviceProp prop{};
  AICONF_GPU_CHECK(cudaGetDeviceProperties(&prop, 0));
  const std::string gpu = prop.name;
  cudaStream_t stream;
  AICONF_GPU_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  void* ws = nullptr;
  AICONF_GPU_CHECK(cudaMalloc(&ws, GemmRunner::workspace_bytes()));
  std::size_t free_b = 0, total_b = 0;
  AICONF_GPU_CHECK(cudaMemGetInfo(&free_b, &total_b));
  const std::size_t pool_bytes = std::min<std::size_t>(free_b / 2, std::size_t{6} << 30);
  char* pool = nullptr;
  AICONF_GPU_CHECK(cudaMalloc(&pool, pool_bytes));
  GemmRunner runner;
  std::vector<GemmArgs> sets;

  std::printf("# GEMM mock layer (cuBLASLt, heuristic top-1) on %s, %d SMs\n\n", gpu.c_str(), prop.multiProcessorCount);
  double a_bf16, a_fp8;
  anchors_for(gpu, a_bf16, a_fp8);
  std::printf("## 8192^3 vs measured ceilings (anchors.md: bf16 %.0f, fp8 %.0f TFLOP/s)\n\n", a_bf16, a_fp8);
  std::printf("| dtype | ms | TFLOP/s | %% of ceiling |\n|---|---|---|---|\n");
  struct Sq {
    GemmDtype dt;
    bool fast;
    const char* label;
  };
  for (const Sq& q : {Sq{GemmDtype::kBf16, true, "bfloat16"}, Sq{GemmDtype::kFp8, true, "fp8 (fast accum)"},
                      Sq{GemmDtype::kFp8, false, "fp8 (exact accum)"}, Sq{GemmDtype::kFp8Block, false, "fp8_block"}}) {
    if (!make_sets(q.dt, 8192, 8192, 8192, pool, pool_bytes, stream, sets)) continue;
    for (auto& g : sets) g.fp8_fast_accum = q.fast;
    const Result r = time_gemm(runner, sets, ws, stream);
    if (!r.ok) {
      std::printf("| %s | unsupported: %s | | |\n", q.label, r.why.c_str());
      continue;
    }
    const double tf = 2.0 * 8192.0 * 8192.0 * 8192.0 / (r.ms * 1e-3) / 1e12;
    const double ceil = q.dt == GemmDtype::kBf16 ? a_bf16 : a_fp8;
    std::printf("| %s | %.4f | %.1f | %.1f%% |\n", q.label, r.ms, tf, 100.0 * tf / ceil);
    std::fflush(stdout);
  }
  if (square_only) return 0;

  FILE* csv = csv_path ? std::fopen(csv_path, "w") : nullptr;
  if (csv_path && !csv) {
    std::fprintf(stderr, "cannot open %s for writing\n", csv_path);
    return 1;
  }
  if (csv) std::fprintf(csv, "framework,version,device,op_name,kernel_source,gemm_dtype,m,n,k,latency\n");
  const std::vector<std::int64_t> ms = {1,   2,   4,   8,    16,   32,   48,   64,   96,   128,   192,   256,
                                        384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192, 12288, 16384};
  const std::vector<std::pair<std::int64_t, std::int64_t>> nks = {{7168, 2048}, {2112, 7168}, {24576, 1536}, {7168, 16384}};
  std::printf("\n## sweep (median us per GEMM, TFLOP/s)\n\n| dtype | n | k | m | us | TFLOP/s | sets |\n|---|---|---|---|---|---|---|\n");
  for (GemmDtype dt : {GemmDtype::kBf16, GemmDtype::kFp8, GemmDtype::kFp8Block})
    for (auto [n, k] : nks)
      for (std::int64_t m : ms) {
        if (!make_sets(dt, m, n, k, pool, pool_bytes, stream, sets)) {
          std::printf("| %s | %lld | %lld | %lld | skipped: pool too small | | |\n", gemm_dtype_name(dt), (long long)n,
                      (long long)k, (long long)m);
          continue;
        }
        const Result r = time_gemm(runner, sets, ws, stream);
        if (!r.ok) {
          std::printf("| %s | %lld | %lld | %lld | unsupported: %s | | |\n", gemm_dtype_name(dt), (long long)n,
                      (long long)k, (long long)m, r.why.c_str());
          continue;
        }
        const double tf = 2.0 * m * n * k / (r.ms * 1e-3) / 1e12;
        std::printf("| %s | %lld | %lld | %lld | %.2f | %.1f | %d |\n", gemm_dtype_name(dt), (long long)n, (long long)k,
                    (long long)m, r.ms * 1e3, tf, r.sets);
        if (csv)
          std::fprintf(csv, "aiconf,0.1.0,%s,gemm,cublaslt,%s,%lld,%lld,%lld,%.6f\n", gpu.c_str(), gemm_dtype_name(dt),
                       (long long)m, (long long)n, (long long)k, r.ms);
      }
  if (csv) std::fclose(csv);
  AICONF_GPU_CHECK(cudaFree(pool));
  AICONF_GPU_CHECK(cudaFree(ws));
  return 0;
}
