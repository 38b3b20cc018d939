// Benchmark of the flash-attention kernel: per shape, time (CUDA events over many launches after a
// warm-up), TFLOP/s, GB/s and the ratio to the card's measured ceilings (perfdb/systems: H200
// 784.5 TFLOP/s bf16 and 4.21 TB/s; H100 779 and 2.97). Inputs are random bf16 and rotate over
// enough copies (>= 512 MB) that L2 never holds them. FLOPs: 2 * heads * (dqk + dv) per visible
// (query, key) pair, causal pairs counted exactly (about half of full). Bytes: q + K/V of every
// visible key once per kv head + out.
#include <aiconf/flash_attention/flash_attention.h>
#include <aiconf_plugins/bench_util.h>

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace fa = aiconf::flash_attention;
namespace bench = aiconf::plugins::bench;

namespace {

__global__ void fill_random_bf16(__nv_bfloat16* dst, size_t n, uint32_t seed) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    uint32_t x = uint32_t(i) * 2654435761u ^ seed ^ uint32_t(i >> 32) * 40503u;
    x ^= x >> 15, x *= 2246822519u, x ^= x >> 13;
    dst[i] = __float2bfloat16(float(x & 0xFFFF) / 32768.f - 1.f);
  }
}

struct Shape {
  const char* kind;
  int batch, sq, prefix, heads, kv_heads, dqk, dv;
  int splits = 0;
  fa::KernelVariant variant = fa::KernelVariant::kAuto;
};

void run(const Shape& s, const bench::MeasuredCeilings& ceil) {
  const int sk = s.prefix + s.sq;
  const size_t q_n = size_t(s.batch) * s.sq * s.heads * s.dqk, o_n = size_t(s.batch) * s.sq * s.heads * s.dv;
  const size_t k_n = size_t(s.batch) * s.kv_heads * sk * s.dqk, v_n = size_t(s.batch) * s.kv_heads * sk * s.dv;
  const size_t set_bytes = (q_n + k_n + v_n) * 2;
  const int sets = int(std::clamp<size_t>((size_t(512) << 20) / set_bytes + 1, 1, 64));
  std::vector<void*> bufs;
  std::vector<fa::FlashAttentionParams> ps;
  void* out = nullptr;
  AICONF_GPU_CHECK(cudaMalloc(&out, o_n * 2));
  for (int i = 0; i < sets; ++i) {
    void *q, *k, *v;
    AICONF_GPU_CHECK(cudaMalloc(&q, q_n * 2));
    AICONF_GPU_CHECK(cudaMalloc(&k, k_n * 2));
    AICONF_GPU_CHECK(cudaMalloc(&v, v_n * 2));
    fill_random_bf16<<<1024, 256>>>(static_cast<__nv_bfloat16*>(q), q_n, 3 * i + 1);
    fill_random_bf16<<<1024, 256>>>(static_cast<__nv_bfloat16*>(k), k_n, 3 * i + 2);
    fill_random_bf16<<<1024, 256>>>(static_cast<__nv_bfloat16*>(v), v_n, 3 * i + 3);
    AICONF_GPU_CHECK(cudaGetLastError());
    bufs.insert(bufs.end(), {q, k, v});
    fa::FlashAttentionParams p;
    p.batch = s.batch, p.seqlen_q = s.sq, p.seqlen_k = sk, p.num_heads = s.heads, p.num_kv_heads = s.kv_heads;
    p.head_dim_qk = s.dqk, p.head_dim_v = s.dv, p.causal = true, p.sm_scale = 1.f / std::sqrt(float(s.dqk));
    p.q = static_cast<const __nv_bfloat16*>(q);
    p.k = static_cast<const __nv_bfloat16*>(k);
    p.v = static_cast<const __nv_bfloat16*>(v);
    p.k_row_stride = s.dqk, p.k_head_stride = int64_t(sk) * s.dqk, p.k_batch_stride = p.k_head_stride * s.kv_heads;
    p.v_row_stride = s.dv, p.v_head_stride = int64_t(sk) * s.dv, p.v_batch_stride = p.v_head_stride * s.kv_heads;
    p.out = static_cast<__nv_bfloat16*>(out);
    p.num_splits = s.splits;
    p.kernel_variant = s.variant;
    ps.push_back(p);
  }
  void* ws = nullptr;
  const size_t ws_bytes = fa::flash_attention_workspace_bytes(ps[0]);
  if (ws_bytes) AICONF_GPU_CHECK(cudaMalloc(&ws, ws_bytes));
  for (int i = 0; i < 3; ++i) AICONF_GPU_CHECK(fa::launch_flash_attention(ps[i % sets], ws, 0));
  AICONF_GPU_CHECK(cudaDeviceSynchronize());
  // About 50 ms of launches, at least 10 and at least one round over the sets.
  cudaEvent_t a, b;
  AICONF_GPU_CHECK(cudaEventCreate(&a));
  AICONF_GPU_CHECK(cudaEventCreate(&b));
  AICONF_GPU_CHECK(cudaEventRecord(a));
  AICONF_GPU_CHECK(fa::launch_flash_attention(ps[0], ws, 0));
  AICONF_GPU_CHECK(cudaEventRecord(b));
  AICONF_GPU_CHECK(cudaEventSynchronize(b));
  float one_ms = 0;
  AICONF_GPU_CHECK(cudaEventElapsedTime(&one_ms, a, b));
  const int iters = std::max({10, sets, int(50.0 / std::max(one_ms, 1e-3f))});
  AICONF_GPU_CHECK(cudaEventRecord(a));
  for (int i = 0; i < iters; ++i) AICONF_GPU_CHECK(fa::launch_flash_attention(ps[i % sets], ws, 0));
  AICONF_GPU_CHECK(cudaEventRecord(b));
  AICONF_GPU_CHECK(cudaEventSynchronize(b));
  float ms = 0;
  AICONF_GPU_CHECK(cudaEventElapsedTime(&ms, a, b));
  const double us = 1e3 * ms / iters;
  const double pairs = double(s.batch) * (double(s.sq) * (s.sq + 1) / 2 + double(s.sq) * s.prefix);
  const double flops = 2.0 * s.heads * (s.dqk + s.dv) * pairs;
  const double bytes = 2.0 * (q_n + o_n + k_n + v_n);
  const double tflops = flops / us * 1e-6, gbs = bytes / us * 1e-3;
  std::printf("%-4s b%-4d sq%-6d prefix%-6d h%-3d kv%-3d d%d/%d %-26s splits %2d  %10.1f us  %6.1f TFLOP/s (%5.1f%%)  %7.0f GB/s (%5.1f%%)\n",
              s.kind, s.batch, s.sq, s.prefix, s.heads, s.kv_heads, s.dqk, s.dv, fa::flash_attention_variant(ps[0]),
              fa::flash_attention_num_splits(ps[0]), us, tflops, 100 * tflops / ceil.bf16_tflops, gbs,
              100 * gbs / (ceil.hbm_tbps * 1e3));
  std::fflush(stdout);
  for (void* p : bufs) AICONF_GPU_CHECK(cudaFree(p));
  AICONF_GPU_CHECK(cudaFree(out));
  if (ws) AICONF_GPU_CHECK(cudaFree(ws));
  AICONF_GPU_CHECK(cudaEventDestroy(a));
  AICONF_GPU_CHECK(cudaEventDestroy(b));
}

}  // namespace

