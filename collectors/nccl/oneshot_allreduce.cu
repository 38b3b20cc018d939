#include "oneshot_allreduce.h"

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

template <class T>
__global__ void __launch_bounds__(kThreads) oneshot_allreduce(const uint4* __restrict__ in, uint4* __restrict__ out, Peers peers,
                                                              std::uint32_t* counters, int rank, int ranks, std::size_t vecs) {
  __shared__ std::uint32_t call;
  if (threadIdx.x == 0) call = counters[blockIdx.x] += 1;  // same on every rank: all ranks launch alike
  __syncthreads();
  const std::size_t stride = std::size_t(gridDim.x) * blockDim.x;
  const std::size_t first = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  uint4* mine = const_cast<uint4*>(peers.staging[rank]);
  for (std::size_t i = first; i < vecs; i += stride) mine[i] = in[i];
  block_barrier(peers, rank, ranks, 2 * call - 1);
  for (std::size_t i = first; i < vecs; i += stride) {
    float acc[Vec<T>::kLanes] = {};
    for (int p = 0; p < ranks; ++p) Vec<T>::add(__ldcg(peers.staging[p] + i), acc);  // L2, never a stale L1 line
    out[i] = Vec<T>::pack(acc);
  }
  block_barrier(peers, rank, ranks, 2 * call);  // peers are done reading this rank's staging buffer
}

}  // namespace

OneShotAllReduce::OneShotAllReduce(NcclGroup& group, std::size_t max_bytes) : group_(group), max_bytes_(max_bytes) {
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
  flags_.assign(n, nullptr);
  counters_.assign(n, nullptr);
  for (int r = 0; r < n; ++r) {
    AICONF_CUDA_CHECK(cudaSetDevice(r));
    AICONF_CUDA_CHECK(cudaMalloc(&staging_[r], max_bytes_));
    AICONF_CUDA_CHECK(cudaMalloc(&flags_[r], kMaxBlocks * kMaxRanks * sizeof(std::uint32_t)));
    AICONF_CUDA_CHECK(cudaMalloc(&counters_[r], kMaxBlocks * sizeof(std::uint32_t)));
    AICONF_CUDA_CHECK(cudaMemset(flags_[r], 0, kMaxBlocks * kMaxRanks * sizeof(std::uint32_t)));
    AICONF_CUDA_CHECK(cudaMemset(counters_[r], 0, kMaxBlocks * sizeof(std::uint32_t)));
    AICONF_CUDA_CHECK(cudaDeviceSynchronize());
  }
}

OneShotAllReduce::~OneShotAllReduce() {
  for (std::size_t r = 0; r < staging_.size(); ++r) {
    cudaSetDevice(static_cast<int>(r));
    cudaFree(staging_[r]);
    cudaFree(flags_[r]);
    cudaFree(counters_[r]);
  }
}

void OneShotAllReduce::enqueue(ncclDataType_t dtype, std::size_t count) {
  const std::size_t bytes = count * nccl_dtype_bytes(dtype);
  if (bytes % 16 != 0 || bytes == 0)
    throw Error("custom all-reduce: " + std::to_string(count) + " elements are not a positive multiple of 16 bytes");
  if (bytes > max_bytes_ || bytes > group_.buffer_bytes())
    throw Error("custom all-reduce: " + std::to_string(bytes) + " B exceed the staging buffer of " + std::to_string(max_bytes_) + " B");
  const int n = group_.size();
  Peers peers{};
  for (int p = 0; p < n; ++p) {
    peers.staging[p] = static_cast<const uint4*>(staging_[p]);
    peers.flags[p] = static_cast<std::uint32_t*>(flags_[p]);
  }
  const std::size_t vecs = bytes / 16;
  const int blocks = static_cast<int>(std::min<std::size_t>(kMaxBlocks, (vecs + kThreads - 1) / kThreads));
  nvtxRangePushA("aiconf_oneshot_allreduce");
  for (int r = 0; r < n; ++r) {
    AICONF_CUDA_CHECK(cudaSetDevice(r));
    auto* in = static_cast<const uint4*>(group_.send(r));
    auto* out = static_cast<uint4*>(group_.recv(r));
    auto* ctr = static_cast<std::uint32_t*>(counters_[r]);
    cudaStream_t s = group_.stream(r);
    switch (dtype) {
      case ncclHalf: oneshot_allreduce<__half><<<blocks, kThreads, 0, s>>>(in, out, peers, ctr, r, n, vecs); break;
      case ncclBfloat16: oneshot_allreduce<__nv_bfloat16><<<blocks, kThreads, 0, s>>>(in, out, peers, ctr, r, n, vecs); break;
      case ncclFloat32: oneshot_allreduce<float><<<blocks, kThreads, 0, s>>>(in, out, peers, ctr, r, n, vecs); break;
      default: nvtxRangePop(); throw Error("custom all-reduce: dtype must be half, bfloat16 or float");
    }
    const cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) nvtxRangePop();
    AICONF_CUDA_CHECK(e);
  }
  nvtxRangePop();
}

}  // namespace aiconf::nccl_collect
