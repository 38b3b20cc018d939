#pragma once
/// \file comm_check.h
/// Correctness of one collective against a CPU reference: fresh random inputs on every rank,
/// receive buffers poisoned (0xFF: NaN for float types), the operation run once, and every
/// received element compared with the reference (sums in fp64, int8 sums modulo 256, copies bit
/// for bit).

#include "nccl_group.h"

#include <functional>
#include <string>

namespace aiconf::nccl_collect {

struct CommCheck {
  bool passed = false;
  double max_error = 0;      ///< largest |got - ref| / tolerance (<= 1 passes)
  std::size_t compared = 0;  ///< elements compared over all ranks
  std::string details;       ///< one line: the case, the worst element, the verdict
};

/// Checks `op` of `message_size` elements of `dtype` on `group`; `enqueue` launches it once on
/// every rank (NcclGroup::enqueue or the custom all-reduce).
CommCheck check_collective(NcclGroup& group, CommOp op, ncclDataType_t dtype, std::int64_t message_size,
                           const std::function<void()>& enqueue, std::uint64_t seed);

/// Value of one element of `dtype` at `p` (half, bfloat16, float, int8) as a double.
double element_value(ncclDataType_t dtype, const unsigned char* p);

}  // namespace aiconf::nccl_collect
