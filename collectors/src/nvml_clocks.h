#pragma once
// Current SM clocks and throttle reasons through NVML, loaded at run time with
// dlopen("libnvidia-ml.so.1") so the harness neither links nor needs NVML: where it is missing,
// clocks read as unknown (0) and throttling goes undetected (collection_meta.json says so).

#include <string>

namespace aiconf::collect {

class NvmlClocks {
public:
  /// Opens NVML and finds the device with this PCI bus id (cudaDeviceGetPCIBusId's form, which
  /// stays right under CUDA_VISIBLE_DEVICES where indices do not). Never fails: check available().
  explicit NvmlClocks(const std::string& pci_bus_id);
  ~NvmlClocks();
  NvmlClocks(const NvmlClocks&) = delete;
  NvmlClocks& operator=(const NvmlClocks&) = delete;

  bool available() const { return device_ != nullptr; }
  /// Why NVML is unavailable ("" when available).
  const std::string& why_unavailable() const { return why_; }
  /// Current SM clock in MHz, 0 when unknown.
  unsigned sm_clock_mhz() const;
  /// Peak SM clock in MHz, 0 when unknown.
  unsigned max_sm_clock_mhz() const;
  /// Current memory clock in MHz, 0 when unknown.
  unsigned memory_clock_mhz() const;
  /// Driver version text, "" when unknown.
  std::string driver_version() const;
  /// Why the clocks are where they are: only idleness / the application clock setting (benign:
  /// a low reading is an idle GPU, not throttling), another reason (power cap, thermal, HW
  /// slowdown...), or unknown.
  enum class Reasons { unknown, benign, throttling };
  Reasons clock_reasons() const;

private:
  void* lib_ = nullptr;
  void* device_ = nullptr;
  std::string why_;
  void* get_clock_ = nullptr;
  void* get_max_clock_ = nullptr;
  void* get_reasons_ = nullptr;
  void* get_driver_ = nullptr;
  void* shutdown_ = nullptr;
};

}  // namespace aiconf::collect
