// Radix-select top-k kernel (one block per row) and its launcher. See include/aiconf/dsa/topk.h.

#include "aiconf/dsa/topk.h"

#include <algorithm>
#include <cstdint>

#include <nvtx3/nvToolsExt.h>

#include "topk_radix.cuh"

namespace aiconf::dsa {
namespace detail {

constexpr int kBins0 = 2048;     // first-pass digit: 11 bits of the fp16 key
constexpr int kCandCap = 4096;   // shared-memory candidates for the refine passes
constexpr int kRankMax = 384;   // candidates resolved by exact ranking instead of radix passes
constexpr int kUnroll = 4;       // float4 loads in flight per thread in the streaming loops
constexpr size_t kFixedSmem = kBins0 * sizeof(int) + kCandCap * (sizeof(uint32_t) + sizeof(int));

struct Params {
  const float* logits;
  const int32_t* lens;
  int32_t* out;
  int64_t rows, cols, ld;
  int k;
  bool causal;
  int64_t causal_offset;
  int cache_vecs;  // float4 slots of the shared-memory row cache
  unsigned long long* phase_clocks;  // optional [rows, 5] clock64 at phase boundaries
};

__device__ __forceinline__ int row_length(const Params& p, int64_t row) {
  int64_t len = p.cols;
  if (p.lens != nullptr) {
    len = p.lens[row];
  } else if (p.causal) {
    len = p.causal_offset + row + 1;
  }
  return static_cast<int>(len < 0 ? 0 : (len > p.cols ? p.cols : len));
}

// Streams float4 vectors [v_begin, v_end) with kUnroll loads issued before any use, so each
// thread keeps several requests in flight. proc(value, v, valid) is called warp-uniformly.
template <int BLOCK, class Load, class Proc>
__device__ __forceinline__ void vec_loop(int v_begin, int v_end, Load load, Proc proc) {
  for (int b = v_begin; b < v_end; b += BLOCK * kUnroll) {
    float4 r[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int v = b + u * BLOCK + static_cast<int>(threadIdx.x);
      r[u] = v < v_end ? load(v) : make_float4(0.f, 0.f, 0.f, 0.f);
    }
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int v = b + u * BLOCK + static_cast<int>(threadIdx.x);
      proc(r[u], v, v < v_end);
    }
  }
}

// The row split into a scalar head (to reach 16-byte alignment), float4 body and scalar tail.
struct RowView {
  const float* x;
  const float4* x4;
  int head, nv, tail_start, nscalar, len;
  const float4* cache;
  int cache_v;  // body vectors [0, cache_v) are in the shared-memory cache

  __device__ int scalar_index(int lane) const {
    return lane < head ? lane : tail_start + (lane - head);
  }

