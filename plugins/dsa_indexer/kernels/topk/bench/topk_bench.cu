// Benchmark of launch_topk on the DSA shapes (k = 2048). Prints a markdown table: median time
// (CUDA events, warm-up, rotated input sets totalling >= 256 MB so L2 never holds the data),
// rows/s, achieved GB/s over the minimal bytes and its ratio to the measured copy ceiling, and,
// given a file of torch.topk medians (bench/torch_topk_bench.py), the speedup.
// Usage: topk_bench [torch_times.txt]

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "aiconf/dsa/topk.h"
#include "aiconf/dsa/topk_reference.h"
#include <aiconf_plugins/gpu_program.h>

using aiconf::plugins::GpuBuffer;

using namespace aiconf::dsa;

namespace {

__device__ uint64_t splitmix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Standard-normal values from a counter hash (Box-Muller): fresh data without a host round trip.
__global__ void fill_normal(float* x, int64_t n, uint64_t seed) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    const uint64_t h = splitmix(seed * 0x100000001b3ull + static_cast<uint64_t>(i));
    const float u1 = (static_cast<float>(h >> 40) + 1.f) * (1.f / 16777216.f);
    const float u2 = static_cast<float>((h >> 16) & 0xffffff) * (1.f / 16777216.f);
    x[i] = sqrtf(-2.f * logf(u1)) * cospif(2.f * u2);
  }
}

struct Shape {
  int64_t rows, cols;
  bool mixed_lens;  // random lengths in [1, cols] (many rows take the len <= k fast path)
  const char* note;
};

