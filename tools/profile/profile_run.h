#pragma once
/// \file profile_run.h
/// Runs mock layers on the GPU under CUPTI and turns the launches into a kernel table. Needs CUDA.

#include "kernel_table.h"
#include "layer_spec.h"

#include <aiconf/plugin/mock_layer.h>
#include <aiconf/registry.h>

#include <string>
#include <vector>

namespace aiconf::profile {

struct ProfileOptions {
  int warmup = 3;        ///< untimed forward passes (also before tracing starts)
  int iterations = 10;   ///< traced forward passes
  bool check = false;    ///< also run each layer's check() against its CPU reference
  int device = 0;
};

/// Per layer: its check report when asked.
struct LayerOutcome {
  std::string name, shape, kernel_source;
  bool checked = false;
  CheckReport report;
};

struct ProfileResult {
  KernelTable table;
  std::vector<LayerOutcome> layers;
  std::string device;          ///< GPU name
  std::string range_method;    ///< "nvtx (CUPTI markers)" or "bracketed by CUDA events"
  std::string nvtx_note;       ///< what prepare_nvtx_injection() did
  std::uint64_t dropped = 0;   ///< CUPTI records dropped (0 expected)
};

/// Sets up every layer, warms up, traces `iterations` passes of all layers in order inside one
/// NVTX range, and builds the table (demangled names, times summed over the passes). Errors name
/// the layer and the step that failed.
Status profile_layers(const Registry& reg, const std::vector<LayerSpec>& specs, const ProfileOptions& opt,
                      const std::string& nvtx_note, ProfileResult* out);

}  // namespace aiconf::profile