  // Calls f(x, idx, valid) for every element, warp-uniformly (all threads of the block).
  template <int BLOCK, class F>
  __device__ __forceinline__ void for_each(F f) const {
    auto proc = [&](float4 val, int v, bool ok) {
      const int base = head + 4 * v;
      f(val.x, base + 0, ok);
      f(val.y, base + 1, ok);
      f(val.z, base + 2, ok);
      f(val.w, base + 3, ok);
    };
    vec_loop<BLOCK>(0, cache_v, [&](int v) { return cache[v]; }, proc);
    vec_loop<BLOCK>(cache_v, nv, [&](int v) { return __ldg(x4 + v); }, proc);
    if (threadIdx.x < 32) {
      const int lane = threadIdx.x;
      const bool ok = lane < nscalar;
      const int idx = ok ? scalar_index(lane) : 0;
      f(ok ? x[idx] : 0.f, idx, ok);
    }
  }
};

struct SharedState {
  int out_count;
  int cand_count;
  int thr;
  int above;
  int scratch[32];
};

// Refines the selection among the elements of `src` (keys from float_key) whose key matches the
// current prefix, 11/11/10 bits at a time, emitting exactly k_rem more indices to out.
// src.for_each(g) must call g(key, idx, valid) warp-uniformly.
template <int BLOCK, class Src>
__device__ void refine(const Src& src, int k_rem, int* hist, SharedState& st, int32_t* out,
                       int k) {
  uint32_t prefix = 0, mask = 0;
#pragma unroll 1
  for (int step = 0; step < 3; ++step) {
    const int shift = step == 0 ? 21 : (step == 1 ? 10 : 0);  // digits of 11, 11 and 10 bits
    const int nb = step == 2 ? 1024 : 2048;
    const uint32_t dmask = static_cast<uint32_t>(nb - 1);
    for (int i = threadIdx.x; i < nb; i += BLOCK) hist[i] = 0;
    __syncthreads();
    src.for_each([&](uint32_t key, int, bool ok) {
      if (ok && (key & mask) == prefix) atomicAdd(&hist[(key >> shift) & dmask], 1);
    });
    __syncthreads();
    find_threshold<BLOCK>(hist, nb, k_rem, st.scratch, &st.thr, &st.above);
    const uint32_t thr = static_cast<uint32_t>(st.thr);
    const int above = st.above;
    const bool take_all = above + hist[thr] == k_rem;
    src.for_each([&](uint32_t key, int idx, bool ok) {
      const uint32_t d = (key >> shift) & dmask;
      const bool emit = ok && (key & mask) == prefix && (d > thr || (take_all && d == thr));
      const int slot = warp_append(emit, &st.out_count);
      if (emit) out[slot] = idx;
    });
    __syncthreads();  // hist and st are rewritten by the next step
    if (take_all) return;
    k_rem -= above;
    prefix |= thr << shift;
    mask |= dmask << shift;
  }
  // Every bit is fixed: the remaining elements are all equal; take the first k_rem that arrive.
  src.for_each([&](uint32_t key, int idx, bool ok) {
    const bool emit = ok && key == prefix;
    const int slot = warp_append(emit, &st.out_count);
    if (emit && slot < k) out[slot] = idx;
  });
}

// Pass 1: fp16-bucket histogram of the row; fills the shared-memory cache on the way.
// Only the buckets at or above the k-th largest matter, so once 4k elements are counted the
// k-th largest bucket of the part seen so far (a lower bound of the final one) is found, and
// later elements below it skip their atomic; the bound is tightened again at 4x the count.
// Histogram counts are exact for every bucket >= the final bound.
template <int BLOCK>
__device__ __forceinline__ void histogram_pass(const RowView& rv, int* hist, float4* cache, int k,
                                               SharedState& st) {
  int lb = 0;
  long long next_tighten = 4LL * k;
  for (int b = 0; b < rv.nv; b += BLOCK * kUnroll) {
    float4 r[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int v = b + u * BLOCK + static_cast<int>(threadIdx.x);
      r[u] = v < rv.nv ? __ldg(rv.x4 + v) : make_float4(0.f, 0.f, 0.f, 0.f);
    }
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int v = b + u * BLOCK + static_cast<int>(threadIdx.x);
      if (v < rv.nv) {
        if (v < rv.cache_v) cache[v] = r[u];
        const float e[4] = {r[u].x, r[u].y, r[u].z, r[u].w};
#pragma unroll
        for (int j = 0; j < 4; ++j) {
          const int bk = bucket0(e[j]);
          if (bk >= lb) atomicAdd(&hist[bk], 1);
        }
      }
    }
    const long long done = 4LL * min(b + BLOCK * kUnroll, rv.nv);
    if (done >= next_tighten && done < 4LL * rv.nv) {  // block-uniform
      __syncthreads();
      find_threshold<BLOCK>(hist, kBins0, k, st.scratch, &st.thr, &st.above);
      lb = st.thr;
      next_tighten = 4 * done;
    }
  }
  if (threadIdx.x < rv.nscalar) atomicAdd(&hist[bucket0(rv.x[rv.scalar_index(threadIdx.x)])], 1);
}

