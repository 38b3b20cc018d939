#pragma once
// TimingBackend: how one case is measured on one device. The CUDA backend (cuda_backend.cpp, only
// in builds with CUDA) times GPU mock layers with CUDA graphs and events; the CPU backend times
// "cpu:" layers (fixtures, CPU references) with a steady clock. Both use the same stopping rule.

#include "sample_stats.h"

#include <aiconf/plugin/mock_layer.h>
#include <aiconf/status.h>
#include <aiconf/value.h>

#include <memory>
#include <string>

namespace aiconf::collect {

/// What collection_meta.json records about the device.
struct DeviceInfo {
  std::string name = "cpu";          ///< cudaDeviceProp.name, or "cpu"
  std::string pci_bus_id;
  std::string driver_version;        ///< NVML's driver version, else the CUDA driver API version
  std::string cuda_runtime_version;
  std::string cuda_driver_version;   ///< CUDA version the driver supports
  double sm_clock_max_mhz = 0;       ///< peak SM clock
  double memory_clock_mhz = 0;       ///< peak memory clock
  long long l2_bytes = 0;
  long long memory_bytes = 0;
  int sm_count = 0;
  std::string clock_source = "none"; ///< where current SM clocks are read: "nvml" or "none"
};

/// How L2 is emptied before each timed sample (outside the timed interval).
enum class L2Flush {
  read,    ///< a kernel reads a 2x-L2 buffer: evicts everything and leaves only clean lines (default)
  memset,  ///< cudaMemsetAsync over a 2x-L2 buffer: leaves dirty lines whose write-back the sample pays
  none,    ///< no flush: data of the previous sample may still be in L2
};

/// "read", "memset" or "none".
inline const char* l2_flush_name(L2Flush f) { return f == L2Flush::read ? "read" : f == L2Flush::memset ? "memset" : "none"; }

/// Timing switches from the command line.
struct TimingOptions {
  SamplingOptions sampling;
  bool force_eager = false;    ///< never capture a CUDA graph
  L2Flush flush = L2Flush::read;
  double throttle_ratio = 0.9; ///< an SM clock below this fraction of the peak marks throttling
};

/// One measured case.
struct Measurement {
  double latency_ms = 0;
  double spread = 0;
  int samples = 0;
  std::string timing;          ///< "graph", "eager" or "cpu"
  bool throttled = false;      ///< still throttled after the one re-measurement
  double sm_clock_mhz = 0;     ///< lowest SM clock read around the samples (0: unknown)
  std::string kernel_source;   ///< the layer's kernel_source() after setup
};

/// Why a case did not give a row.
struct CaseFailure {
  std::string reason;          ///< one line naming the step and what went wrong
  bool device_lost = false;    ///< the device is unusable (sticky CUDA error): stop the sweep
};

class TimingBackend {
public:
  virtual ~TimingBackend() = default;
  virtual const DeviceInfo& device() const = 0;
  /// setup -> warm-up -> (graph capture) -> samples -> teardown of one case. `label` names the case
  /// (NVTX range, messages). On failure fills `failure` and returns false; never throws.
  virtual bool measure(MockLayer& layer, const Params& shape, const std::string& label, const TimingOptions& opt,
                       Measurement* out, CaseFailure* failure) = 0;
};

/// The CPU backend (always available).
std::unique_ptr<TimingBackend> make_cpu_backend();
/// Whether this build has the CUDA backend.
bool cuda_backend_available();
/// The CUDA backend on one visible device (`device_ordinal`; -1: the launcher's local rank modulo
/// the visible count, else 0). Initializes CUDA. Error without CUDA or without a device.
Status make_cuda_backend(int device_ordinal, std::unique_ptr<TimingBackend>* out);

}  // namespace aiconf::collect
