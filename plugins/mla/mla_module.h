#pragma once
// One layer's dense MLA attention block as one operation (aiconfigurator's mla_*_module tables),
// falling back to the sum of its kernels where the table has no measured answer.
#include <aiconf/plugin/registrar.h>

namespace aiconf::mla {
/// Registers mla_context_module and mla_generation_module.
void register_mla_modules(Registrar& r);
}  // namespace aiconf::mla
