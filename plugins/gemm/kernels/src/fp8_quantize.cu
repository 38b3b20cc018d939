// bf16 -> e4m3 with 1x128 per-token-group scales. One warp per (token, group): 32 lanes x 4
// elements cover the 128 columns, a butterfly max gives the group's amax, each lane writes 4 bytes.
#include <aiconf/gemm/fp8_quantize.h>

#include <cuda_bf16.h>
#include <cuda_fp8.h>

namespace aiconf::gemm {
namespace {

// Floor on a group's amax: an all-zero group still gets a finite, non-subnormal scale
// (the DeepSeek-V3 reference clamps the same way).
constexpr float kAmaxFloor = 1e-4f;

__global__ void quantize_group_kernel(const __nv_bfloat16* __restrict__ x, std::uint8_t* __restrict__ q,
                                      float* __restrict__ scales, std::int64_t m, std::int64_t k,
                                      std::int64_t ld, std::int64_t groups) {
  const std::int64_t warp = (blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x) / 32;
  const int lane = threadIdx.x % 32;
  if (warp >= ld * groups) return;
  const std::int64_t row = warp % ld;  // consecutive warps -> consecutive scale slots (coalesced stores)
  const std::int64_t g = warp / ld;
  if (row >= m) {  // padding rows of the scale tensor: never read by a correct GEMM, keep them finite
    if (lane == 0) scales[g * ld + row] = 1.0f;
    return;
  }
  const std::int64_t col = g * kFp8BlockSize + lane * 4;
  const bool in = col < k;  // k % 4 == 0, so a lane's 4 elements are all in or all out
  float v[4] = {0.f, 0.f, 0.f, 0.f};
  if (in) {
    // 8-byte load of 4 bf16: rows are 16-byte aligned (k % 8 == 0) and col % 4 == 0.
    const uint2 raw = *reinterpret_cast<const uint2*>(x + row * k + col);
    const __nv_bfloat162 lo = *reinterpret_cast<const __nv_bfloat162*>(&raw.x);
    const __nv_bfloat162 hi = *reinterpret_cast<const __nv_bfloat162*>(&raw.y);
    v[0] = __low2float(lo);
    v[1] = __high2float(lo);
    v[2] = __low2float(hi);
    v[3] = __high2float(hi);
  }
  float amax = fmaxf(fmaxf(fabsf(v[0]), fabsf(v[1])), fmaxf(fabsf(v[2]), fabsf(v[3])));
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, off));
  amax = fmaxf(amax, kAmaxFloor);
  const float scale = amax / kE4m3Max;
  if (lane == 0) scales[g * ld + row] = scale;
  if (in) {
    std::uint32_t packed = 0;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      // Divide (not multiply by a reciprocal) so the host reference rounds identically.
      const std::uint32_t byte = __nv_cvt_float_to_fp8(v[j] / scale, __NV_SATFINITE, __NV_E4M3);
      packed |= byte << (8 * j);
    }
    *reinterpret_cast<std::uint32_t*>(q + row * k + col) = packed;
  }
}

}  // namespace

cudaError_t quantize_fp8_per_token_group(const void* x, std::uint8_t* q, float* scales, std::int64_t m,
                                         std::int64_t k, cudaStream_t stream) noexcept {
  if (m <= 0 || k <= 0 || k % 8 != 0 || !x || !q || !scales) return cudaErrorInvalidValue;
  if ((reinterpret_cast<std::uintptr_t>(x) | reinterpret_cast<std::uintptr_t>(q)) % 16 != 0) return cudaErrorMisalignedAddress;
  const std::int64_t ld = act_scale_ld(m);
  const std::int64_t groups = (k + kFp8BlockSize - 1) / kFp8BlockSize;
  const std::int64_t threads = ld * groups * 32;
  const std::int64_t blocks = (threads + 255) / 256;
  if (blocks > 0x7fffffff) return cudaErrorInvalidConfiguration;
  quantize_group_kernel<<<static_cast<unsigned>(blocks), 256, 0, stream>>>(
      static_cast<const __nv_bfloat16*>(x), q, scales, m, k, ld, groups);
  return cudaGetLastError();
}

}  // namespace aiconf::gemm
