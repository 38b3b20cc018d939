#pragma once
/// DSA top-k: per row of fp32 logits, the indices of the k largest valid entries.
///
/// Radix select (one thread block per row): a first 11-bit histogram pass over the row on the
/// fp16-rounded value, a second pass that writes the indices above the threshold bucket and
/// compacts the threshold bucket into shared memory, then an exact rank of the candidates (<= 384
/// of them) or up to three 11/11/10-bit passes over their exact fp32 bits. When the threshold
/// bucket is too large for shared memory (heavy ties, values outside the fp16 range) the radix
/// passes run over the row itself (correct, slower). Rows with len <= k take a fast path that
/// writes 0..len-1 without reading the logits. NaN is not supported.
///
/// Thread-safety: the launch functions are reentrant; concurrent launches on different streams
/// must use different output buffers.

#include <cstddef>
#include <cstdint>

#include <cuda_runtime.h>

namespace aiconf::dsa {

/// One top-k problem over `rows` rows. All pointers are device pointers owned by the caller.
struct TopkProblem {
  /// Logits, fp32, row-major [rows, ld] (ld in elements, ld >= cols). Any alignment of 4 bytes.
  const float* logits = nullptr;
  /// Optional valid length per row, int32 [rows]; entries are clamped to [0, cols].
  /// nullptr: every row uses `causal` (below) or else the full `cols`.
  const int32_t* row_lengths = nullptr;
  /// Output indices, int32 row-major [rows, k]. Row r gets min(k, len[r]) distinct indices in
  /// [0, len[r]) (unordered) and -1 in the remaining slots (only when len[r] < k).
  int32_t* indices = nullptr;
  int64_t rows = 0;  ///< number of rows (>= 0)
  int64_t cols = 0;  ///< maximum row length in elements (1 .. 2^31-1)
  int64_t ld = 0;    ///< row stride of `logits` in elements (>= cols)
  int32_t k = 2048;  ///< entries kept per row (>= 1); DeepSeek-V3.2 index_topk = 2048
  /// Context (prefill) mode without a length array: when true and row_lengths == nullptr, row r
  /// has the causal length min(cols, causal_offset + r + 1).
  bool causal = false;
  int64_t causal_offset = 0;
};

/// Tuning knobs; zero/negative means "choose automatically". Exposed for benchmarks and tests.
struct TopkTuning {
  /// Threads per block: 512 or 1024 (0 = auto).
  int block_threads = 0;
  /// Row elements kept in shared memory between the histogram pass and the select pass
  /// (-1 = auto, 0 = none: the second pass re-reads the row, normally from L2).
  int64_t cache_elems = -1;
  /// For 512 threads: blocks per SM the registers are budgeted for, 2 or 3 (0 = auto: 3).
  int min_blocks_per_sm = 0;
  /// Debug profiling (nullptr = off): device array [rows, 5] of clock64() taken by thread 0 of
  /// each selecting row at start, after the histogram, after the threshold search, after the
  /// select pass and at the end. Rows on the len <= k fast path are not written.
  unsigned long long* phase_clocks = nullptr;
};

/// Bytes of device workspace `launch_topk` needs (currently always 0; kept so a multi-block
/// variant for long rows can add one without an API change).
size_t topk_workspace_bytes(const TopkProblem& problem);

/// Enqueues the top-k on `stream`. Never allocates or synchronizes. Returns
/// cudaErrorInvalidValue for bad dimensions/pointers, else cudaGetLastError() after the launch.
/// Wrapped in the NVTX range "aiconf.dsa.topk".
cudaError_t launch_topk(const TopkProblem& problem, void* workspace, size_t workspace_bytes,
                        cudaStream_t stream, const TopkTuning& tuning = {});

}  // namespace aiconf::dsa
