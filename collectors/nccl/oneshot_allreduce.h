#pragma once
/// \file oneshot_allreduce.h
/// Our "custom all-reduce" (the custom_allreduce_perf table): a one-shot NVLink all-reduce in the
/// manner of TensorRT-LLM's, over the GPUs of an NcclGroup with peer access. Each call copies the
/// rank's input into a peer-visible staging buffer, meets the peers at a flag barrier, reads every
/// peer's staging buffer and sums in fp32, and meets them again so the staging buffer can be
/// reused. Barriers are per block (block b waits only for block b of the peers), with per-block
/// call counters in device memory, so the calls can be captured in a CUDA graph and replayed.

#include "nccl_group.h"

#include <cstddef>
#include <vector>

namespace aiconf::nccl_collect {

class OneShotAllReduce {
public:
  /// Enables peer access between the group's GPUs and allocates staging buffers of `max_bytes`
  /// and the flags on each. Throws aiconf::Error when peer access is not possible.
  OneShotAllReduce(NcclGroup& group, std::size_t max_bytes);
  ~OneShotAllReduce();
  OneShotAllReduce(const OneShotAllReduce&) = delete;
  OneShotAllReduce& operator=(const OneShotAllReduce&) = delete;

  /// Enqueues the all-reduce (sum) of `count` elements of the group's send buffers into its receive
  /// buffers on every rank's stream. dtype: half, bfloat16 or float; count * size a multiple of 16 B.
  void enqueue(ncclDataType_t dtype, std::size_t count);

  /// "aiconf_oneshot_allreduce": the kernel_source column.
  static const char* kernel_source() { return "aiconf_oneshot_allreduce"; }

private:
  NcclGroup& group_;
  std::size_t max_bytes_;
  std::vector<void*> staging_, flags_, counters_, peer_staging_, peer_flags_;  // per rank
};

}  // namespace aiconf::nccl_collect