// Pass 2 over the row: indices whose first-pass bucket is above thr0 (or equal, when take_all)
// go to out; with use_cand, elements of bucket thr0 are compacted into the candidate arrays.
// Flags are gathered over a whole unrolled batch so each warp reserves output slots once per
// batch instead of once per element.
template <int BLOCK>
__device__ __forceinline__ void select_pass(const RowView& rv, int thr0, bool take_all,
                                            bool use_cand, int32_t* out, uint32_t* cand_key,
                                            int* cand_idx, SharedState& st) {
  static_assert(kUnroll * 4 <= 32, "flags of one batch must fit 32 bits");
  for (int b = 0; b < rv.nv; b += BLOCK * kUnroll) {
    float4 r[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int v = b + u * BLOCK + static_cast<int>(threadIdx.x);
      r[u] = v < rv.nv ? (v < rv.cache_v ? rv.cache[v] : __ldg(rv.x4 + v))
                       : make_float4(0.f, 0.f, 0.f, 0.f);
    }
    uint32_t emit_bits = 0, cand_bits = 0;
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int v = b + u * BLOCK + static_cast<int>(threadIdx.x);
      if (v < rv.nv) {
        const float e[4] = {r[u].x, r[u].y, r[u].z, r[u].w};
#pragma unroll
        for (int j = 0; j < 4; ++j) {
          const int bk = bucket0(e[j]);
          emit_bits |= static_cast<uint32_t>(bk > thr0 || (take_all && bk == thr0)) << (u * 4 + j);
          cand_bits |= static_cast<uint32_t>(bk == thr0) << (u * 4 + j);
        }
      }
    }
    if (!use_cand) cand_bits = 0;
    if (__any_sync(kFullMask, emit_bits != 0)) {
      int slot = warp_reserve(__popc(emit_bits), &st.out_count);
      while (emit_bits != 0) {
        const int bit = __ffs(emit_bits) - 1;
        emit_bits &= emit_bits - 1;
        const int v = b + (bit >> 2) * BLOCK + static_cast<int>(threadIdx.x);
        out[slot++] = rv.head + 4 * v + (bit & 3);
      }
    }
    if (__any_sync(kFullMask, cand_bits != 0)) {
      int slot = warp_reserve(__popc(cand_bits), &st.cand_count);
      if (cand_bits != 0) {
        // Unrolled so the values come from registers (a re-read would put a load latency on
        // every batch).
#pragma unroll
        for (int u = 0; u < kUnroll; ++u) {
          const float e[4] = {r[u].x, r[u].y, r[u].z, r[u].w};
          const int base = rv.head + 4 * (b + u * BLOCK + static_cast<int>(threadIdx.x));
#pragma unroll
          for (int j = 0; j < 4; ++j) {
            if ((cand_bits >> (u * 4 + j)) & 1u) {
              cand_key[slot] = float_key(e[j]);
              cand_idx[slot] = base + j;
              ++slot;
            }
          }
        }
      }
    }
  }
  // Scalar head/tail elements (at most 6), handled by warp 0.
  if (threadIdx.x < 32) {
    const int lane = threadIdx.x;
    const bool ok = lane < rv.nscalar;
    const int idx = ok ? rv.scalar_index(lane) : 0;
    const float x = ok ? rv.x[idx] : 0.f;
    const int bk = bucket0(x);
    const bool emit = ok && (bk > thr0 || (take_all && bk == thr0));
    const int slot = warp_append(emit, &st.out_count);
    if (emit) out[slot] = idx;
    const bool cand = ok && use_cand && bk == thr0;
    const int c = warp_append(cand, &st.cand_count);
    if (cand) {
      cand_key[c] = float_key(x);
      cand_idx[c] = idx;
    }
  }
  __syncthreads();
}

// Refine source over the shared-memory candidates (keys already order-preserving).
template <int BLOCK>
struct CandSource {
  const uint32_t* key;
  const int* idx;
  int n;
  template <class G>
  __device__ __forceinline__ void for_each(G g) const {
    for (int b = 0; b < n; b += BLOCK) {
      const int i = b + static_cast<int>(threadIdx.x);
      const bool ok = i < n;
      g(ok ? key[i] : 0u, ok ? idx[i] : 0, ok);
    }
  }
};

// Refine source over the whole row, keeping only the elements of first-pass bucket thr0.
template <int BLOCK>
struct RowSource {
  const RowView* rv;
  int thr0;
  template <class G>
  __device__ __forceinline__ void for_each(G g) const {
    const int t = thr0;
    rv->template for_each<BLOCK>(
        [&](float x, int idx, bool ok) { g(float_key(x), idx, ok && bucket0(x) == t); });
  }
};

