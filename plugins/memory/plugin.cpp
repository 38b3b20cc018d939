// Entry of the memory plugin: memory-bound operations of a decoder layer.
#include <aiconf/plugin/abi.h>

#include "memory_collectors.h"
#include "memory_mock_layers.h"
#include "memory_ops.h"

namespace {
void register_memory(aiconf::Registrar& r) {
  using namespace aiconf::memory;
  register_memory_operations(r);
  register_memory_collectors(r);
  register_memory_mock_layers(r);
}
}  // namespace

AICONF_PLUGIN("memory", "0.1.0",
              "Memory-bound ops: embedding, rms_norm, activation, quantize, kv_cache_write, elementwise (memory_op_perf)",
              register_memory)
