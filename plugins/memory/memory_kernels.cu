// Memory-bound kernels: 16-byte vectors (8 bf16) per access, several loads in flight per thread,
// arithmetic in fp32.
#include "memory_kernels.h"

#include <aiconf/status.h>
#include <aiconf_plugins/cuda_check.h>

#include <cuda_bf16.h>
#include <cuda_fp8.h>

#include <algorithm>
#include <string>

namespace aiconf::memory {

namespace {

constexpr int kThreads = 256;

__device__ __forceinline__ void unpack_bf16x8(const uint4& v, float* f) {
  const __nv_bfloat162* h = reinterpret_cast<const __nv_bfloat162*>(&v);
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 p = __bfloat1622float2(h[i]);
    f[2 * i] = p.x, f[2 * i + 1] = p.y;
  }
}

__device__ __forceinline__ uint4 pack_bf16x8(const float* f) {
  uint4 v;
  __nv_bfloat162* h = reinterpret_cast<__nv_bfloat162*>(&v);
#pragma unroll
  for (int i = 0; i < 4; ++i) h[i] = __floats2bfloat162_rn(f[2 * i], f[2 * i + 1]);
  return v;
}

// 8 floats -> 8 saturated e4m3 bytes (element 0 in the lowest byte).
__device__ __forceinline__ uint2 pack_e4m3x8(const float* f) {
  unsigned short p[4];
#pragma unroll
  for (int i = 0; i < 4; ++i) p[i] = __nv_cvt_float2_to_fp8x2(make_float2(f[2 * i], f[2 * i + 1]), __NV_SATFINITE, __NV_E4M3);
  return make_uint2(p[0] | (unsigned(p[1]) << 16), p[2] | (unsigned(p[3]) << 16));
}

unsigned grid_for(std::int64_t work_items) {
  return static_cast<unsigned>(std::clamp<std::int64_t>((work_items + kThreads - 1) / kThreads, 1, 1 << 20));
}

void check_launch(const char* kernel) {
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) throw Error(std::string(kernel) + " launch failed: " + cudaGetErrorString(e));
}

// Streaming kernels: each thread loads kUnroll independent 16-byte vectors (grid-stride apart)
// before using any, so enough bytes are in flight to cover the memory latency. An Op gives
// load(i) -> Loaded (its reads for vector i) and store(i, Loaded) (its math and write).
constexpr int kUnroll = 4;

template <class Op>
__global__ void __launch_bounds__(kThreads) stream_kernel(Op op, std::int64_t vecs) {
  const std::int64_t stride = std::int64_t(gridDim.x) * blockDim.x;
  for (std::int64_t base = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x; base < vecs; base += stride * kUnroll) {
    typename Op::Loaded v[kUnroll];
#pragma unroll
    for (int k = 0; k < kUnroll; ++k)
      if (base + k * stride < vecs) v[k] = op.load(base + k * stride);
#pragma unroll
    for (int k = 0; k < kUnroll; ++k)
      if (base + k * stride < vecs) op.store(base + k * stride, v[k]);
  }
}

template <class Op>
void launch_stream(const Op& op, std::int64_t vecs, cudaStream_t stream, const char* name) {
  const unsigned grid = static_cast<unsigned>(std::clamp<std::int64_t>((vecs + kThreads * kUnroll - 1) / (kThreads * kUnroll), 1, 1 << 20));
  stream_kernel<<<grid, kThreads, 0, stream>>>(op, vecs);
  check_launch(name);
}

struct EmbeddingOp {
  using Loaded = uint4;
  const uint4* table;
  const std::int32_t* ids;
  uint4* out;
  std::int64_t row_vecs;
  __device__ uint4 load(std::int64_t i) const {
    const std::int64_t t = i / row_vecs;
    return table[std::int64_t(ids[t]) * row_vecs + (i - t * row_vecs)];
  }
  __device__ void store(std::int64_t i, const uint4& v) const { out[i] = v; }
};

// One block per row; each thread keeps up to kCached vectors of the row in registers between the
// sum of squares and the scaling, so the row is read from memory once.
constexpr int kCached = 4;
__global__ void rms_norm_kernel(const uint4* __restrict__ x, const uint4* __restrict__ w, uint4* __restrict__ out,
                                std::int64_t row_vecs, float inv_hidden, float eps) {
  const std::int64_t row = blockIdx.x;
  const uint4* xr = x + row * row_vecs;
  uint4 cache[kCached];
  float ss = 0;
#pragma unroll
  for (int k = 0; k < kCached; ++k) {
    const std::int64_t c = threadIdx.x + std::int64_t(k) * blockDim.x;
    if (c < row_vecs) {
      cache[k] = xr[c];
      float f[8];
      unpack_bf16x8(cache[k], f);
#pragma unroll
      for (int j = 0; j < 8; ++j) ss += f[j] * f[j];
    }
  }
  __shared__ float partial[32];
  for (int o = 16; o > 0; o >>= 1) ss += __shfl_xor_sync(0xffffffffu, ss, o);
  if ((threadIdx.x & 31) == 0) partial[threadIdx.x >> 5] = ss;
  __syncthreads();
  if (threadIdx.x < 32) {
    float v = threadIdx.x < (blockDim.x + 31) / 32 ? partial[threadIdx.x] : 0.f;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    if (threadIdx.x == 0) partial[0] = v;
  }
  __syncthreads();
  const float inv = rsqrtf(partial[0] * inv_hidden + eps);
#pragma unroll
  for (int k = 0; k < kCached; ++k) {
    const std::int64_t c = threadIdx.x + std::int64_t(k) * blockDim.x;
    if (c < row_vecs) {
      float f[8], g[8];
      unpack_bf16x8(cache[k], f);
      unpack_bf16x8(w[c], g);
#pragma unroll
      for (int j = 0; j < 8; ++j) f[j] = f[j] * inv * g[j];
      out[row * row_vecs + c] = pack_bf16x8(f);
    }
  }
}

