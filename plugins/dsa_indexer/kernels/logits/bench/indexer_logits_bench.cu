// Benchmark of the DSA indexer logits kernel (not a test). Prints a markdown table and writes it
// to argv[1] when given. Inputs are random (device-side hash), rotated over enough copies that
// every timed launch reads and writes at least ~512 MB of distinct data (several times L2).
// Timing: median over groups of 10 back-to-back launches (see median_ms).
//
// FLOPs = 2 * H * D per unmasked (query, key) pair (causal: only pairs with key <= query).
// Bytes = q + weights + keys read once (132 B/token) + logits written (4 B per entry of each
// row, -inf fill included).
#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "aiconf/dsa/indexer_logits.h"
#include "../tests/logits_test_util.h"

using namespace aiconf::dsa;
using namespace logits_test;

namespace {

constexpr int kD = 128;
constexpr int kH = 64;

__device__ uint32_t hash32(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return static_cast<uint32_t>(x);
}
__device__ float uniform(uint64_t i, uint32_t seed, float lo, float hi) {
  return lo + (hi - lo) * (hash32(i * 0x9E3779B97F4A7C15ULL + seed) >> 8) * (1.0f / 16777216.0f);
}
__global__ void fill_fp8(uint8_t* p, size_t n, uint32_t seed) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x)
    p[i] = static_cast<uint8_t>(__nv_cvt_float_to_fp8(uniform(i, seed, -2.f, 2.f), __NV_SATFINITE, __NV_E4M3));
}
__global__ void fill_f32(float* p, size_t n, uint32_t seed, float lo, float hi) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x)
    p[i] = uniform(i, seed, lo, hi);
}
// Scales of a page pool (page_size floats after page_size*D fp8 bytes in each page).
__global__ void fill_pool_scales(uint8_t* pool, int num_pages, int page_size, uint32_t seed) {
  const size_t n = size_t(num_pages) * page_size;
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    const size_t page = i / page_size, r = i % page_size;
    float* s = reinterpret_cast<float*>(pool + page * page_size * (kD + 4) + size_t(page_size) * kD);
    s[r] = uniform(i, seed, 0.005f, 0.02f);
  }
}

// Device time per launch: groups of kGroup back-to-back launches (rotating input sets) between
// two events, so host-side work (tensor-map encoding, launch) overlaps the previous launch as it
// does in a real stream; the median over the groups, divided by kGroup.
template <class F>
float median_ms(F&& launch, int sets, int groups) {
  constexpr int kGroup = 10;
  cudaEvent_t a, b;
  AICONF_GPU_CHECK(cudaEventCreate(&a));
  AICONF_GPU_CHECK(cudaEventCreate(&b));
  for (int i = 0; i < 3; ++i) AICONF_GPU_CHECK(launch(i % sets));
  AICONF_GPU_CHECK(cudaDeviceSynchronize());
  std::vector<float> t(groups);
  int next = 0;
  for (int i = 0; i < groups; ++i) {
    AICONF_GPU_CHECK(cudaEventRecord(a));
    for (int r = 0; r < kGroup; ++r) AICONF_GPU_CHECK(launch(next++ % sets));
    AICONF_GPU_CHECK(cudaEventRecord(b));
    AICONF_GPU_CHECK(cudaEventSynchronize(b));
    AICONF_GPU_CHECK(cudaEventElapsedTime(&t[i], a, b));
    t[i] /= kGroup;
  }
  AICONF_GPU_CHECK(cudaEventDestroy(a));
  AICONF_GPU_CHECK(cudaEventDestroy(b));
  std::nth_element(t.begin(), t.begin() + groups / 2, t.end());
  return t[groups / 2];
}

// INDEXER_BENCH_FILTER="ctx16384,gen-n1-B256-L32768": run only the named cases.
bool selected(const std::string& name) {
  const char* f = std::getenv("INDEXER_BENCH_FILTER");
  if (f == nullptr || *f == 0) return true;
  const std::string list = std::string(",") + f + ",";
  return list.find("," + name + ",") != std::string::npos;
}

int sets_for(double set_bytes) { return std::clamp(static_cast<int>(512e6 / set_bytes) + 1, 1, 256); }

