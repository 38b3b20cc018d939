// Per-tensor e4m3 quantization of attention inputs (see fp8_quantize.h). Memory-bound: each thread
// moves 8 values per step (one 16-byte bf16 load, one 8-byte e4m3 store), grid-stride, one grid
// row per tensor so Q, K and V go in one launch as TensorRT-LLM's quantize copy does.
#include <aiconf/flash_attention/fp8_quantize.h>

#include <aiconf_plugins/block_absmax.cuh>

#include <cuda_fp8.h>
#include <nvtx3/nvToolsExt.h>

#include <algorithm>
#include <cstdio>
#include <string>

namespace aiconf::flash_attention {
namespace {

constexpr int kThreads = 256;
// 8192 blocks x 256 threads x 16 B in flight per tensor row is far above what HBM needs to be
// saturated; more blocks only add scheduling.
constexpr std::size_t kMaxBlocksPerTensor = 8192;

struct QuantizeArgs {
  Fp8QuantizeTensor t[kMaxFp8QuantizeTensors];
};

__global__ void __launch_bounds__(kThreads) quantize_kernel(const QuantizeArgs args) {
  const Fp8QuantizeTensor t = args.t[blockIdx.y];
  const std::size_t chunks = t.n / 8;
  if (chunks == 0) return;
  // Same fp32 operations as the CPU reference: one reciprocal, then a multiply per value.
  const float inv = 1.f / *t.scale;
  const uint4* src = reinterpret_cast<const uint4*>(t.src);
  uint2* dst = reinterpret_cast<uint2*>(t.dst);
  const std::size_t row_chunks = t.row_len / 8, stride_chunks = t.src_row_stride / 8;
  for (std::size_t i = blockIdx.x * std::size_t(kThreads) + threadIdx.x; i < chunks; i += std::size_t(gridDim.x) * kThreads) {
    const uint4 raw = src[row_chunks == 0 ? i : (i / row_chunks) * stride_chunks + i % row_chunks];
    const __nv_bfloat162* b = reinterpret_cast<const __nv_bfloat162*>(&raw);
    __nv_fp8x2_storage_t q[4];
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const float2 f = __bfloat1622float2(b[j]);
      q[j] = __nv_cvt_float2_to_fp8x2(make_float2(f.x * inv, f.y * inv), __NV_SATFINITE, __NV_E4M3);
    }
    uint2 out;
    out.x = unsigned(q[0]) | (unsigned(q[1]) << 16);
    out.y = unsigned(q[2]) | (unsigned(q[3]) << 16);
    dst[i] = out;
  }
}

__global__ void __launch_bounds__(kThreads)
    absmax_kernel(const __nv_bfloat16* x, std::size_t chunks, std::size_t row_chunks, std::size_t stride_chunks, float* amax) {
  float m = 0.f;
  const uint4* src = reinterpret_cast<const uint4*>(x);
  for (std::size_t i = blockIdx.x * std::size_t(kThreads) + threadIdx.x; i < chunks; i += std::size_t(gridDim.x) * kThreads) {
    const uint4 raw = src[row_chunks == 0 ? i : (i / row_chunks) * stride_chunks + i % row_chunks];
    const __nv_bfloat162* b = reinterpret_cast<const __nv_bfloat162*>(&raw);
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const float2 f = __bfloat1622float2(b[j]);
      m = fmaxf(m, fmaxf(fabsf(f.x), fabsf(f.y)));
    }
  }
  aiconf::plugins::block_absmax_into<kThreads>(m, amax);
}

__global__ void scale_kernel(float* amax_in_scale_out) {
  *amax_in_scale_out = fmaxf(*amax_in_scale_out, 1e-12f) / kFp8E4m3Max;
}

unsigned blocks_for(std::size_t chunks) {
  return static_cast<unsigned>(std::clamp<std::size_t>((chunks + kThreads - 1) / kThreads, 1, kMaxBlocksPerTensor));
}

bool aligned(const void* p, std::size_t a) { return reinterpret_cast<std::uintptr_t>(p) % a == 0; }

}  // namespace

