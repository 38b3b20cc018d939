#include "custom_allreduce.h"

#include <aiconf/status.h>
#include <aiconf_plugins/cuda_check.h>

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <nvtx3/nvToolsExt.h>

#include <algorithm>
#include <cstdint>

namespace aiconf::nccl_collect {

namespace {

constexpr int kMaxRanks = 8;
constexpr int kMaxBlocks = 132;  // one per SM of an H100 SXM: all resident, so no block waits on an unscheduled peer
constexpr int kThreads = 512;

// 16-byte vector <-> fp32 lanes for each element type.
template <class T>
struct Vec;
template <>
struct Vec<float> {
  static constexpr int kLanes = 4;
  __device__ static void add(const uint4& v, float* acc) {
    const float* f = reinterpret_cast<const float*>(&v);
    for (int i = 0; i < 4; ++i) acc[i] += f[i];
  }
  __device__ static uint4 pack(const float* acc) {
    uint4 v;
    float* f = reinterpret_cast<float*>(&v);
    for (int i = 0; i < 4; ++i) f[i] = acc[i];
    return v;
  }
};
template <>
struct Vec<__half> {
  static constexpr int kLanes = 8;
  __device__ static void add(const uint4& v, float* acc) {
    const __half2* h = reinterpret_cast<const __half2*>(&v);
    for (int i = 0; i < 4; ++i) {
      const float2 f = __half22float2(h[i]);
      acc[2 * i] += f.x, acc[2 * i + 1] += f.y;
    }
  }
  __device__ static uint4 pack(const float* acc) {
    uint4 v;
    __half2* h = reinterpret_cast<__half2*>(&v);
    for (int i = 0; i < 4; ++i) h[i] = __floats2half2_rn(acc[2 * i], acc[2 * i + 1]);
    return v;
  }
};
template <>
struct Vec<__nv_bfloat16> {
  static constexpr int kLanes = 8;
  __device__ static void add(const uint4& v, float* acc) {
    const __nv_bfloat162* h = reinterpret_cast<const __nv_bfloat162*>(&v);
    for (int i = 0; i < 4; ++i) {
      const float2 f = __bfloat1622float2(h[i]);
      acc[2 * i] += f.x, acc[2 * i + 1] += f.y;
    }
  }
  __device__ static uint4 pack(const float* acc) {
    uint4 v;
    __nv_bfloat162* h = reinterpret_cast<__nv_bfloat162*>(&v);
    for (int i = 0; i < 4; ++i) h[i] = __floats2bfloat162_rn(acc[2 * i], acc[2 * i + 1]);
    return v;
  }
};

struct Peers {
  const uint4* staging[kMaxRanks];       // every rank's staging buffer (peer pointers, UVA)
  const uint4* result[kMaxRanks];        // every rank's two-shot result segment
  std::uint32_t* flags[kMaxRanks];       // every rank's flags [kMaxBlocks][kMaxRanks]
};

// Block b tells block b of every peer it reached `value`, then waits until all of them did.
// The fence before the store publishes this block's earlier writes (made visible to thread t by
// the __syncthreads before) at system scope; the fence after the wait orders the later reads.
__device__ void block_barrier(const Peers& p, int rank, int ranks, std::uint32_t value) {
  __syncthreads();
  const int t = threadIdx.x;
  if (t < ranks) {
    __threadfence_system();
    volatile std::uint32_t* remote = p.flags[t] + blockIdx.x * kMaxRanks + rank;
    *remote = value;
    volatile std::uint32_t* mine = p.flags[rank] + blockIdx.x * kMaxRanks + t;
    while (*mine < value) {
    }
    __threadfence_system();
  }
  __syncthreads();
}

// The first of `barriers` consecutive barrier values of this call for this block: the counter
// advances alike on every rank (all ranks make the same calls with the same grid), so the values
// match across ranks and only grow, whatever the mix of variants.
__device__ std::uint32_t reserve_barriers(std::uint32_t* counters, std::uint32_t barriers) {
  __shared__ std::uint32_t base;
  if (threadIdx.x == 0) {
    base = counters[blockIdx.x] + 1;
    counters[blockIdx.x] += barriers;
  }
  __syncthreads();
  return base;
}

template <class T>
__global__ void __launch_bounds__(kThreads) oneshot_allreduce(const uint4* __restrict__ in, uint4* __restrict__ out, Peers peers,
                                                              std::uint32_t* counters, int rank, int ranks, std::size_t vecs) {
  const std::uint32_t b0 = reserve_barriers(counters, 2);
  const std::size_t stride = std::size_t(gridDim.x) * blockDim.x;
  const std::size_t first = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  uint4* mine = const_cast<uint4*>(peers.staging[rank]);
  for (std::size_t i = first; i < vecs; i += stride) mine[i] = in[i];
  block_barrier(peers, rank, ranks, b0);
  for (std::size_t i = first; i < vecs; i += stride) {
    float acc[Vec<T>::kLanes] = {};
    for (int p = 0; p < ranks; ++p) Vec<T>::add(__ldcg(peers.staging[p] + i), acc);  // L2, never a stale L1 line
    out[i] = Vec<T>::pack(acc);
  }
  block_barrier(peers, rank, ranks, b0 + 1);  // peers are done reading this rank's staging buffer
}

// Segment p = vectors [p * seg, (p + 1) * seg). Block b handles offsets j of its grid-stride set
// in every segment, so what block b of rank p writes is what block b of the others reads.
template <class T>
__global__ void __launch_bounds__(kThreads) twoshot_allreduce(const uint4* __restrict__ in, uint4* __restrict__ out, Peers peers,
                                                              std::uint32_t* counters, int rank, int ranks, std::size_t seg) {
  const std::uint32_t b0 = reserve_barriers(counters, 3);
  const std::size_t stride = std::size_t(gridDim.x) * blockDim.x;
  const std::size_t first = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  uint4* mine = const_cast<uint4*>(peers.staging[rank]);
  for (std::size_t j = first; j < seg; j += stride)
    for (int p = 0; p < ranks; ++p) mine[p * seg + j] = in[p * seg + j];
  block_barrier(peers, rank, ranks, b0);
  uint4* my_result = const_cast<uint4*>(peers.result[rank]);
  for (std::size_t j = first; j < seg; j += stride) {
    float acc[Vec<T>::kLanes] = {};
    for (int p = 0; p < ranks; ++p) Vec<T>::add(__ldcg(peers.staging[p] + rank * seg + j), acc);
    const uint4 v = Vec<T>::pack(acc);
    my_result[j] = v;
    out[rank * seg + j] = v;
  }
  block_barrier(peers, rank, ranks, b0 + 1);
  for (std::size_t j = first; j < seg; j += stride)
    for (int p = 0; p < ranks; ++p)
      if (p != rank) out[p * seg + j] = __ldcg(peers.result[p] + j);
  block_barrier(peers, rank, ranks, b0 + 2);  // staging and result buffers free again
}

}  // namespace

CustomAllReduce::CustomAllReduce(NcclGroup& group, std::size_t max_bytes) : group_(group), max_bytes_(max_bytes) {
  const int n = group.size();
  if (n > kMaxRanks) throw Error("custom all-reduce: at most " + std::to_string(kMaxRanks) + " GPUs, got " + std::to_string(n));
  for (int r = 0; r < n; ++r) {
    AICONF_CUDA_CHECK(cudaSetDevice(r));
    for (int p = 0; p < n; ++p) {
      if (p == r) continue;
      int can = 0;
      AICONF_CUDA_CHECK(cudaDeviceCanAccessPeer(&can, r, p));
      if (!can) throw Error("custom all-reduce: GPU " + std::to_string(r) + " cannot access GPU " + std::to_string(p) + " (no P2P)");
      const cudaError_t e = cudaDeviceEnablePeerAccess(p, 0);
      if (e == cudaErrorPeerAccessAlreadyEnabled) cudaGetLastError();  // NCCL may have enabled it
      else AICONF_CUDA_CHECK(e);
    }
  }
  staging_.assign(n, nullptr);
  result_.assign(n, nullptr);
  flags_.assign(n, nullptr);
  counters_.assign(n, nullptr);
  for (int r = 0; r < n; ++r) {
    AICONF_CUDA_CHECK(cudaSetDevice(r));
    AICONF_CUDA_CHECK(cudaMalloc(&staging_[r], max_bytes_));
    AICONF_CUDA_CHECK(cudaMalloc(&result_[r], max_bytes_ / n + 16));
    AICONF_CUDA_CHECK(cudaMalloc(&flags_[r], kMaxBlocks * kMaxRanks * sizeof(std::uint32_t)));
    AICONF_CUDA_CHECK(cudaMalloc(&counters_[r], kMaxBlocks * sizeof(std::uint32_t)));
    AICONF_CUDA_CHECK(cudaMemset(flags_[r], 0, kMaxBlocks * kMaxRanks * sizeof(std::uint32_t)));
    AICONF_CUDA_CHECK(cudaMemset(counters_[r], 0, kMaxBlocks * sizeof(std::uint32_t)));
    AICONF_CUDA_CHECK(cudaDeviceSynchronize());
  }
}

CustomAllReduce::~CustomAllReduce() {
  for (std::size_t r = 0; r < staging_.size(); ++r) {
    cudaSetDevice(static_cast<int>(r));
    cudaFree(staging_[r]);
    cudaFree(result_[r]);
    cudaFree(flags_[r]);
    cudaFree(counters_[r]);
  }
}

const char* CustomAllReduce::kernel_source(CustomVariant v) {
  return v == CustomVariant::one_shot ? "aiconf_oneshot_allreduce" : "aiconf_twoshot_allreduce";
}

bool CustomAllReduce::supports(ncclDataType_t dtype, std::size_t count, CustomVariant v) const {
  const std::size_t bytes = count * nccl_dtype_bytes(dtype);
  const std::size_t unit = v == CustomVariant::one_shot ? 16 : 16 * static_cast<std::size_t>(group_.size());
  return bytes > 0 && bytes % unit == 0 && bytes <= max_bytes_ && bytes <= group_.buffer_bytes() &&
         (dtype == ncclHalf || dtype == ncclBfloat16 || dtype == ncclFloat32);
}

void CustomAllReduce::enqueue(ncclDataType_t dtype, std::size_t count, CustomVariant v) {
  if (!supports(dtype, count, v))
    throw Error(std::string("custom all-reduce (") + kernel_source(v) + "): " + std::to_string(count) + " elements of " +
                std::to_string(nccl_dtype_bytes(dtype)) + " B are not supported (half/bfloat16/float, a multiple of 16 B" +
                (v == CustomVariant::two_shot ? " x GPUs" : "") + ", at most " + std::to_string(max_bytes_) + " B)");
  const int n = group_.size();
  Peers peers{};
  for (int p = 0; p < n; ++p) {
    peers.staging[p] = static_cast<const uint4*>(staging_[p]);
    peers.result[p] = static_cast<const uint4*>(result_[p]);
    peers.flags[p] = static_cast<std::uint32_t*>(flags_[p]);
  }
  const std::size_t vecs = count * nccl_dtype_bytes(dtype) / 16;
  const std::size_t work = v == CustomVariant::one_shot ? vecs : vecs / n;  // elements of a block's grid-stride set
  const int blocks = static_cast<int>(std::min<std::size_t>(kMaxBlocks, (work + kThreads - 1) / kThreads));
  nvtxRangePushA(kernel_source(v));
  for (int r = 0; r < n; ++r) {
    AICONF_CUDA_CHECK(cudaSetDevice(r));
    auto* in = static_cast<const uint4*>(group_.send(r));
    auto* out = static_cast<uint4*>(group_.recv(r));
    auto* ctr = static_cast<std::uint32_t*>(counters_[r]);
    cudaStream_t s = group_.stream(r);
    const bool one = v == CustomVariant::one_shot;
    switch (dtype) {
      case ncclHalf:
        if (one) oneshot_allreduce<__half><<<blocks, kThreads, 0, s>>>(in, out, peers, ctr, r, n, work);
        else twoshot_allreduce<__half><<<blocks, kThreads, 0, s>>>(in, out, peers, ctr, r, n, work);
        break;
      case ncclBfloat16:
        if (one) oneshot_allreduce<__nv_bfloat16><<<blocks, kThreads, 0, s>>>(in, out, peers, ctr, r, n, work);
        else twoshot_allreduce<__nv_bfloat16><<<blocks, kThreads, 0, s>>>(in, out, peers, ctr, r, n, work);
        break;
      default:
        if (one) oneshot_allreduce<float><<<blocks, kThreads, 0, s>>>(in, out, peers, ctr, r, n, work);
        else twoshot_allreduce<float><<<blocks, kThreads, 0, s>>>(in, out, peers, ctr, r, n, work);
        break;
    }
    const cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) nvtxRangePop();
    AICONF_CUDA_CHECK(e);
  }
  nvtxRangePop();
}

}  // namespace aiconf::nccl_collect
