// GPU test of launch_topk against the exact CPU top-k on fresh random rows: normal values, heavy
// ties, -inf tails, constant rows, values outside the fp16 range (the fallback path), lengths
// 0, 1, k-1, k, k+1, random and full, misaligned rows, causal lengths, several tunings.
// Exit 0 pass, 1 failure, 77 without a CUDA device.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "aiconf/dsa/topk.h"
#include "aiconf/dsa/topk_reference.h"
#include <aiconf_plugins/gpu_program.h>

using aiconf::plugins::GpuBuffer;

using namespace aiconf::dsa;

namespace {

enum class Lens { kFull, kMixed, kCausal };

struct Case {
  int64_t rows, cols, ld;
  int k;
  Lens lens;
  int64_t causal_offset = 0;
  int base_offset = 0;  // floats added to the logits base pointer (misalignment)
};

constexpr int kPatterns = 8;

// Fills row r of length `cols` with pattern r % kPatterns; `len` shapes the -inf tail.
void fill_row(float* row, int64_t cols, int64_t len, int64_t r, std::mt19937_64& rng) {
  std::normal_distribution<float> normal(0.f, 1.f);
  std::uniform_int_distribution<int> small(0, 7);
  const float ninf = -std::numeric_limits<float>::infinity();
  switch (r % kPatterns) {
    case 0: for (int64_t i = 0; i < cols; ++i) row[i] = normal(rng); break;
    case 1: for (int64_t i = 0; i < cols; ++i) row[i] = static_cast<float>(small(rng)); break;
    case 2:  // masked tail inside the valid length
      for (int64_t i = 0; i < cols; ++i) row[i] = i < len * 6 / 10 ? normal(rng) : ninf;
      break;
    case 3: for (int64_t i = 0; i < cols; ++i) row[i] = 0.5f; break;
    case 4: for (int64_t i = 0; i < cols; ++i) row[i] = 1e-9f * normal(rng); break;  // fp16 zero
    case 5: for (int64_t i = 0; i < cols; ++i) row[i] = 1e6f * normal(rng); break;   // fp16 inf
    case 6: for (int64_t i = 0; i < cols; ++i) row[i] = 100.f + normal(rng); break;  // coarse fp16
    default:  // ReLU-weighted sums: many exact zeros plus a positive tail
      for (int64_t i = 0; i < cols; ++i) row[i] = std::max(0.f, normal(rng)) * 3.f;
      break;
  }
  // Poison beyond the valid length: a correct kernel never selects these.
  for (int64_t i = len; i < cols; ++i) row[i] = 1e30f;
}

int64_t mixed_length(int64_t r, int64_t cols, int k, std::mt19937_64& rng) {
  const int64_t options[] = {1, int64_t{k} - 1, k, int64_t{k} + 1, cols, 0, -1, -2};
  int64_t len = options[(r * 5 + 3) % 8];
  if (len == -1) len = std::uniform_int_distribution<int64_t>(1, cols)(rng);
  if (len == -2) len = std::uniform_int_distribution<int64_t>(std::min<int64_t>(cols, k + 1), cols)(rng);
  return std::clamp<int64_t>(len, 0, cols);
}

bool run_case(const Case& c, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int32_t> lens(c.rows);
  for (int64_t r = 0; r < c.rows; ++r) {
    lens[r] = static_cast<int32_t>(c.lens == Lens::kMixed ? mixed_length(r, c.cols, c.k, rng) : c.cols);
  }
  const int32_t* lens_host = c.lens == Lens::kMixed ? lens.data() : nullptr;
  const bool causal = c.lens == Lens::kCausal;
  std::vector<float> x(c.rows * c.ld + c.base_offset);
  float* xr = x.data() + c.base_offset;
  for (int64_t r = 0; r < c.rows; ++r) {
    const int64_t len = topk_row_length(lens_host, r, c.cols, causal, c.causal_offset);
    fill_row(xr + r * c.ld, c.ld, len, r, rng);
  }
  std::vector<std::vector<float>> expected(c.rows);
  for (int64_t r = 0; r < c.rows; ++r) {
    const int64_t len = topk_row_length(lens_host, r, c.cols, causal, c.causal_offset);
    expected[r] = topk_reference_values(xr + r * c.ld, len, c.k);
  }

  float* d_x = nullptr;
  int32_t* d_lens = nullptr;
  int32_t* d_out = nullptr;
  const int64_t out_elems = c.rows * c.k;
  const int64_t guard = 4096;
  AICONF_GPU_CHECK(cudaMalloc(&d_x, x.size() * sizeof(float)));
  AICONF_GPU_CHECK(cudaMalloc(&d_lens, c.rows * sizeof(int32_t)));
  AICONF_GPU_CHECK(cudaMalloc(&d_out, (out_elems + guard) * sizeof(int32_t)));
  AICONF_GPU_CHECK(cudaMemcpy(d_x, x.data(), x.size() * sizeof(float), cudaMemcpyHostToDevice));
  AICONF_GPU_CHECK(cudaMemcpy(d_lens, lens.data(), c.rows * sizeof(int32_t), cudaMemcpyHostToDevice));

  TopkProblem p;
  p.logits = d_x + c.base_offset;
  p.row_lengths = lens_host ? d_lens : nullptr;
  p.indices = d_out;
  p.rows = c.rows;
  p.cols = c.cols;
  p.ld = c.ld;
  p.k = c.k;
  p.causal = causal;
  p.causal_offset = c.causal_offset;

  const TopkTuning tunings[] = {{0, -1},         {512, 0, 3},           {512, 0, 2},
                                {1024, 100},     {512, 18432, 2},       {1024, 1 << 20},
                                {512, 1000, 3}};
  std::vector<int32_t> out(out_elems + guard);
  bool ok = true;
  for (const TopkTuning& t : tunings) {
    AICONF_GPU_CHECK(cudaMemset(d_out, 0x7f, (out_elems + guard) * sizeof(int32_t)));  // poison
    AICONF_GPU_CHECK(launch_topk(p, nullptr, topk_workspace_bytes(p), nullptr, t));
    AICONF_GPU_CHECK(cudaDeviceSynchronize());
    AICONF_GPU_CHECK(cudaMemcpy(out.data(), d_out, out.size() * sizeof(int32_t), cudaMemcpyDeviceToHost));
    int bad = 0;
    for (int64_t r = 0; r < c.rows && bad < 3; ++r) {
      const int64_t len = topk_row_length(lens_host, r, c.cols, causal, c.causal_offset);
      const std::string e = check_topk_row(xr + r * c.ld, len, c.k, out.data() + r * c.k, expected[r]);
      if (!e.empty()) {
        std::printf("  FAIL rows=%lld cols=%lld ld=%lld k=%d tuning{%d,%lld} row %lld (len %lld, pattern %lld): %s\n",
                    (long long)c.rows, (long long)c.cols, (long long)c.ld, c.k, t.block_threads,
                    (long long)t.cache_elems, (long long)r, (long long)len,
                    (long long)(r % kPatterns), e.c_str());
        ++bad;
      }
    }
    for (int64_t i = out_elems; i < out_elems + guard; ++i) {
      if (out[i] != 0x7f7f7f7f) {
        std::printf("  FAIL: write past the output end at %lld\n", (long long)i);
        ++bad;
        break;
      }
    }
    ok = ok && bad == 0;
  }
  std::printf("%s rows=%lld cols=%lld ld=%lld k=%d lens=%s base+%d\n", ok ? "ok  " : "FAIL",
              (long long)c.rows, (long long)c.cols, (long long)c.ld, c.k,
              c.lens == Lens::kFull ? "full" : (c.lens == Lens::kMixed ? "mixed" : "causal"),
              c.base_offset);
  AICONF_GPU_CHECK(cudaFree(d_x));
  AICONF_GPU_CHECK(cudaFree(d_lens));
  AICONF_GPU_CHECK(cudaFree(d_out));
  return ok;
}

}  // namespace

