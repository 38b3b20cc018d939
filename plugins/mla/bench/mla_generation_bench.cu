// Benchmark of dense MLA decode as the mla_generation mock layer runs it: the sparse MLA wgmma
// kernel in dense mode over a paged latent cache (pages of 64 tokens, shuffled), s_q = 1.
// Cold L2: a 256 MB memset before every timed launch (outside the events); median of 20 runs.
// Ceilings: the measured ones of perfdb/systems/h200_sxm.json / h100_sxm.json (bf16 cuBLASLt
// TFLOP/s and copy bandwidth). Prints a markdown table (and writes it to argv[1] when given).
#include <aiconf/sparse_mla/sparse_mla.h>
#include <aiconf_plugins/bench_util.h>

#include <cuda_bf16.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <vector>

using namespace aiconf::sparse_mla;
namespace bench = aiconf::plugins::bench;

namespace {

__device__ unsigned mix(unsigned long long x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return static_cast<unsigned>(x);
}

/// bf16 values in [-1, 1); for the FP8 layout, e4m3 codes without NaN, scales 1/64, bf16 rope.
__global__ void fill_random(unsigned short* buf, size_t halves, bool fp8, unsigned long long seed) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < halves; i += size_t(gridDim.x) * blockDim.x) {
    const unsigned h = mix(seed * 0x9E3779B97F4A7C15ULL + i);
    unsigned short v = __bfloat16_as_ushort(__float2bfloat16((h & 0xFFFF) / 32768.f - 1.f));
    if (fp8) {
      const size_t off = (2 * i) % 656;
      if (off < 512) v = static_cast<unsigned short>((h >> 8) & 0x7676);
      else if (off < 528) v = off % 4 == 0 ? 0x0000 : 0x3C80;  // fp32 1/64
    }
    buf[i] = v;
  }
}

struct Buffer {
  void* p = nullptr;
  size_t bytes = 0;
  explicit Buffer(size_t n) : bytes(n) { AICONF_GPU_CHECK(cudaMalloc(&p, n)); }
  ~Buffer() { cudaFree(p); }
  template <class T> T* as() const { return static_cast<T*>(p); }
};

}  // namespace

int main(int argc, char** argv) {
  aiconf::plugins::exit_if_no_gpu();
  cudaDeviceProp prop;
  AICONF_GPU_CHECK(cudaGetDeviceProperties(&prop, 0));
  const bench::MeasuredCeilings ceil = bench::measured_ceilings(prop.name);
  const double peak_tflops = ceil.bf16_tflops, peak_gbs = ceil.hbm_tbps * 1e3;
  std::printf("device: %s (%d SMs); measured ceilings (perfdb/systems/%s.json): bf16 %.1f TFLOP/s, HBM %.0f GB/s\n", prop.name,
              prop.multiProcessorCount, ceil.system, peak_tflops, peak_gbs);

  const int heads = 128, max_b = 128, max_L = 32768;
  const size_t max_rows = size_t(max_b) * max_L;
  Buffer cache(max_rows * 1152), flush(size_t(256) << 20), ws(size_t(256) << 20);
  Buffer q(size_t(max_b) * heads * 576 * 2), out(size_t(max_b) * heads * 512 * 2), lse(size_t(max_b) * heads * 4);
  Buffer table(max_rows / 64 * 4), lens(max_b * 4);
  fill_random<<<1024, 256>>>(q.as<unsigned short>(), q.bytes / 2, false, 1);
  AICONF_GPU_CHECK(cudaGetLastError());

  std::string md = "| cache | b | L | h | splits | time (us) | GB/s | % HBM | TFLOP/s | % bf16 |\n|---|---|---|---|---|---|---|---|---|---|\n";
  for (bool fp8 : {false, true}) {
    const int row_bytes = fp8 ? 656 : 1152;
    fill_random<<<4096, 256>>>(cache.as<unsigned short>(), max_rows * row_bytes / 2, fp8, 7);
    AICONF_GPU_CHECK(cudaGetLastError());
    for (int L : {1024, 8192, 32768})
      for (int b : {1, 8, 64, 128}) {
        const int pages_per_seq = (L + 63) / 64;
        std::vector<int> tab(size_t(b) * pages_per_seq), len(b, L);
        std::iota(tab.begin(), tab.end(), 0);
        std::shuffle(tab.begin(), tab.end(), std::mt19937(L + b));
        AICONF_GPU_CHECK(cudaMemcpy(table.p, tab.data(), tab.size() * 4, cudaMemcpyHostToDevice));
        AICONF_GPU_CHECK(cudaMemcpy(lens.p, len.data(), len.size() * 4, cudaMemcpyHostToDevice));
        SparseMlaParams p;
        p.num_tokens = b;
        p.num_heads = heads;
        p.topk = L;
        p.tokens_per_seq = 1;
        p.sm_scale = 0.0722f;
        p.q = q.as<__nv_bfloat16>();
        p.kv_cache = cache.p;
        p.kv_format = fp8 ? KvCacheFormat::kFp8E4m3Scaled : KvCacheFormat::kBf16;
        p.kv_seq_len = L;
        p.block_table = table.as<int>();
        p.block_table_stride = pages_per_seq;
        p.page_size = 64;
        p.dense_keys = true;
        p.topk_lengths = lens.as<int>();
        p.out = out.as<__nv_bfloat16>();
        p.lse = lse.as<float>();
        if (sparse_mla_workspace_bytes(p) > ws.bytes) {
          std::fprintf(stderr, "workspace too small\n");
          return 1;
        }
        for (int i = 0; i < 3; ++i) AICONF_GPU_CHECK(launch_sparse_mla(p, ws.p, nullptr));
        const double us =
            1e3 * bench::median_ms(nullptr, 20, [&] { AICONF_GPU_CHECK(launch_sparse_mla(p, ws.p, nullptr)); }, flush.p, flush.bytes);
        const double bytes = double(b) * L * row_bytes + double(b) * heads * (576 + 512) * 2;
        const double flops = 2.0 * b * heads * double(L) * (576 + 512);
        const double gbs = bytes / us * 1e-3, tflops = flops / us * 1e-6;
        char line[256];
        std::snprintf(line, sizeof line, "| %s | %d | %d | %d | %d | %.1f | %.0f | %.1f | %.1f | %.1f |\n", fp8 ? "fp8" : "bf16", b, L,
                      heads, sparse_mla_num_splits(p), us, gbs, 100 * gbs / peak_gbs, tflops, 100 * tflops / peak_tflops);
        md += line;
        std::printf("%s", line);
        std::fflush(stdout);
      }
  }
  std::printf("\n%s", md.c_str());
  if (argc > 1)
    if (FILE* f = std::fopen(argv[1], "w")) {
      std::fprintf(f, "device: %s\n\n%s", prop.name, md.c_str());
      std::fclose(f);
    }
  return 0;
}
