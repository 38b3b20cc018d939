#pragma once
#include <aiconf/plugin/registrar.h>

namespace aiconf::memory {
/// Registers one memory_op_perf sweep per memory-bound operation.
void register_memory_collectors(Registrar& r);
}  // namespace aiconf::memory
