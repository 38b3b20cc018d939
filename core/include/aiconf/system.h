#pragma once
/// \file system.h
/// SystemSpec: one GPU system (a node of identical GPUs) as read from `perfdb/systems/<name>.json`.
/// Units are SI: FLOP/s, bytes/s, bytes, seconds. Thread-safety: immutable after loading.

#include <aiconf/status.h>

#include <map>
#include <string>

namespace aiconf {

struct SystemSpec {
  std::string name;              ///< e.g. "h200_sxm"
  std::string gpu_name;          ///< as the CUDA driver names it, e.g. "NVIDIA H200"
  int sm_version = 90;
  // Datasheet peaks (dense).
  double bf16_tflops = 0;        ///< TFLOP/s
  double fp8_tflops = 0;         ///< TFLOP/s
  double fp32_tflops = 0;        ///< TFLOP/s (CUDA cores)
  double hbm_tbps = 0;           ///< TB/s
  double hbm_capacity_bytes = 0;
  // Measured ceilings from our own runs (0 when not measured); the speed-of-light uses these first.
  double measured_bf16_tflops = 0;
  double measured_fp8_tflops = 0;
  double measured_hbm_tbps = 0;
  // Interconnect.
  int gpus_per_node = 8;
  double nvlink_gbps = 0;        ///< GB/s per GPU, one direction
  double nvlink_latency_us = 0;
  double pcie_gbps = 0;
  double network_gbps = 0;       ///< GB/s per GPU, one direction, between nodes
  double network_latency_us = 0;
  double kernel_launch_us = 0;   ///< fixed cost added to every speed-of-light kernel estimate
  /// Time a perf-table row carries beyond its kernels because it was timed alone (the graph launch
  /// after the L2 flush, ramp-up and tail). Kernels of one layer run back to back, so a composed
  /// operation that sums N measured parts subtracts it N-1 times. Measured per card (CUPTI: rows
  /// vs the same kernels inside a module); 0 = no correction.
  double row_overhead_us = 0;
  double reserved_memory_bytes = 0;  ///< runtime + communication buffers kept off the KV cache
  /// Empirical efficiency (achieved / speed-of-light) per op class, for the `empirical` mode.
  std::map<std::string, double, std::less<>> empirical_efficiency;
  /// Where each figure comes from (field -> source text).
  std::map<std::string, std::string, std::less<>> sources;

  /// Compute ceiling for a dtype ("bf16", "fp8", "fp32"), measured when known, else datasheet. FLOP/s.
  double flops_per_second(const std::string& dtype) const;
  /// Memory ceiling, measured when known, else datasheet. Bytes/s.
  double bytes_per_second() const;
};

/// Reads a system spec file; errors name the file and the field.
Status load_system_spec(const std::string& path, SystemSpec* out);

}  // namespace aiconf
