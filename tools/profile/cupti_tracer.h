#pragma once
/// \file cupti_tracer.h
/// CUPTI activity tracing of kernels (CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL) and NVTX ranges
/// (CUPTI_ACTIVITY_KIND_MARKER; CUPTI receives NVTX calls when NVTX_INJECTION64_PATH names
/// libcupti, which prepare_nvtx_injection() sets before the first NVTX call). One tracer per
/// process; not thread-safe (the profiler drives it from one thread).

#include <aiconf/status.h>

#include <cstdint>
#include <string>
#include <vector>

namespace aiconf::profile {

/// One kernel launch as CUPTI recorded it (timestamps in ns on CUPTI's clock).
struct KernelLaunch {
  std::string name;   ///< mangled or plain, as the driver reports it
  std::uint64_t start = 0, end = 0;
  std::uint32_t stream = 0;
};

/// One NVTX push/pop range (CUPTI's clock, ns).
struct NvtxRange {
  std::string name;
  std::uint64_t start = 0, end = 0;
};

/// Sets NVTX_INJECTION64_PATH to the loaded libcupti unless it is already set. Must run before
/// the process's first NVTX call; returns what was done (for the report).
std::string prepare_nvtx_injection();

/// Enables kernel and marker activity. Error names the CUPTI call and its message.
Status cupti_start();
/// Flushes every buffer and disables the activities.
Status cupti_stop();
/// The records since cupti_start() (moved out), and how many CUPTI dropped.
void cupti_take(std::vector<KernelLaunch>* kernels, std::vector<NvtxRange>* ranges, std::uint64_t* dropped);

}  // namespace aiconf::profile
