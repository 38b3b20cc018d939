// Measures this card's ceilings with our own code: bf16 and fp8 (per-tensor, fast accumulate)
// cuBLASLt GEMM at 8192^3 on random data, and device-to-device copy bandwidth (2 GiB
// cudaMemcpyAsync, bytes read + written). Prints one JSON object for the system spec files:
//   {"gpu": ..., "bf16_tflops": ..., "fp8_tflops": ..., "copy_tbps": ...}
// usage: aiconf_bench_ceilings [--json FILE]     (exit 77 without a CUDA device)
#include <aiconf/gemm/gemm_runner.h>
#include <aiconf_plugins/gpu_program.h>
#include <aiconf/gemm/random_fill.h>

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace aiconf::gemm;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Median ms of `reps` timed calls of f after `warm` untimed ones.
template <typename F>
double time_ms(F&& f, cudaStream_t stream, int warm, int reps) {
  cudaEvent_t e0, e1;
  AICONF_GPU_CHECK(cudaEventCreate(&e0));
  AICONF_GPU_CHECK(cudaEventCreate(&e1));
  for (int i = 0; i < warm; ++i) f();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    AICONF_GPU_CHECK(cudaEventRecord(e0, stream));
    f();
    AICONF_GPU_CHECK(cudaEventRecord(e1, stream));
    AICONF_GPU_CHECK(cudaEventSynchronize(e1));
    float ms = 0;
    AICONF_GPU_CHECK(cudaEventElapsedTime(&ms, e0, e1));
    t.push_back(ms);
  }
  AICONF_GPU_CHECK(cudaGetLastError());
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);
  return median(t);
}

double gemm_tflops(GemmRunner& runner, GemmDtype dt, void* ws, cudaStream_t stream) {
  constexpr std::int64_t n = 8192;
  const std::size_t eb = dt == GemmDtype::kBf16 ? 2 : 1;
  void *a, *b, *d;
  float* s;
  AICONF_GPU_CHECK(cudaMalloc(&a, n * n * eb));
  AICONF_GPU_CHECK(cudaMalloc(&b, n * n * eb));
  AICONF_GPU_CHECK(cudaMalloc(&d, n * n * 2));
  AICONF_GPU_CHECK(cudaMalloc(&s, 128 * sizeof(float)));  // two scales 256 B apart (cuBLASLt wants 16-B alignment)
  // Random data, never zeros: zeros run measurably faster on Hopper.
  if (dt == GemmDtype::kBf16) {
    AICONF_GPU_CHECK(fill_random_bf16(a, n * n, 11, -1.f, 1.f, stream));
    AICONF_GPU_CHECK(fill_random_bf16(b, n * n, 12, -1.f, 1.f, stream));
  } else {
    AICONF_GPU_CHECK(fill_random_fp8(static_cast<std::uint8_t*>(a), n * n, 11, 448.f, stream));
    AICONF_GPU_CHECK(fill_random_fp8(static_cast<std::uint8_t*>(b), n * n, 12, 448.f, stream));
  }
  AICONF_GPU_CHECK(fill_random_f32(s, 128, 13, 1e-3f, 2e-3f, stream));
  GemmArgs g;
  g.dtype = dt;
  g.m = g.n = g.k = n;
  g.a = a;
  g.b = b;
  g.d = d;
  if (dt != GemmDtype::kBf16) {
    g.a_scale = s;
    g.b_scale = s + 64;
  }
  double tf = -1;
  if (GemmStatus st = runner.run(g, ws, stream); !st.ok()) {
    std::fprintf(stderr, "%s GEMM failed: %s\n", gemm_dtype_name(dt), st.message.c_str());
  } else {
    const double ms = time_ms([&] { (void)runner.run(g, ws, stream); }, stream, 5, 30);
    tf = 2.0 * n * n * n / (ms * 1e-3) / 1e12;
  }
  cudaFree(a);
  cudaFree(b);
  cudaFree(d);
  cudaFree(s);
  return tf;
}

double copy_tbps(cudaStream_t stream) {
  const std::size_t bytes = std::size_t{2} << 30;
  void *src, *dst;
  AICONF_GPU_CHECK(cudaMalloc(&src, bytes));
  AICONF_GPU_CHECK(cudaMalloc(&dst, bytes));
  AICONF_GPU_CHECK(fill_random_f32(static_cast<float*>(src), static_cast<std::int64_t>(bytes / 4), 7, -1.f, 1.f, stream));
  const double ms =
      time_ms([&] { AICONF_GPU_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream)); }, stream, 3, 20);
  cudaFree(src);
  cudaFree(dst);
  return 2.0 * static_cast<double>(bytes) / (ms * 1e-3) / 1e12;
}

}  // namespace

int main(int argc, char** argv) {
  const char* json_path = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--json") && i + 1 < argc) json_path = argv[++i];
    else {
      std::fprintf(stderr, "usage: %s [--json FILE]\n", argv[0]);
      return 2;
    }
  }
  aiconf::plugins::exit_if_no_gpu();
  cudaDeviceProp prop{};
  AICONF_GPU_CHECK(cudaGetDeviceProperties(&prop, 0));
  cudaStream_t stream;
  AICONF_GPU_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  void* ws;
  AICONF_GPU_CHECK(cudaMalloc(&ws, GemmRunner::workspace_bytes()));
  GemmRunner runner;
  const double bf16 = gemm_tflops(runner, GemmDtype::kBf16, ws, stream);
  const double fp8 = gemm_tflops(runner, GemmDtype::kFp8, ws, stream);
  const double copy = copy_tbps(stream);
  char json[512];
  std::snprintf(json, sizeof(json),
                "{\"gpu\": \"%s\", \"bf16_tflops\": %.1f, \"fp8_tflops\": %.1f, \"copy_tbps\": %.3f, "
                "\"method\": \"cuBLASLt heuristic top-1, 8192^3 random data, median of 30; fp8 per-tensor fast "
                "accumulate; copy: 2 GiB cudaMemcpyAsync D2D, read+write bytes, median of 20\"}",
                prop.name, bf16, fp8, copy);
  std::printf("%s\n", json);
  if (json_path) {
    FILE* f = std::fopen(json_path, "w");
    if (!f) {
      std::fprintf(stderr, "cannot open %s\n", json_path);
      return 1;
    }
    std::fprintf(f, "%s\n", json);
    std::fclose(f);
  }
  cudaFree(ws);
  return (bf16 > 0 && fp8 > 0) ? 0 : 1;
}
