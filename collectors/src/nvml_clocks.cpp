#include "nvml_clocks.h"

#include <dlfcn.h>

namespace aiconf::collect {

namespace {
// The few NVML entry points used, declared from NVML's documented C API (no nvml.h needed).
using nvml_return = int;  // NVML_SUCCESS == 0
using nvml_device = void*;
constexpr int kClockSm = 1;   // NVML_CLOCK_SM
constexpr int kClockMem = 2;  // NVML_CLOCK_MEM
// Throttle ("clocks event") reasons that are not throttling: GPU idle (0x1) and the
// application-clocks setting (0x2).
constexpr unsigned long long kBenignReasons = 0x1ull | 0x2ull;

using init_fn = nvml_return (*)();
using shutdown_fn = nvml_return (*)();
using by_pci_fn = nvml_return (*)(const char*, nvml_device*);
using clock_fn = nvml_return (*)(nvml_device, int, unsigned*);
using reasons_fn = nvml_return (*)(nvml_device, unsigned long long*);
using driver_fn = nvml_return (*)(char*, unsigned);
}  // namespace

NvmlClocks::NvmlClocks(const std::string& pci_bus_id) {
  lib_ = ::dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib_) {
    why_ = "libnvidia-ml.so.1 not found";
    return;
  }
  auto sym = [&](const char* a, const char* b = nullptr) {
    void* p = ::dlsym(lib_, a);
    if (!p && b) p = ::dlsym(lib_, b);
    return p;
  };
  auto init = reinterpret_cast<init_fn>(sym("nvmlInit_v2", "nvmlInit"));
  auto by_pci = reinterpret_cast<by_pci_fn>(sym("nvmlDeviceGetHandleByPciBusId_v2", "nvmlDeviceGetHandleByPciBusId"));
  get_clock_ = sym("nvmlDeviceGetClockInfo");
  get_max_clock_ = sym("nvmlDeviceGetMaxClockInfo");
  get_reasons_ = sym("nvmlDeviceGetCurrentClocksEventReasons", "nvmlDeviceGetCurrentClocksThrottleReasons");
  get_driver_ = sym("nvmlSystemGetDriverVersion");
  shutdown_ = sym("nvmlShutdown");
  if (!init || !by_pci || !get_clock_) {
    why_ = "libnvidia-ml.so.1 lacks nvmlInit/nvmlDeviceGetHandleByPciBusId/nvmlDeviceGetClockInfo";
    return;
  }
  if (init() != 0) {
    why_ = "nvmlInit failed";
    shutdown_ = nullptr;
    return;
  }
  nvml_device d = nullptr;
  if (by_pci(pci_bus_id.c_str(), &d) != 0 || !d) {
    why_ = "NVML has no device with PCI bus id " + pci_bus_id;
    return;
  }
  device_ = d;
}

NvmlClocks::~NvmlClocks() {
  if (shutdown_) reinterpret_cast<shutdown_fn>(shutdown_)();
  if (lib_) ::dlclose(lib_);
}

unsigned NvmlClocks::sm_clock_mhz() const {
  unsigned v = 0;
  if (device_ && reinterpret_cast<clock_fn>(get_clock_)(device_, kClockSm, &v) == 0) return v;
  return 0;
}

unsigned NvmlClocks::max_sm_clock_mhz() const {
  unsigned v = 0;
  if (device_ && get_max_clock_ && reinterpret_cast<clock_fn>(get_max_clock_)(device_, kClockSm, &v) == 0) return v;
  return 0;
}

unsigned NvmlClocks::memory_clock_mhz() const {
  unsigned v = 0;
  if (device_ && reinterpret_cast<clock_fn>(get_clock_)(device_, kClockMem, &v) == 0) return v;
  return 0;
}

std::string NvmlClocks::driver_version() const {
  char buf[96] = {};
  if (lib_ && get_driver_ && reinterpret_cast<driver_fn>(get_driver_)(buf, sizeof buf) == 0) return buf;
  return {};
}

NvmlClocks::Reasons NvmlClocks::clock_reasons() const {
  unsigned long long r = 0;
  if (!device_ || !get_reasons_ || reinterpret_cast<reasons_fn>(get_reasons_)(device_, &r) != 0) return Reasons::unknown;
  return (r & ~kBenignReasons) != 0 ? Reasons::throttling : Reasons::benign;
}

}  // namespace aiconf::collect
