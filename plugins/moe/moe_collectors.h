#pragma once
#include <aiconf/plugin/registrar.h>

namespace aiconf::moe {
/// Registers the moe_perf sweep (model dimensions from --model).
void register_moe_collectors(Registrar& r);
}  // namespace aiconf::moe