template <int BLOCK, int MIN_BLOCKS>
__global__ void __launch_bounds__(BLOCK, MIN_BLOCKS) topk_kernel(Params p) {
  extern __shared__ float4 smem4[];
  int* hist = reinterpret_cast<int*>(smem4);
  uint32_t* cand_key = reinterpret_cast<uint32_t*>(hist + kBins0);
  int* cand_idx = reinterpret_cast<int*>(cand_key + kCandCap);
  float4* cache = reinterpret_cast<float4*>(cand_idx + kCandCap);
  __shared__ SharedState st;

  const int64_t row = blockIdx.x;
  const int len = row_length(p, row);
  const int k = p.k;
  int32_t* out = p.out + row * static_cast<int64_t>(k);

  if (len <= k) {  // fast path: every valid index is selected, no need to read the logits
    for (int i = threadIdx.x; i < k; i += BLOCK) out[i] = i < len ? i : -1;
    return;
  }

  RowView rv;
  rv.x = p.logits + row * p.ld;
  const int mis = static_cast<int>((reinterpret_cast<uintptr_t>(rv.x) >> 2) & 3);
  rv.head = min((4 - mis) & 3, len);
  rv.x4 = reinterpret_cast<const float4*>(rv.x + rv.head);
  rv.nv = (len - rv.head) >> 2;
  rv.tail_start = rv.head + 4 * rv.nv;
  rv.nscalar = rv.head + (len - rv.tail_start);
  rv.len = len;
  rv.cache = cache;
  rv.cache_v = min(rv.nv, p.cache_vecs);

  if (p.phase_clocks != nullptr && threadIdx.x == 0) p.phase_clocks[row * 5 + 0] = clock64();
  for (int i = threadIdx.x; i < kBins0; i += BLOCK) hist[i] = 0;
  if (threadIdx.x == 0) {
    st.out_count = 0;
    st.cand_count = 0;
  }
  __syncthreads();
  histogram_pass<BLOCK>(rv, hist, cache, k, st);
  __syncthreads();
  if (p.phase_clocks != nullptr && threadIdx.x == 0) p.phase_clocks[row * 5 + 1] = clock64();
  find_threshold<BLOCK>(hist, kBins0, k, st.scratch, &st.thr, &st.above);
  if (p.phase_clocks != nullptr && threadIdx.x == 0) p.phase_clocks[row * 5 + 2] = clock64();
  const int thr0 = st.thr;
  const int above0 = st.above;
  const int cnt0 = hist[thr0];
  const bool take_all = above0 + cnt0 == k;
  const bool use_cand = !take_all && cnt0 <= kCandCap;

  // Pass 2: emit every index above the threshold bucket; compact the threshold bucket.
  select_pass<BLOCK>(rv, thr0, take_all, use_cand, out, cand_key, cand_idx, st);
  if (p.phase_clocks != nullptr && threadIdx.x == 0) p.phase_clocks[row * 5 + 3] = clock64();
  __syncthreads();
  if (take_all) {
    if (p.phase_clocks != nullptr && threadIdx.x == 0) p.phase_clocks[row * 5 + 4] = clock64();
    return;
  }

  const int k_rem = k - above0;
  const int n_cand = st.cand_count;
  if (use_cand && n_cand <= kRankMax) {
    // Few candidates: exact rank of each (ties broken by candidate position) gives its output
    // slot directly, with no further histogram passes or atomics.
    for (int i = threadIdx.x; i < n_cand; i += BLOCK) {
      const uint32_t ki = cand_key[i];
      int rank = 0;
#pragma unroll 8
      for (int j = 0; j < n_cand; ++j) {
        const uint32_t kj = cand_key[j];
        rank += (kj > ki) | ((kj == ki) & (j < i));
      }
      if (rank < k_rem) out[above0 + rank] = cand_idx[i];
    }
  } else if (use_cand) {
    refine<BLOCK>(CandSource<BLOCK>{cand_key, cand_idx, st.cand_count}, k_rem, hist, st, out, k);
  } else {
    // Too many elements share the threshold bucket (heavy ties, or values beyond fp16 range):
    // refine over the row itself, keeping only elements of that bucket.
    refine<BLOCK>(RowSource<BLOCK>{&rv, thr0}, k_rem, hist, st, out, k);
  }
  if (p.phase_clocks != nullptr && threadIdx.x == 0) p.phase_clocks[row * 5 + 4] = clock64();
}

