#pragma once
/// \file group_timer.h
/// Times one operation enqueued on every GPU of an NcclGroup. A sample is `repeats` back-to-back
/// calls between CUDA events recorded on every rank's stream; the sample's latency is the least
/// elapsed time among the active ranks over `repeats`: the host starts the ranks one after another
/// and a collective holds the early ones until the last arrives, so the last-started rank's time
/// is the operation's, without the launch skew. The calls are captured in one CUDA graph per
/// GPU when possible (no host launch gaps between small calls), else launched eagerly.
/// Samples follow the harness's stopping rule (median; spread = (p75 - p25) / median).

#include "nccl_group.h"

#include <sample_stats.h>

#include <functional>

namespace aiconf::nccl_collect {

struct GroupTiming {
  double latency_ms = 0;  ///< median per call
  double spread = 0;
  int samples = 0;
  int repeats = 0;        ///< calls per sample
  bool graph = false;     ///< replayed from CUDA graphs
};

/// `active_ranks`: the ranks that take part (2 for p2p: ranks 0 and 1; else the group's size).
/// `target_sample_ms`: the repeats are chosen so one sample lasts about this long (1..64 calls).
GroupTiming time_on_group(NcclGroup& g, const std::function<void()>& enqueue, int active_ranks,
                          const collect::SamplingOptions& opt, bool allow_graph, double target_sample_ms);

}  // namespace aiconf::nccl_collect