int main() {
  aiconf::plugins::exit_if_no_gpu();
  std::vector<Case> cases;
  for (int k : {2048, 512, 1}) {
    cases.push_back({1, 131072, 131072, k, Lens::kFull});
    cases.push_back({1, 1, 1, k, Lens::kFull});
    cases.push_back({3, 131072, 131075, k, Lens::kMixed, 0, 1});
    cases.push_back({64, 9295, 9295, k, Lens::kMixed});
    cases.push_back({64, 9295, 9300, k, Lens::kFull, 0, 3});
    cases.push_back({1000, k == 2048 ? 32768 : 5000, k == 2048 ? 32768 : 5001, k, Lens::kMixed});
    cases.push_back({1000, 8192, 8192, k, Lens::kCausal, std::max(0, k - 500)});
  }
  cases.push_back({8, 2049, 2049, 2048, Lens::kFull});
  cases.push_back({8, 2048, 2048, 2048, Lens::kFull});
  cases.push_back({17, 4097, 4099, 2048, Lens::kFull, 0, 2});
  cases.push_back({64, 300000, 300000, 2048, Lens::kFull});  // beyond any shared-memory cache
  bool ok = true;
  uint64_t seed = 12345;
  for (const Case& c : cases) ok = run_case(c, seed++) && ok;

  // Invalid arguments are rejected, not launched.
  TopkProblem bad;
  bad.rows = 1;
  bad.cols = 10;
  bad.ld = 5;
  bad.k = 4;
  if (launch_topk(bad, nullptr, 0, nullptr) != cudaErrorInvalidValue) {
    std::printf("FAIL: ld < cols accepted\n");
    ok = false;
  }
  std::printf("%s\n", ok ? "PASS" : "FAILED");
  return ok ? 0 : 1;
}