float median(std::vector<float> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  aiconf::plugins::exit_if_no_gpu();
  const int k = 2048;
  std::map<std::pair<int64_t, int64_t>, double> torch_us;
  if (argc > 1) {
    std::ifstream f(argv[1]);
    int64_t r, c, kk;
    double us;
    while (f >> r >> c >> kk >> us) torch_us[{r, c}] = us;
  }
  cudaDeviceProp prop{};
  AICONF_GPU_CHECK(cudaGetDeviceProperties(&prop, 0));
  const bool h200 = std::strstr(prop.name, "H200") != nullptr;
  const double ceiling_gbs = h200 ? 4150.0 : 2970.0;  // measured D2D copy, anchors.md
  std::printf("device: %s (%d SMs), copy ceiling %.0f GB/s\n\n", prop.name,
              prop.multiProcessorCount, ceiling_gbs);

  const Shape shapes[] = {
      {64, 9295, false, "decode-like, TRT-LLM blog shape"},
      {4096, 32768, false, "prefill chunk"},
      {128, 131072, false, "long decode rows"},
      {1, 131072, false, "single long row"},
      {256, 4096, true, "random len in [1,4096]: len<=k fast path mix"},
  };
  const std::pair<const char*, TopkTuning> tunings[] = {
      {"auto", {0, -1}},
      {"512x3/nocache", {512, 0, 3}},
      {"512x2/nocache", {512, 0, 2}},
      {"512x2/cache8K", {512, 8192, 2}},
      {"1024/cacheMax", {1024, 1 << 20}},
      {"1024/nocache", {1024, 0}},
  };
  std::vector<std::string> phase_lines;

  std::printf("| shape | note | tuning | median us | rows/s | min MB | GB/s | of ceiling | torch.topk us | speedup | check |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  for (const Shape& s : shapes) {
    const int64_t elems = s.rows * s.cols;
    const int nbuf = static_cast<int>(std::max<int64_t>(1, (256ll << 20) / (elems * 4) + 1));
    std::vector<float*> d_x(nbuf);
    for (int b = 0; b < nbuf; ++b) {
      AICONF_GPU_CHECK(cudaMalloc(&d_x[b], elems * sizeof(float)));
      fill_normal<<<1024, 256>>>(d_x[b], elems, 1000 + b);
      AICONF_GPU_CHECK(cudaGetLastError());
    }
    std::vector<int32_t> lens(s.rows, static_cast<int32_t>(s.cols));
    std::mt19937_64 rng(7);
    if (s.mixed_lens) {
      for (auto& l : lens) l = std::uniform_int_distribution<int32_t>(1, static_cast<int32_t>(s.cols))(rng);
    }
    int32_t *d_lens = nullptr, *d_out = nullptr;
    AICONF_GPU_CHECK(cudaMalloc(&d_lens, s.rows * sizeof(int32_t)));
    AICONF_GPU_CHECK(cudaMalloc(&d_out, s.rows * k * sizeof(int32_t)));
    AICONF_GPU_CHECK(cudaMemcpy(d_lens, lens.data(), s.rows * sizeof(int32_t), cudaMemcpyHostToDevice));
    AICONF_GPU_CHECK(cudaDeviceSynchronize());

    double min_bytes = 0;  // logits of rows that need a select + lengths + indices written
    for (int64_t r = 0; r < s.rows; ++r) min_bytes += (lens[r] > k ? 4.0 * lens[r] : 0.0) + 4.0 + 4.0 * k;

    TopkProblem p;
    p.row_lengths = d_lens;
    p.rows = s.rows;
    p.cols = s.cols;
    p.ld = s.cols;
    p.k = k;
    cudaEvent_t e0, e1;
    AICONF_GPU_CHECK(cudaEventCreate(&e0));
    AICONF_GPU_CHECK(cudaEventCreate(&e1));
    for (const auto& [name, t] : tunings) {
      // Spot check against the CPU on up to 8 rows of the first input set.
      p.logits = d_x[0];
      p.indices = d_out;
      AICONF_GPU_CHECK(cudaMemset(d_out, 0x7f, s.rows * k * sizeof(int32_t)));
      AICONF_GPU_CHECK(launch_topk(p, nullptr, 0, nullptr, t));
      AICONF_GPU_CHECK(cudaDeviceSynchronize());
      const int64_t nchk = std::min<int64_t>(8, s.rows);
      std::vector<float> hx(nchk * s.cols);
      std::vector<int32_t> ho(nchk * k);
      AICONF_GPU_CHECK(cudaMemcpy(hx.data(), d_x[0], hx.size() * sizeof(float), cudaMemcpyDeviceToHost));
      AICONF_GPU_CHECK(cudaMemcpy(ho.data(), d_out, ho.size() * sizeof(int32_t), cudaMemcpyDeviceToHost));
      bool ok = true;
      for (int64_t r = 0; r < nchk; ++r) {
        const float* row = hx.data() + r * s.cols;
        const std::string e = check_topk_row(row, lens[r], k, ho.data() + r * k,
                                             topk_reference_values(row, lens[r], k));
        if (!e.empty()) {
          std::fprintf(stderr, "check failed row %lld: %s\n", (long long)r, e.c_str());
          ok = false;
        }
      }

      const int reps = elems >= (64ll << 20) ? 40 : 200;
      for (int w = 0; w < 5; ++w) {
        p.logits = d_x[w % nbuf];
        AICONF_GPU_CHECK(launch_topk(p, nullptr, 0, nullptr, t));
      }
      std::vector<float> ms(reps);
      for (int i = 0; i < reps; ++i) {
        p.logits = d_x[i % nbuf];
        AICONF_GPU_CHECK(cudaEventRecord(e0));
        AICONF_GPU_CHECK(launch_topk(p, nullptr, 0, nullptr, t));
        AICONF_GPU_CHECK(cudaEventRecord(e1));
        AICONF_GPU_CHECK(cudaEventSynchronize(e1));
        AICONF_GPU_CHECK(cudaEventElapsedTime(&ms[i], e0, e1));
      }
      const double us = median(ms) * 1e3;
      const double gbs = min_bytes / (us * 1e-6) / 1e9;
      const auto it = torch_us.find({s.rows, s.cols});
      char torch_col[32] = "-", speed_col[32] = "-";
      if (it != torch_us.end()) {
        std::snprintf(torch_col, sizeof torch_col, "%.1f", it->second);
        std::snprintf(speed_col, sizeof speed_col, "%.1fx", it->second / us);
      }
      std::printf("| %lld x %lld | %s | %s | %.1f | %.3g | %.1f | %.0f | %.0f%% | %s | %s | %s |\n",
                  (long long)s.rows, (long long)s.cols, s.note, name, us, s.rows / (us * 1e-6),
                  min_bytes / 1e6, gbs, 100.0 * gbs / ceiling_gbs, torch_col, speed_col,
                  ok ? "ok" : "FAIL");
      std::fflush(stdout);

      // Phase profile (debug clocks of thread 0 per row): mean cycles per phase over the rows
      // that took the select path.
      unsigned long long* d_clk = nullptr;
      AICONF_GPU_CHECK(cudaMalloc(&d_clk, s.rows * 5 * sizeof(unsigned long long)));
      AICONF_GPU_CHECK(cudaMemset(d_clk, 0, s.rows * 5 * sizeof(unsigned long long)));
      TopkTuning tp = t;
      tp.phase_clocks = d_clk;
      p.logits = d_x[0];
      AICONF_GPU_CHECK(launch_topk(p, nullptr, 0, nullptr, tp));
      AICONF_GPU_CHECK(cudaDeviceSynchronize());
      std::vector<unsigned long long> clk(s.rows * 5);
      AICONF_GPU_CHECK(cudaMemcpy(clk.data(), d_clk, clk.size() * sizeof(unsigned long long), cudaMemcpyDeviceToHost));
      AICONF_GPU_CHECK(cudaFree(d_clk));
      double sum[4] = {0, 0, 0, 0};
      int n = 0;
      for (int64_t r = 0; r < s.rows; ++r) {
        const unsigned long long* c = clk.data() + r * 5;
        if (c[0] == 0 || c[4] == 0) continue;
        for (int j = 0; j < 4; ++j) sum[j] += static_cast<double>(c[j + 1] - c[j]);
        ++n;
      }
      char line[256];
      std::snprintf(line, sizeof line,
                    "| %lld x %lld | %s | %d | %.0f | %.0f | %.0f | %.0f |", (long long)s.rows,
                    (long long)s.cols, name, n, n ? sum[0] / n : 0.0, n ? sum[1] / n : 0.0,
                    n ? sum[2] / n : 0.0, n ? sum[3] / n : 0.0);
      phase_lines.push_back(line);
    }
    AICONF_GPU_CHECK(cudaEventDestroy(e0));
    AICONF_GPU_CHECK(cudaEventDestroy(e1));
    for (float* b : d_x) AICONF_GPU_CHECK(cudaFree(b));
    AICONF_GPU_CHECK(cudaFree(d_lens));
    AICONF_GPU_CHECK(cudaFree(d_out));
  }
  std::printf("\nPhase profile: mean SM cycles per selecting row (thread 0 clock64)\n\n");
  std::printf("| shape | tuning | rows | histogram | threshold | select pass | refine |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- |\n");
  for (const std::string& l : phase_lines) std::printf("%s\n", l.c_str());
  return 0;
}
