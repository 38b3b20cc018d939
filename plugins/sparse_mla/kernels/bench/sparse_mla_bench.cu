// Benchmark of the fast sparse MLA kernel: generation (bf16 and FP8 cache) and context shapes.
// Cold L2: a 256 MB memset runs before every timed launch (outside the events). Median of reps.
// Prints a markdown table (and writes it to argv[1] when given).
#include <algorithm>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include <aiconf_plugins/bench_util.h>

#include "aiconf/sparse_mla/sparse_mla.h"
#include <aiconf_plugins/gpu_program.h>

using aiconf::plugins::GpuBuffer;

using namespace aiconf::sparse_mla;

namespace {

__device__ uint32_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return static_cast<uint32_t>(x);
}

/// Random bytes that decode to finite values: bf16 in [-1, 1); e4m3 codes without NaN, scale 1/64.
__global__ void fill_random(uint8_t* buf, size_t bytes, KvCacheFormat fmt, uint64_t seed) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < bytes / 2; i += size_t(gridDim.x) * blockDim.x) {
    const uint32_t h = mix(seed * 0x9E3779B97F4A7C15ULL + i);
    uint16_t v = __bfloat16_as_ushort(__float2bfloat16((h & 0xFFFF) / 32768.f - 1.f));
    if (fmt == KvCacheFormat::kFp8E4m3Scaled) {
      const size_t off = (2 * i) % 656;
      if (off < 512) v = static_cast<uint16_t>((h >> 8) & 0x7676);  // e4m3 pair, exponent < 15
      else if (off < 528) v = off % 4 == 0 ? 0x0000 : 0x3C80;        // fp32 1/64 = 0x3C800000
    }
    reinterpret_cast<uint16_t*>(buf)[i] = v;
  }
}

/// Random key positions in [0, kv_len); slots from `valid` on are -1 (a list shorter than top-k, as in
/// decode with fewer cached tokens than top-k).
__global__ void fill_indices(int32_t* idx, int64_t n, int topk, int kv_len, uint64_t seed, int valid = 1 << 30) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    idx[i] = i % topk < valid ? static_cast<int32_t>(mix(seed + i * 0x9E3779B97F4A7C15ULL) % kv_len) : -1;
}

struct Row {
  std::string kind, fmt;
  int b, s_q, h, L, T;
  double us, tflops, gbs, pct_flop, pct_bw;
  int splits;
  std::string kernel;
};

const char* kernel_name(SparseMlaKernel k) { return k == SparseMlaKernel::kNarrowHeads ? "narrow" : "tile64"; }

/// The kernels to time for a shape: the automatic choice, plus the other one where both apply (bf16
/// cache, <= 32 heads): the before/after of the same run.
std::vector<SparseMlaKernel> kernels_for(const SparseMlaParams& p) {
  if (p.kv_format != KvCacheFormat::kBf16 || p.num_heads > 32) return {SparseMlaKernel::kAuto};
  return {SparseMlaKernel::kAuto, sparse_mla_kernel(p) == SparseMlaKernel::kNarrowHeads ? SparseMlaKernel::kHeadTile64
                                                                                         : SparseMlaKernel::kNarrowHeads};
}

}  // namespace