std::string g_table;
void row(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void row(const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  std::printf("%s\n", buf);
  std::fflush(stdout);
  g_table += buf;
  g_table += "\n";
}

void bench_context(int s, bool fill) {
  const std::string name = "ctx" + std::to_string(s) + (fill ? "" : "-nofill");
  if (!selected(name)) return;
  const int T = s, S = s;
  std::vector<int32_t> ks(T, 0), ke(T);
  for (int i = 0; i < T; ++i) ke[i] = i + 1;
  const double set_bytes = double(T) * kH * kD + double(T) * kH * 4 + double(S) * (kD + 4) + double(T) * S * 4;
  const int sets = sets_for(set_bytes);
  std::vector<DeviceBuffer<uint8_t>> q, k;
  std::vector<DeviceBuffer<float>> w, sc, out;
  for (int i = 0; i < sets; ++i) {
    q.emplace_back(size_t(T) * kH * kD);
    k.emplace_back(size_t(S) * kD);
    w.emplace_back(size_t(T) * kH);
    sc.emplace_back(S);
    out.emplace_back(size_t(T) * S);
    fill_fp8<<<1024, 256>>>(q[i].ptr, q[i].count, 1 + i);
    fill_fp8<<<1024, 256>>>(k[i].ptr, k[i].count, 100 + i);
    fill_f32<<<1024, 256>>>(w[i].ptr, w[i].count, 200 + i, -0.5f, 1.f);
    fill_f32<<<1024, 256>>>(sc[i].ptr, sc[i].count, 300 + i, 0.005f, 0.02f);
    AICONF_GPU_CHECK(cudaGetLastError());
  }
  DeviceBuffer<int32_t> dks(T), dke(T);
  dks.upload(ks);
  dke.upload(ke);
  auto launch = [&](int i) {
    IndexerLogitsContextArgs a;
    a.q = q[i].ptr;
    a.weights = w[i].ptr;
    a.k_fp8 = k[i].ptr;
    a.k_scale = sc[i].ptr;
    a.ks = dks.ptr;
    a.ke = dke.ptr;
    a.logits = out[i].ptr;
    a.ld_logits = S;
    a.n_tokens = T;
    a.n_keys = S;
    a.n_cols = S;
    a.n_heads = kH;
    a.head_dim = kD;
    a.fill_masked = fill;
    return launch_indexer_logits_context(a, nullptr);
  };
  const float ms = median_ms(launch, sets, 9);
  const double pairs = double(indexer_logits_context_pairs(ks.data(), ke.data(), T));
  const double tflops = pairs * 2 * kH * kD / (ms * 1e-3) / 1e12;
  // Without the fill only the unmasked entries are written.
  const double bytes = fill ? set_bytes : set_bytes - double(T) * S * 4 + pairs * 4;
  const double gbs = bytes / (ms * 1e-3) / 1e9;
  row("| context causal%s | s=%d, batch 1 | %.4f | %.1f | %.0f | %d |", fill ? "" : " (no -inf fill)", s, ms, tflops,
      gbs, sets);
}

void bench_generation(int B, int L, int n_next) {
  if (!selected("gen-n" + std::to_string(n_next) + "-B" + std::to_string(B) + "-L" + std::to_string(L))) return;
  const int page = 64;
  const int pages_per_seq = (L + page - 1) / page;
  const int num_pages = B * pages_per_seq;
  const size_t pool_bytes = size_t(num_pages) * page * (kD + 4);
  const int rows = B * n_next;
  const double set_bytes =
      double(rows) * kH * kD + double(rows) * kH * 4 + double(pool_bytes) + double(rows) * L * 4;
  const int sets = sets_for(set_bytes);
  std::vector<DeviceBuffer<uint8_t>> q, pool;
  std::vector<DeviceBuffer<float>> w, out;
  std::vector<DeviceBuffer<int32_t>> table;
  std::mt19937 rng(7);
  std::vector<int32_t> lens(B, L);
  DeviceBuffer<int32_t> dlens(B);
  dlens.upload(lens);
  for (int i = 0; i < sets; ++i) {
    q.emplace_back(size_t(rows) * kH * kD);
    w.emplace_back(size_t(rows) * kH);
    pool.emplace_back(pool_bytes);
    out.emplace_back(size_t(rows) * L);
    table.emplace_back(size_t(num_pages));
    fill_fp8<<<1024, 256>>>(q[i].ptr, q[i].count, 11 + i);
    fill_f32<<<1024, 256>>>(w[i].ptr, w[i].count, 22 + i, -0.5f, 1.f);
    fill_fp8<<<2048, 256>>>(pool[i].ptr, pool[i].count, 33 + i);
    fill_pool_scales<<<1024, 256>>>(pool[i].ptr, num_pages, page, 44 + i);
    AICONF_GPU_CHECK(cudaGetLastError());
    std::vector<int32_t> perm(num_pages);
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    table[i].upload(perm);
  }
  auto launch = [&](int i) {
    IndexerLogitsGenerationArgs a;
    a.q = q[i].ptr;
    a.weights = w[i].ptr;
    a.context_lens = dlens.ptr;
    a.layout = IndexCacheLayout::kPaged;
    a.kv_pool = pool[i].ptr;
    a.block_table = table[i].ptr;
    a.block_table_stride = pages_per_seq;
    a.num_pages = num_pages;
    a.page_size = page;
    a.logits = out[i].ptr;
    a.ld_logits = L;
    a.batch = B;
    a.n_next = n_next;
    a.max_context_len = L;
    a.n_heads = kH;
    a.head_dim = kD;
    return launch_indexer_logits_generation(a, nullptr);
  };
  const float ms = median_ms(launch, sets, 15);
  const double pairs = double(indexer_logits_generation_pairs(lens.data(), B, n_next));
  const double tflops = pairs * 2 * kH * kD / (ms * 1e-3) / 1e12;
  const double gbs = set_bytes / (ms * 1e-3) / 1e9;
  row("| generation paged, n_next=%d | B=%d, L=%d | %.4f | %.1f | %.0f | %d |", n_next, B, L, ms, tflops, gbs, sets);
}

}  // namespace

int main(int argc, char** argv) {
  aiconf::plugins::exit_if_no_gpu();
  cudaDeviceProp prop{};
  AICONF_GPU_CHECK(cudaGetDeviceProperties(&prop, 0));
  row("device: %s, %d SMs, H=%d, D=%d", prop.name, prop.multiProcessorCount, kH, kD);
  row("%s", "");
  row("| mode | shape | median ms | TFLOP/s | GB/s | input sets |");
  row("| --- | --- | --- | --- | --- | --- |");
  for (int s : {1024, 4096, 8192, 16384}) bench_context(s, true);
  for (int s : {4096, 16384}) bench_context(s, false);
  for (int n_next : {1, 2})
    for (int B : {1, 64, 256})
      for (int L : {8192, 32768}) bench_generation(B, L, n_next);
  bench_generation(64, 32768, 4);
  if (argc > 1) {
    FILE* f = std::fopen(argv[1], "w");
    if (f) {
      std::fputs(g_table.c_str(), f);
      std::fclose(f);
    }
  }
  return 0;
}
