#pragma once
/// \file custom_allreduce.h
/// Our "custom all-reduce" (the custom_allreduce_perf table): NVLink all-reduces over peer memory
/// in the manner of TensorRT-LLM's, on the GPUs of an NcclGroup (one process, peer access).
///   one-shot: copy the input into a peer-visible staging buffer, barrier, read every peer's
///             staging buffer and sum in fp32 (each rank reads (n-1) x the message).
///   two-shot: copy in, barrier, each rank sums its 1/n segment from all peers into a result
///             buffer (reduce-scatter), barrier, each rank gathers the other segments (all-gather):
///             2 (n-1) / n of the message over NVLink, as a ring, in two hops.
/// A final barrier lets the buffers be reused. Barriers are per block (block b waits only for
/// block b of the peers: with the same grid, block b of every rank touches the same indices),
/// and the barrier values come from per-block counters in device memory, so calls can be captured
/// in a CUDA graph and replayed.

#include "nccl_group.h"

#include <cstddef>
#include <vector>

namespace aiconf::nccl_collect {

enum class CustomVariant { one_shot, two_shot };

class CustomAllReduce {
public:
  /// Enables peer access between the group's GPUs and allocates staging and result buffers of
  /// `max_bytes` and the flags on each. Throws aiconf::Error when peer access is not possible.
  CustomAllReduce(NcclGroup& group, std::size_t max_bytes);
  ~CustomAllReduce();
  CustomAllReduce(const CustomAllReduce&) = delete;
  CustomAllReduce& operator=(const CustomAllReduce&) = delete;

  /// Enqueues the all-reduce (sum) of `count` elements of the group's send buffers into its
  /// receive buffers on every rank's stream. dtype: half, bfloat16 or float; count x size a
  /// multiple of 16 B (two-shot: of 16 B x GPUs).
  void enqueue(ncclDataType_t dtype, std::size_t count, CustomVariant v);
  /// Whether `v` takes this size (two-shot needs 16-byte vectors that split over the GPUs).
  bool supports(ncclDataType_t dtype, std::size_t count, CustomVariant v) const;

  /// The kernel_source column of a variant: aiconf_oneshot_allreduce / aiconf_twoshot_allreduce.
  static const char* kernel_source(CustomVariant v);

private:
  NcclGroup& group_;
  std::size_t max_bytes_;
  std::vector<void*> staging_, result_, flags_, counters_;  // per rank
};

}  // namespace aiconf::nccl_collect