int main(int argc, char** argv) {
  aiconf::plugins::exit_if_no_gpu();
  cudaDeviceProp prop;
  AICONF_GPU_CHECK(cudaGetDeviceProperties(&prop, 0));
  const bool h200 = std::strstr(prop.name, "H200") != nullptr;
  const double peak_tflops = h200 ? 782 : 779, peak_gbs = h200 ? 4150 : 2970;  // measured, anchors.md
  std::printf("device: %s (%d SMs); ceilings bf16 %.0f TFLOP/s, copy %.0f GB/s\n", prop.name,
              prop.multiProcessorCount, peak_tflops, peak_gbs);

  // SMLA_QUICK=1: only the shapes with targets (for experiments).
  const bool quick = std::getenv("SMLA_QUICK") != nullptr;
  const int topk = 2048;
  const size_t max_cache = size_t(128) * 32768 * 1152;
  GpuBuffer cache(max_cache), flush(256u << 20);
  GpuBuffer q(size_t(8192) * 128 * 576 * 2), out(size_t(8192) * 128 * 512 * 2), lse(size_t(8192) * 128 * 4);
  GpuBuffer idx(size_t(8192) * topk * 4), lens(size_t(8192) * 4);
  GpuBuffer ws(size_t(64) << 20);  // split-KV partials: only small launches split
  fill_random<<<1024, 256>>>(q.as<uint8_t>(), q.bytes, KvCacheFormat::kBf16, 1);
  AICONF_GPU_CHECK(cudaGetLastError());

  auto time_it = [&](const SparseMlaParams& p) {
    if (sparse_mla_workspace_bytes(p) > ws.bytes) {
      std::fprintf(stderr, "workspace too small\n");
      std::exit(1);
    }
    for (int i = 0; i < 3; ++i) AICONF_GPU_CHECK(launch_sparse_mla(p, ws.ptr, nullptr));
    return 1e3 * aiconf::plugins::bench::median_ms(nullptr, 25, [&] { AICONF_GPU_CHECK(launch_sparse_mla(p, ws.ptr, nullptr)); }, flush.ptr,
                                                   flush.bytes);  // us
  };

  // SMLA_SPLIT_SWEEP=1: time small generation batches at fixed split-KV factors, then exit
  // (tunes sparse_mla_num_splits).
  if (std::getenv("SMLA_SPLIT_SWEEP") != nullptr) {
    fill_random<<<4096, 256>>>(cache.as<uint8_t>(), size_t(8) * 8192 * 1152, KvCacheFormat::kBf16, 5);
    AICONF_GPU_CHECK(cudaGetLastError());
    for (int b : {1, 2, 4, 8})
      for (int h : {128, 16}) {
        SparseMlaParams p;
        p.num_tokens = b;
        p.num_heads = h;
        p.topk = topk;
        p.sm_scale = 0.1f;
        p.q = q.as<__nv_bfloat16>();
        p.kv_cache = cache.ptr;
        p.kv_seq_stride = 8192;
        p.kv_seq_len = 8192;
        p.indices = idx.as<int32_t>();
        p.out = out.as<__nv_bfloat16>();
        p.lse = lse.as<float>();
        fill_indices<<<256, 256>>>(idx.as<int32_t>(), int64_t(b) * topk, topk, 8192, 3 + b);
        AICONF_GPU_CHECK(cudaGetLastError());
        std::printf("split sweep b=%d s_q=1 h=%d (auto %d):", b, h, sparse_mla_num_splits(p));
        for (int sp : {1, 2, 4, 8, 16, 32, 64}) {
          p.num_splits = sp;
          std::printf(" %d:%.1fus", sp, time_it(p));
        }
        std::printf("\n");
      }
    return 0;
  }

  std::vector<Row> rows;
  auto add = [&](Row r, double flops, double bytes) {
    r.tflops = flops / r.us * 1e-6;
    r.gbs = bytes / r.us * 1e-3;
    r.pct_flop = 100 * r.tflops / peak_tflops;
    r.pct_bw = 100 * r.gbs / peak_gbs;
    rows.push_back(r);
    std::printf("%s %s b=%d s_q=%d h=%d L=%d T=%d %s: %.1f us, %.1f TFLOP/s, %.0f GB/s, splits %d\n", r.kind.c_str(),
                r.fmt.c_str(), r.b, r.s_q, r.h, r.L, r.T, r.kernel.c_str(), r.us, r.tflops, r.gbs, r.splits);
    std::fflush(stdout);
  };

  // ---- generation. SMLA_PAGED=1: through a block table of 64-token pages in shuffled order (the
  // collectors' layout), else each sequence's rows contiguous.
  const bool paged = std::getenv("SMLA_PAGED") != nullptr;
  // SMLA_QUICK_L=32768: the quick shapes at the longer cache length instead of 8192.
  const int quick_len = std::getenv("SMLA_QUICK_L") != nullptr ? std::atoi(std::getenv("SMLA_QUICK_L")) : 8192;
  // SMLA_VALID_KEYS=N: only the first N slots of each generation list hold a key, the rest are -1
  // (the FLOP and byte columns still count every slot: compare the times).
  const int valid_keys = std::getenv("SMLA_VALID_KEYS") != nullptr ? std::atoi(std::getenv("SMLA_VALID_KEYS")) : 1 << 30;
  // SMLA_FP8_ONLY=1: only the FP8-cache generation shapes (no bf16 cache, no context), for FP8 experiments.
  const bool fp8_only = std::getenv("SMLA_FP8_ONLY") != nullptr;
  GpuBuffer table(size_t(128) * (32768 / 64) * 4);
  for (KvCacheFormat fmt : {KvCacheFormat::kBf16, KvCacheFormat::kFp8E4m3Scaled}) {
    if (fp8_only && fmt == KvCacheFormat::kBf16) continue;
    fill_random<<<4096, 256>>>(cache.as<uint8_t>(), max_cache, fmt, 7);
    AICONF_GPU_CHECK(cudaGetLastError());
    const int row_bytes = kv_cache_row_bytes(fmt);
    for (int L : {8192, 32768})
      for (int b : {1, 64, 128})
        for (int s_q : {1, 2})
          for (int h : {128, 32, 16}) {
            if (quick && !(L == quick_len && h != 32 && ((b == 64 && s_q == 1) || (b == 128 && s_q == 2))))
              continue;
            SparseMlaParams p;
            p.num_tokens = b * s_q;
            p.num_heads = h;
            p.topk = topk;
            p.tokens_per_seq = s_q;
            p.sm_scale = 0.1f;
            p.q = q.as<__nv_bfloat16>();
            p.kv_cache = cache.ptr;
            p.kv_format = fmt;
            p.kv_seq_stride = L;
            p.kv_seq_len = L;
            p.indices = idx.as<int32_t>();
            p.out = out.as<__nv_bfloat16>();
            p.lse = lse.as<float>();
            if (paged) {
              std::vector<int32_t> pages(size_t(b) * (L / 64));
              for (size_t i = 0; i < pages.size(); ++i) pages[i] = static_cast<int32_t>(i);
              std::shuffle(pages.begin(), pages.end(), std::mt19937(L + b));
              AICONF_GPU_CHECK(cudaMemcpy(table.ptr, pages.data(), pages.size() * 4, cudaMemcpyHostToDevice));
              p.block_table = table.as<int32_t>();
              p.block_table_stride = L / 64;
              p.page_size = 64;
            }
            fill_indices<<<1024, 256>>>(idx.as<int32_t>(), int64_t(p.num_tokens) * topk, topk, L, 11 + b + L, valid_keys);
            AICONF_GPU_CHECK(cudaGetLastError());
            for (SparseMlaKernel kernel : kernels_for(p)) {
              p.kernel = kernel;
              Row r{"gen", std::string(fmt == KvCacheFormat::kBf16 ? "bf16" : "fp8") + (paged ? " paged" : ""), b, s_q, h, L, 0, 0, 0, 0, 0, 0,
                    sparse_mla_num_splits(p), kernel_name(sparse_mla_kernel(p))};
              r.us = time_it(p);
              const double nt = p.num_tokens;
              add(r, nt * 2.0 * topk * h * (576 + 512),
                  nt * h * 576 * 2 + nt * topk * double(row_bytes) + nt * h * 512 * 2 + nt * topk * 4);
            }
          }
  }

  // ---- context: batch 1, query t attends to min(t + 1, topk) distinct keys of its causal prefix
  fill_random<<<4096, 256>>>(cache.as<uint8_t>(), size_t(8192) * 1152, KvCacheFormat::kBf16, 9);
  AICONF_GPU_CHECK(cudaGetLastError());
  for (int T : {1024, 4096, 8192}) {
    if (fp8_only || (quick && T != 4096)) continue;
    std::vector<int32_t> hidx(size_t(T) * topk, -1), hlen(T);
    std::mt19937 rng(T);
    double pairs = 0;
    for (int t = 0; t < T; ++t) {
      const int n = std::min(t + 1, topk);
      hlen[t] = n;
      pairs += n;
      int32_t* row = hidx.data() + size_t(t) * topk;
      if (n == t + 1) {
        for (int j = 0; j < n; ++j) row[j] = j;
      } else {  // Floyd's sampling of n distinct values in [0, t]
        std::unordered_set<int> seen;
        int k = 0;
        for (int j = t + 1 - n; j <= t; ++j) {
          const int v = std::uniform_int_distribution<int>(0, j)(rng);
          const int pick = seen.insert(v).second ? v : (seen.insert(j), j);
          row[k++] = pick;
        }
      }
    }
    AICONF_GPU_CHECK(cudaMemcpy(idx.ptr, hidx.data(), hidx.size() * 4, cudaMemcpyHostToDevice));
    AICONF_GPU_CHECK(cudaMemcpy(lens.ptr, hlen.data(), hlen.size() * 4, cudaMemcpyHostToDevice));
    for (int h : {128, 32, 16}) {
      if (quick && h == 32) continue;
      SparseMlaParams p;
      p.num_tokens = T;
      p.num_heads = h;
      p.topk = topk;
      p.tokens_per_seq = T;
      p.sm_scale = 0.1f;
      p.q = q.as<__nv_bfloat16>();
      p.kv_cache = cache.ptr;
      p.kv_seq_stride = 0;
      p.kv_seq_len = T;
      p.indices = idx.as<int32_t>();
      p.topk_lengths = lens.as<int32_t>();
      p.out = out.as<__nv_bfloat16>();
      p.lse = lse.as<float>();
      for (SparseMlaKernel kernel : kernels_for(p)) {
        p.kernel = kernel;
        Row r{"ctx", "bf16", 1, T, h, T, T, 0, 0, 0, 0, 0, sparse_mla_num_splits(p), kernel_name(sparse_mla_kernel(p))};
        r.us = time_it(p);
        // Bytes: the whole causal cache is the floor for context (rows are re-used across queries).
        add(r, pairs * 2.0 * h * (576 + 512), double(T) * h * 576 * 2 + double(T) * 1152 + double(T) * h * 512 * 2 + pairs * 4);
      }
    }
  }

  std::string md = "Device: " + std::string(prop.name) + "\n\n| phase | cache | b | s_q | h | L (cache) | kernel | splits | time (us) | TFLOP/s | % bf16 peak | GB/s | % copy BW |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  char line[512];
  for (const Row& r : rows) {
    std::snprintf(line, sizeof line, "| %s | %s | %d | %d | %d | %d | %s | %d | %.1f | %.1f | %.1f%% | %.0f | %.1f%% |\n",
                  r.kind.c_str(), r.fmt.c_str(), r.b, r.s_q, r.h, r.L, r.kernel.c_str(), r.splits, r.us, r.tflops, r.pct_flop, r.gbs,
                  r.pct_bw);
    md += line;
  }
  std::printf("\n%s", md.c_str());
  if (argc > 1) {
    FILE* f = std::fopen(argv[1], "w");
    if (f) {
      std::fputs(md.c_str(), f);
      std::fclose(f);
    }
  }
  return 0;
}