struct SiluMulOp {
  struct Loaded {
    uint4 gate, up;
  };
  const uint4* in;  // [T, 2 * row_vecs]
  uint4* out;
  std::int64_t row_vecs;
  __device__ Loaded load(std::int64_t i) const {
    const std::int64_t t = i / row_vecs, c = i - t * row_vecs;
    return {in[t * 2 * row_vecs + c], in[t * 2 * row_vecs + row_vecs + c]};
  }
  __device__ void store(std::int64_t i, const Loaded& v) const {
    float g[8], u[8];
    unpack_bf16x8(v.gate, g);
    unpack_bf16x8(v.up, u);
#pragma unroll
    for (int j = 0; j < 8; ++j) g[j] = g[j] / (1.f + __expf(-g[j])) * u[j];
    out[i] = pack_bf16x8(g);
  }
};

// 16 threads (one half-warp) per 128-element group: 8 elements each, amax by shuffles. Each
// thread takes kUnroll groups (grid-stride apart) and loads all of them before reducing any, so
// several 16-byte loads are in flight. Every thread of a warp makes the same number of trips
// (`span`), and threads past the end join the shuffles (full-warp masks) with zeros.
__global__ void __launch_bounds__(kThreads) quantize_kernel(const uint4* __restrict__ in, uint2* __restrict__ q,
                                                            float* __restrict__ scales, std::int64_t groups_total,
                                                            std::int64_t groups_per_row, std::int64_t row_vecs) {
  const std::int64_t stride = std::int64_t(gridDim.x) * blockDim.x;
  const std::int64_t round = stride * kUnroll;
  const std::int64_t span = (groups_total * 16 + round - 1) / round * round;
  const int lane = static_cast<int>(threadIdx.x & 15);  // stride is a multiple of 16: the lane never changes
  for (std::int64_t base = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x; base < span; base += round) {
    float f[kUnroll][8];
    std::int64_t dst[kUnroll];
#pragma unroll
    for (int k = 0; k < kUnroll; ++k) {
      const std::int64_t group = (base + k * stride) >> 4;
      const std::int64_t t = group / groups_per_row, c = (group - t * groups_per_row) * 16 + lane;
      dst[k] = group < groups_total && c < row_vecs ? t * row_vecs + c : -1;
      if (dst[k] >= 0) {
        unpack_bf16x8(in[dst[k]], f[k]);
      } else {
#pragma unroll
        for (int j = 0; j < 8; ++j) f[k][j] = 0.f;
      }
    }
#pragma unroll
    for (int k = 0; k < kUnroll; ++k) {
      float amax = 0;
#pragma unroll
      for (int j = 0; j < 8; ++j) amax = fmaxf(amax, fabsf(f[k][j]));
      for (int o = 8; o > 0; o >>= 1) amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, o, 16));
      const float scale = amax > 0 ? amax / 448.f : 1.f;
      const float inv = 1.f / scale;
      if (dst[k] >= 0) {
#pragma unroll
        for (int j = 0; j < 8; ++j) f[k][j] *= inv;
        q[dst[k]] = pack_e4m3x8(f[k]);
      }
      const std::int64_t group = (base + k * stride) >> 4;
      if (group < groups_total && lane == 0) scales[group] = scale;
    }
  }
}

struct KvWriteOp {
  using Loaded = uint4;
  const uint4* in;
  const std::int64_t* slots;
  void* cache;
  bool fp8;
  float inv_scale;
  std::int64_t row_vecs;
  __device__ uint4 load(std::int64_t i) const { return in[i]; }
  __device__ void store(std::int64_t i, const uint4& v) const {
    const std::int64_t t = i / row_vecs;
    const std::int64_t dst = slots[t] * row_vecs + (i - t * row_vecs);
    if (fp8) {
      float f[8];
      unpack_bf16x8(v, f);
#pragma unroll
      for (int j = 0; j < 8; ++j) f[j] *= inv_scale;
      static_cast<uint2*>(cache)[dst] = pack_e4m3x8(f);
    } else {
      static_cast<uint4*>(cache)[dst] = v;
    }
  }
};