namespace {

// Why tensor `t` cannot be quantized, or nullptr.
const char* tensor_problem(const Fp8QuantizeTensor& t) {
  if (t.n % 8 != 0) return "n must be a multiple of 8 (8 values per 16-byte load)";
  if (t.row_len == 0 && t.src_row_stride != 0) return "src_row_stride needs row_len (0 = contiguous source)";
  if (t.row_len != 0 && (t.row_len % 8 != 0 || t.src_row_stride % 8 != 0 || t.src_row_stride < t.row_len || t.n % t.row_len != 0))
    return "a strided source needs row_len and src_row_stride multiples of 8, src_row_stride >= row_len and n a multiple of row_len";
  if (t.n == 0) return nullptr;
  if (t.src == nullptr || t.dst == nullptr || t.scale == nullptr) return "src, dst and scale must be non-null";
  if (!aligned(t.src, 16)) return "src must be 16-byte aligned";
  if (!aligned(t.dst, 8)) return "dst must be 8-byte aligned";
  return nullptr;
}

}  // namespace

const char* fp8_quantize_check(const Fp8QuantizeTensor* tensors, int count) {
  if (tensors == nullptr || count < 1 || count > kMaxFp8QuantizeTensors) return "count must be 1..4 with a non-null tensor array";
  thread_local std::string message;  // names the tensor; valid until this thread's next call
  for (int i = 0; i < count; ++i)
    if (const char* why = tensor_problem(tensors[i])) {
      message = "tensor " + std::to_string(i) + ": " + why;
      return message.c_str();
    }
  return nullptr;
}

cudaError_t launch_fp8_quantize(const Fp8QuantizeTensor* tensors, int count, cudaStream_t stream) {
  if (const char* why = fp8_quantize_check(tensors, count)) {
    std::fprintf(stderr, "launch_fp8_quantize: %s\n", why);
    return cudaErrorInvalidValue;
  }
  QuantizeArgs args{};
  std::size_t most = 0;
  for (int i = 0; i < count; ++i) args.t[i] = tensors[i], most = std::max(most, tensors[i].n / 8);
  if (most == 0) return cudaSuccess;
  nvtxRangePushA("fa_fp8_e4m3_quantize");
  quantize_kernel<<<dim3(blocks_for(most), static_cast<unsigned>(count)), kThreads, 0, stream>>>(args);
  nvtxRangePop();
  return cudaGetLastError();
}

cudaError_t fp8_scale_from_absmax(const __nv_bfloat16* src, std::size_t n, float* scale, cudaStream_t stream, std::size_t row_len,
                                  std::size_t src_row_stride) {
  const bool strided_ok = row_len == 0 ? src_row_stride == 0
                                       : row_len % 8 == 0 && src_row_stride % 8 == 0 && src_row_stride >= row_len && n % row_len == 0;
  if (n % 8 != 0 || !strided_ok || (n > 0 && (src == nullptr || !aligned(src, 16))) || scale == nullptr) {
    std::fprintf(stderr, "fp8_scale_from_absmax: n must be a multiple of 8, src 16-byte aligned, scale non-null, a strided "
                         "source whole rows of row_len (multiple of 8) every src_row_stride (multiple of 8, >= row_len)\n");
    return cudaErrorInvalidValue;
  }
  cudaError_t e = cudaMemsetAsync(scale, 0, sizeof(float), stream);
  if (e != cudaSuccess) return e;
  if (n > 0) {
    nvtxRangePushA("fa_fp8_absmax");
    absmax_kernel<<<blocks_for(n / 8), kThreads, 0, stream>>>(src, n / 8, row_len / 8, src_row_stride / 8, scale);
    nvtxRangePop();
    if ((e = cudaGetLastError()) != cudaSuccess) return e;
  }
  nvtxRangePushA("fa_fp8_scale");
  scale_kernel<<<1, 1, 0, stream>>>(scale);
  nvtxRangePop();
  return cudaGetLastError();
}

}  // namespace aiconf::flash_attention
