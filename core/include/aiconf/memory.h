#pragma once
/// \file memory.h
/// MemoryEstimate: the bytes one GPU holds while serving, by category, and whether they fit its
/// HBM. Computed by Estimator::memory() (core/src/estimator/memory.cpp explains each term).
/// A configuration that does not fit is reported with these numbers, never silently dropped.
/// Units: bytes. A value type, safe to copy between threads.

#include <string>
#include <vector>

namespace aiconf {

struct MemoryEstimate {
  double weights = 0;          ///< non-expert weights / (tp * pp) + expert weights / (ep * moe_tp * pp)
  double kv_cache = 0;         ///< cached tokens x bytes per token per layer x layers of this stage (/ kv split)
  double activations = 0;      ///< peak live activations of the largest step (see memory.cpp)
  double comm_buffers = 0;     ///< staging buffers of the largest collective (in + out)
  double reserved = 0;         ///< the system's reserved memory (runtime, CUDA context, allocator slack)
  double total = 0;            ///< the sum of the above
  double capacity = 0;         ///< HBM of one GPU
  bool fits = true;            ///< total <= capacity
  double kv_bytes_per_token = 0;  ///< per GPU, every layer of the stage together
  double max_kv_tokens = 0;    ///< cached tokens that would fit beside the rest (0 when nothing fits)
  std::vector<std::string> notes;  ///< how each term was derived
};

}  // namespace aiconf
