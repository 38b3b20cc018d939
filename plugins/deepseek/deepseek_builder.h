#pragma once
// Model builders of the DeepSeek families.
#include <aiconf/plugin/registrar.h>

namespace aiconf::deepseek {
/// Registers the deepseek_v3 (dense MLA) and deepseek_v32 (DSA) builders.
void register_deepseek_builders(Registrar& r);
}  // namespace aiconf::deepseek