int main() {
  aiconf::plugins::exit_if_no_gpu();
  cudaDeviceProp prop{};
  AICONF_GPU_CHECK(cudaGetDeviceProperties(&prop, 0));
  // Measured ceilings of perfdb/systems/{h200,h100}_sxm.json.
  const bench::MeasuredCeilings ceil = bench::measured_ceilings(prop.name);
  std::printf("device: %s, %d SMs; ceilings %.1f TFLOP/s bf16, %.2f TB/s (%s.json)\n", prop.name, prop.multiProcessorCount,
              ceil.bf16_tflops, ceil.hbm_tbps, ceil.system);
  const std::vector<Shape> shapes = {
      // context, causal, no prefix: 16k tokens per launch
      {"ctx", 16, 1024, 0, 32, 8, 128, 128},
      {"ctx", 4, 4096, 0, 32, 8, 128, 128},
      {"ctx", 2, 8192, 0, 32, 8, 128, 128},
      {"ctx", 1, 16384, 0, 32, 8, 128, 128},
      {"ctx", 1, 16384, 0, 64, 8, 128, 128},
      {"ctx", 2, 8192, 0, 32, 32, 128, 128},
      {"ctx", 2, 8192, 0, 32, 8, 64, 64},
      {"ctx", 2, 8192, 0, 16, 16, 192, 128},
      {"ctx", 1, 16384, 0, 128, 128, 192, 128},
      {"ctx", 4, 4096, 4096, 32, 8, 128, 128},
      {"ctx", 1, 512, 0, 8, 1, 128, 128},
      // decode: 1 new token against prefix + 1 keys
      {"gen", 1, 1, 8191, 64, 8, 128, 128},
      {"gen", 1, 1, 131071, 64, 8, 128, 128},
      {"gen", 1, 1, 131071, 8, 1, 128, 128},
      {"gen", 16, 1, 8191, 64, 8, 128, 128},
      {"gen", 64, 1, 4095, 64, 8, 128, 128},
      {"gen", 64, 1, 16383, 64, 8, 128, 128},
      {"gen", 256, 1, 4095, 64, 8, 128, 128},
      {"gen", 256, 1, 8191, 8, 1, 128, 128},
      {"gen", 128, 1, 8191, 32, 32, 128, 128},
      {"gen", 128, 1, 8191, 32, 8, 64, 64},
      {"gen", 64, 2, 8190, 64, 8, 128, 128},
      // variant comparisons (same shapes as above, kernel forced)
      {"ctx", 2, 8192, 0, 32, 8, 128, 128, 0, fa::KernelVariant::kBasic128x128},
      {"ctx", 2, 8192, 0, 32, 8, 128, 128, 0, fa::KernelVariant::kOverlapFp32P128x128},
      {"ctx", 2, 8192, 0, 32, 8, 128, 128, 0, fa::KernelVariant::kSmall64x64},
      {"ctx", 1, 16384, 0, 32, 8, 128, 128, 0, fa::KernelVariant::kBasic128x128},
      {"ctx", 1, 16384, 0, 32, 8, 128, 128, 0, fa::KernelVariant::kOverlapFp32P128x128},
      {"ctx", 2, 8192, 0, 32, 8, 64, 64, 0, fa::KernelVariant::kBasic128x128},
      {"ctx", 2, 8192, 0, 32, 8, 64, 64, 0, fa::KernelVariant::kOverlapFp32P128x128},
      {"ctx", 2, 8192, 0, 16, 16, 192, 128, 0, fa::KernelVariant::kSmall64x64},
      {"gen", 1, 1, 131071, 8, 1, 128, 128, 64},
      {"gen", 1, 1, 131071, 8, 1, 128, 128, 256},
      {"gen", 1, 1, 8191, 64, 8, 128, 128, 16},
  };
  for (const auto& s : shapes) run(s, ceil);
  return 0;
}