template <int BLOCK, int MIN_BLOCKS>
cudaError_t launch_block(const Params& p, cudaStream_t stream) {
  const size_t smem = kFixedSmem + static_cast<size_t>(p.cache_vecs) * sizeof(float4);
  cudaError_t err = cudaFuncSetAttribute(topk_kernel<BLOCK, MIN_BLOCKS>,
                                         cudaFuncAttributeMaxDynamicSharedMemorySize,
                                         static_cast<int>(smem));
  if (err != cudaSuccess) return err;
  topk_kernel<BLOCK, MIN_BLOCKS><<<static_cast<unsigned>(p.rows), BLOCK, smem, stream>>>(p);
  return cudaGetLastError();
}

}  // namespace detail

size_t topk_workspace_bytes(const TopkProblem&) { return 0; }

cudaError_t launch_topk(const TopkProblem& problem, void*, size_t, cudaStream_t stream,
                        const TopkTuning& tuning) {
  const TopkProblem& q = problem;
  if (q.rows < 0 || q.cols < 1 || q.cols > INT32_MAX || q.ld < q.cols || q.k < 1 ||
      q.rows > INT32_MAX || q.logits == nullptr || q.indices == nullptr) {
    return cudaErrorInvalidValue;
  }
  if (q.rows == 0) return cudaSuccess;

  int device = 0, sms = 0, max_smem = 0;
  cudaError_t err = cudaGetDevice(&device);
  if (err == cudaSuccess) err = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  if (err == cudaSuccess)
    err = cudaDeviceGetAttribute(&max_smem, cudaDevAttrMaxSharedMemoryPerBlockOptin, device);
  if (err != cudaSuccess) return err;

  // Few rows: one 1024-thread block per SM, caching as much of the row as shared memory allows.
  // Many rows: 512-thread blocks, three per SM, no cache: the select pass re-reads the row soon
  // after the histogram pass, mostly from L2 (measured faster than caching, which costs
  // occupancy; results/).
  const bool few_rows = q.rows <= sms;
  int block = tuning.block_threads > 0 ? tuning.block_threads : (few_rows ? 1024 : 512);
  if (block != 512 && block != 1024) return cudaErrorInvalidValue;
  const int min_blocks = tuning.min_blocks_per_sm > 0 ? tuning.min_blocks_per_sm : 3;
  const int64_t max_cache_vecs =
      (static_cast<int64_t>(max_smem) - static_cast<int64_t>(detail::kFixedSmem) - 1024) / 16;
  int64_t cache_elems = tuning.cache_elems;
  if (cache_elems < 0) cache_elems = few_rows ? max_cache_vecs * 4 : 0;
  int64_t cache_vecs = std::min<int64_t>((cache_elems + 3) / 4, (q.cols + 3) / 4);
  cache_vecs = std::max<int64_t>(0, std::min<int64_t>(cache_vecs, max_cache_vecs));

  detail::Params p{q.logits, q.row_lengths, q.indices, q.rows, q.cols, q.ld, q.k,
                   q.causal, q.causal_offset, static_cast<int>(cache_vecs),
                   tuning.phase_clocks};
  nvtxRangePushA("aiconf.dsa.topk");
  // 512 threads with 3 blocks/SM caps registers at 40 (a few bytes spill in the cold refine
  // path); 2 blocks/SM gives the compiler 64.
  if (block == 1024) {
    err = detail::launch_block<1024, 1>(p, stream);
  } else if (min_blocks == 2) {
    err = detail::launch_block<512, 2>(p, stream);
  } else {
    err = detail::launch_block<512, 3>(p, stream);
  }
  nvtxRangePop();
  return err;
}

}  // namespace aiconf::dsa
