#pragma once
// The DSA attention block of one layer as one operation (aiconfigurator's dsa_*_module tables),
// falling back to the sum of its kernels where the table has no measured answer.
#include <aiconf/plugin/registrar.h>

namespace aiconf::sparse_mla {

/// Registers dsa_context_module and dsa_generation_module.
void register_dsa_modules(Registrar& r);

}  // namespace aiconf::sparse_mla