struct AddOp {
  struct Loaded {
    uint4 a, b;
  };
  const uint4* a;
  const uint4* b;
  uint4* out;
  __device__ Loaded load(std::int64_t i) const { return {a[i], b[i]}; }
  __device__ void store(std::int64_t i, const Loaded& v) const {
    float x[8], y[8];
    unpack_bf16x8(v.a, x);
    unpack_bf16x8(v.b, y);
#pragma unroll
    for (int j = 0; j < 8; ++j) x[j] += y[j];
    out[i] = pack_bf16x8(x);
  }
};

template <class Word>
__global__ void count_poison_kernel(const Word* __restrict__ data, std::int64_t n, unsigned long long* count) {
  unsigned long long mine = 0;
  for (std::int64_t i = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x; i < n; i += std::int64_t(gridDim.x) * blockDim.x)
    mine += data[i] == static_cast<Word>(~Word(0));
  if (mine) atomicAdd(count, mine);
}

}  // namespace

void launch_count_poison(const void* data, std::int64_t elements, int width, unsigned long long* count, cudaStream_t stream) {
  const unsigned grid = std::min(grid_for(elements), 4096u);
  switch (width) {
    case 1: count_poison_kernel<<<grid, kThreads, 0, stream>>>(static_cast<const std::uint8_t*>(data), elements, count); break;
    case 2: count_poison_kernel<<<grid, kThreads, 0, stream>>>(static_cast<const std::uint16_t*>(data), elements, count); break;
    case 4: count_poison_kernel<<<grid, kThreads, 0, stream>>>(static_cast<const std::uint32_t*>(data), elements, count); break;
    default: throw Error("count_poison: width must be 1, 2 or 4 bytes, got " + std::to_string(width));
  }
  check_launch("count_poison_kernel");
}

void launch_embedding(const std::uint16_t* table, const std::int32_t* ids, std::uint16_t* out, std::int64_t tokens,
                      std::int64_t hidden, cudaStream_t stream) {
  const std::int64_t rv = hidden / 8;
  launch_stream(EmbeddingOp{reinterpret_cast<const uint4*>(table), ids, reinterpret_cast<uint4*>(out), rv}, tokens * rv, stream,
                "embedding");
}

void launch_rms_norm(const std::uint16_t* x, const std::uint16_t* w, std::uint16_t* out, std::int64_t tokens,
                     std::int64_t hidden, float eps, cudaStream_t stream) {
  const std::int64_t rv = hidden / 8;
  const int threads = static_cast<int>(std::clamp<std::int64_t>((rv + kCached - 1) / kCached, 32, 1024) + 31) / 32 * 32;
  if (rv > std::int64_t(threads) * kCached)
    throw Error("rms_norm: hidden_size " + std::to_string(hidden) + " is above the kernel's " + std::to_string(1024 * kCached * 8));
  rms_norm_kernel<<<static_cast<unsigned>(tokens), threads, 0, stream>>>(reinterpret_cast<const uint4*>(x),
                                                                          reinterpret_cast<const uint4*>(w),
                                                                          reinterpret_cast<uint4*>(out), rv, 1.f / hidden, eps);
  check_launch("rms_norm_kernel");
}

void launch_silu_mul(const std::uint16_t* in, std::uint16_t* out, std::int64_t tokens, std::int64_t hidden, cudaStream_t stream) {
  const std::int64_t rv = hidden / 8;
  launch_stream(SiluMulOp{reinterpret_cast<const uint4*>(in), reinterpret_cast<uint4*>(out), rv}, tokens * rv, stream, "silu_mul");
}

void launch_quantize_fp8(const std::uint16_t* in, std::uint8_t* q, float* scales, std::int64_t tokens, std::int64_t hidden,
                         cudaStream_t stream) {
  const std::int64_t rv = hidden / 8, per_row = (hidden + 127) / 128, groups = tokens * per_row;
  const unsigned grid = static_cast<unsigned>(std::clamp<std::int64_t>((groups * 16 + kThreads * kUnroll - 1) / (kThreads * kUnroll), 1, 1 << 20));
  quantize_kernel<<<grid, kThreads, 0, stream>>>(reinterpret_cast<const uint4*>(in),
                                                                  reinterpret_cast<uint2*>(q), scales, groups, per_row, rv);
  check_launch("quantize_kernel");
}

void launch_kv_cache_write(const std::uint16_t* in, const std::int64_t* slots, void* cache, bool fp8, float scale,
                           std::int64_t tokens, std::int64_t hidden, cudaStream_t stream) {
  const std::int64_t rv = hidden / 8;
  launch_stream(KvWriteOp{reinterpret_cast<const uint4*>(in), slots, cache, fp8, 1.f / scale, rv}, tokens * rv, stream,
                "kv_cache_write");
}

void launch_add(const std::uint16_t* a, const std::uint16_t* b, std::uint16_t* out, std::int64_t elements, cudaStream_t stream) {
  launch_stream(AddOp{reinterpret_cast<const uint4*>(a), reinterpret_cast<const uint4*>(b), reinterpret_cast<uint4*>(out)},
                elements / 8, stream, "add");
}

}  // namespace aiconf::memory
